/* 政务端: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Import form: list only the departments that are a source for the chosen category.
  function filterDepartments() {
    var category = document.getElementById("category");
    var department = document.getElementById("department");
    if (!category || !department) { return; }
    var chosen = category.value;
    var firstVisible = null;
    Array.prototype.forEach.call(department.options, function (opt) {
      var cats = (opt.getAttribute("data-categories") || "").split(" ");
      var ok = cats.indexOf(chosen) !== -1;
      opt.hidden = !ok;
      opt.disabled = !ok;
      if (ok && firstVisible === null) { firstVisible = opt; }
    });
    var current = department.options[department.selectedIndex];
    if ((!current || current.disabled) && firstVisible) { firstVisible.selected = true; }
  }

  // Import form: one submission at a time, and say that it is working (large files take a while).
  function guardSubmit() {
    var form = document.getElementById("import-form");
    if (!form) { return; }
    form.addEventListener("submit", function () {
      var button = document.getElementById("import-submit");
      var busy = document.getElementById("import-busy");
      if (button) { button.disabled = true; button.textContent = "正在导入…"; }
      if (busy) { busy.hidden = false; busy.setAttribute("role", "status"); }
    });
  }

  // Dismiss form: ask before closing rows for good.
  function confirmDismiss() {
    var form = document.getElementById("dismiss-form");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      var n = form.querySelectorAll("input[name=ids]:checked").length;
      if (n === 0) { event.preventDefault(); window.alert("请先选择要关闭的问题数据"); return; }
      if (!window.confirm("确认关闭选中的 " + n + " 条问题数据？关闭后不再提示更正。")) { event.preventDefault(); }
    });
  }

  // Print buttons (信用核查结果): hidden without this file, the browser's own print works anyway.
  function printButtons() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var category = document.getElementById("category");
    if (category) { category.addEventListener("change", filterDepartments); filterDepartments(); }
    guardSubmit();
    confirmDismiss();
    printButtons();
  });
})();
