// Search-as-you-type for every input[data-suggest], and the phone-width navigation toggle. No dependencies.
(function () {
  "use strict";
  function debounce(fn, ms) { var t; return function () { var a = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, a); }, ms); }; }

  function attach(input) {
    var form = input.form;
    var list = document.createElement("ul");
    list.className = "suggest";
    list.id = input.id + "-suggest";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    form.appendChild(list);
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-autocomplete", "list");
    var seq = 0, active = -1;

    function close() { list.hidden = true; list.innerHTML = ""; active = -1; }
    function render(items) {
      list.innerHTML = "";
      items.forEach(function (it, i) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = it.href; a.setAttribute("role", "option"); a.id = list.id + "-" + i;
        a.textContent = it.name;
        var meta = document.createElement("span");
        meta.className = "s-meta";
        meta.textContent = (it.uscc || "") + (it.region ? " · " + it.region : "");
        a.appendChild(meta); li.appendChild(a); list.appendChild(li);
      });
      list.hidden = items.length === 0;
      active = -1;
    }
    var fetchSuggest = debounce(function (q) {
      var mine = ++seq;
      fetch("/search/suggest?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) { if (mine === seq && input.value.trim() === q) render(data.items || []); })
        .catch(function () { close(); });
    }, 120);
    input.addEventListener("input", function () {
      var q = input.value.trim();
      if (q.length < 2) { seq++; close(); return; }
      fetchSuggest(q);
    });
    input.addEventListener("keydown", function (e) {
      var links = list.querySelectorAll("a");
      if (list.hidden || !links.length) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (active >= 0) links[active].removeAttribute("aria-selected");
        active = (active + (e.key === "ArrowDown" ? 1 : links.length - 1)) % links.length;
        links[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", links[active].id);
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault(); window.location.href = links[active].href;
      } else if (e.key === "Escape") { close(); }
    });
    document.addEventListener("click", function (e) { if (!form.contains(e.target)) close(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), attach);
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
  });
})();
