"""The tcredit commands end to end: init, import, quarantine, batches, catalog, subjects, audit, accounts, keys."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from transport_credit.audit import drop_append_only_ddl
from transport_credit.auth import service as auth
from transport_credit.cli.main import app
from transport_credit.common.errors import Unauthenticated
from transport_credit.db.engine import make_engine
from transport_credit.db.uow import Database
from transport_credit.demo import generator as gen
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.records.models import CreditRecord

CITY = "410100-jtj"  # 郑州市交通运输局: a source of 行政处罚
NOT_A_SOURCE = "410000-jtt"  # 河南省交通运输厅 (the department itself sources no category)


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _penalty_file(path: Path, good: int = 20, bad: int = 1) -> tuple[Path, list[dict[str, str]]]:
    """A GB18030 CSV with standard headers: ``good`` valid rows and ``bad`` rows with an impossible date."""
    rng = random.Random(3)
    subs = gen.subjects(15, ["410100"], {"410100": "郑州市"}, seed=3)
    authority = gen.Authority("郑州市交通运输局", "11410100MB0001014R", "豫郑州交")
    rows = list(gen.penalty_rows(subs, authority, dt.date(2025, 3, 1), dt.date(2025, 9, 30), good + bad, rng))
    for row in rows[good:]:
        row["decision_date"] = "2025/13/45"
    headers = {
        "subject_name": "行政相对人名称",
        "subject_kind": "行政相对人类别",
        "uscc": "行政相对人代码_1（统一社会信用代码）",
        "legal_rep": "法定代表人",
        "id_type": "证件类型",
        "id_number": "证件号码",
        "decision_no": "行政处罚决定书文号",
        "violation_type": "违法行为类型",
        "violation_facts": "违法事实",
        "penalty_basis": "处罚依据",
        "penalty_type": "处罚类别",
        "penalty_content": "处罚内容",
        "fine_amount": "罚款金额（万元）",
        "decision_date": "处罚决定日期",
        "valid_until": "处罚有效期",
        "authority": "处罚机关",
        "authority_uscc": "处罚机关统一社会信用代码",
        "domain": "行业领域",
        "subdomain": "二级领域",
    }
    gen.write_csv(path, headers, rows, encoding="gb18030")
    return path, rows


def _counts(database_url: str) -> tuple[int, int, int]:
    engine = make_engine(database_url)
    try:
        with Database(engine).read() as s:
            return (
                s.scalar(select(func.count()).select_from(CreditRecord)) or 0,
                s.scalar(select(func.count()).select_from(Batch)) or 0,
                s.scalar(select(func.count()).select_from(QuarantineRow)) or 0,
            )
    finally:
        engine.dispose()


def test_commands_refuse_before_init(cli_env: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["departments", "list"])
    assert result.exit_code != 0
    assert "请先运行 tcredit init" in result.stderr
    assert "Traceback" not in result.output


def test_init_is_idempotent(cli_env: Path, runner: CliRunner) -> None:
    first = json.loads(_ok(runner, "init", "--json"))
    assert first["province"] == "410000"
    assert first["departments_created"] > 10
    assert first["documents_loaded"] > 0
    second = json.loads(_ok(runner, "init", "--json"))
    assert second["departments_created"] == 0
    assert second["documents_loaded"] == 0
    assert second["catalog_version"] == first["catalog_version"]
    assert "已初始化：河南省" in _ok(runner, "init")
    departments = json.loads(_ok(runner, "departments", "list", "--json"))
    assert any(d["code"] == CITY and "XZCF" in d["categories"] for d in departments)


def test_init_refuses_a_weak_admin_password(cli_env: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["init", "--admin-password", "short"])
    assert result.exit_code != 0
    assert "密码长度不能少于 10 位" in result.stderr


def test_import_json_counts_match_the_file(cli_env: Path, runner: CliRunner, tmp_path: Path, database_url: str) -> None:
    _ok(runner, "init")
    path, rows = _penalty_file(tmp_path / "郑州市处罚.csv", good=20, bad=1)
    summary = json.loads(_ok(runner, "import", str(path), "--category", "行政处罚", "--department", CITY, "--json"))
    assert summary["encoding"] in {"gb18030", "gbk"}
    assert summary["category"] == "XZCF"
    assert (summary["total"], summary["accepted"], summary["warned"], summary["rejected"]) == (21, 20, 0, 1)
    assert (summary["unchanged"], summary["revised"], summary["already_imported"]) == (0, 0, False)
    assert summary["rejected_rows"][0]["row"] == 22  # header is row 1
    assert summary["rejected_rows"][0]["key"] == rows[20]["decision_no"]
    before = _counts(database_url)
    assert before == (20, 1, 1)

    again = json.loads(_ok(runner, "import", str(path), "--category", "XZCF", "--department", CITY, "--json"))
    assert again["already_imported"] is True
    assert again["batch_no"] == summary["batch_no"]
    assert _counts(database_url) == before

    # The readable report names the rejected row and why.
    text_out = _ok(runner, "import", str(path), "--category", "XZCF", "--department", CITY)
    assert "已导入过" in text_out

    listed = json.loads(_ok(runner, "quarantine", "list", "--batch", summary["batch_no"], "--json"))
    assert listed["total"] == 1
    assert listed["items"][0]["errors"][0]["field"] == "decision_date"
    shown = json.loads(_ok(runner, "batches", "show", summary["batch_no"], "--json"))
    assert shown["batch"]["accepted"] == 20
    assert shown["open_quarantine"] == 1
    batches = json.loads(_ok(runner, "batches", "list", "--json"))
    assert [b["batch_no"] for b in batches] == [summary["batch_no"]]

    out = tmp_path / "fix.csv"
    _ok(runner, "quarantine", "export", "--category", "XZCF", "-o", str(out))
    assert "错误说明" in out.read_bytes().decode("gb18030")

    subject = json.loads(_ok(runner, "subjects", "show", rows[0]["uscc"], "--json"))
    assert subject["counts"]["XZCF"] >= 1
    readable = _ok(runner, "subjects", "show", rows[0]["uscc"])
    assert rows[0]["subject_name"] in readable
    assert rows[0]["decision_no"] in readable or "行政处罚" in readable


def test_import_text_report_lists_rejected_rows(cli_env: Path, runner: CliRunner, tmp_path: Path) -> None:
    _ok(runner, "init")
    path, _ = _penalty_file(tmp_path / "p.csv", good=5, bad=2)
    out = _ok(runner, "import", str(path), "--category", "行政处罚", "--department", CITY)
    assert "导入完成" in out
    assert "已拒收" in out
    assert "被拒收的行" in out
    assert "日期" in out


def test_import_refused_for_a_department_that_is_not_a_source(
    cli_env: Path, runner: CliRunner, tmp_path: Path, database_url: str
) -> None:
    _ok(runner, "init")
    path, _ = _penalty_file(tmp_path / "p.csv")
    result = runner.invoke(app, ["import", str(path), "--category", "行政处罚", "--department", NOT_A_SOURCE])
    assert result.exit_code != 0
    assert "错误：" in result.stderr
    assert "不是信用信息类别「XZCF」的数据来源单位" in result.stderr
    assert "Traceback" not in result.output
    assert _counts(database_url) == (0, 0, 0)

    unknown = runner.invoke(app, ["import", str(path), "--category", "不存在的类别", "--department", CITY])
    assert unknown.exit_code != 0
    assert "没有类别「不存在的类别」" in unknown.stderr


def test_audit_verify_ok_then_tampered(cli_env: Path, runner: CliRunner, database_url: str) -> None:
    _ok(runner, "init")
    report = json.loads(_ok(runner, "audit", "verify", "--json"))
    assert report["ok"] is True
    assert report["checked"] > 3
    assert "审计日志完整" in _ok(runner, "audit", "verify")
    entries = json.loads(_ok(runner, "audit", "list", "--json", "--limit", "5"))
    assert entries[0]["seq"] == report["last_seq"]

    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            for statement in drop_append_only_ddl(engine.dialect.name):
                conn.execute(text(statement))
            conn.execute(text("UPDATE audit_log SET target_id = 'edited' WHERE seq = 3"))
    finally:
        engine.dispose()

    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "第 3 条" in result.stderr
    as_json = runner.invoke(app, ["audit", "verify", "--json"])
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["first_bad_seq"] == 3


def test_catalog_commands(cli_env: Path, runner: CliRunner) -> None:
    _ok(runner, "init")
    catalog = json.loads(_ok(runner, "catalog", "--json"))
    codes = {c["code"] for c in catalog["categories"]}
    assert {"XZCF", "XZXK"} <= codes
    assert "行政处罚" in _ok(runner, "catalog")
    shown = json.loads(_ok(runner, "catalog", "show", "XZCF", "--json"))
    assert shown["natural_key"] == ["decision_no"]
    assert "行政处罚决定书文号" in _ok(runner, "catalog", "show", "行政处罚")
    missing = runner.invoke(app, ["catalog", "show", "NOPE"])
    assert missing.exit_code != 0
    assert "没有类别" in missing.stderr


def test_accounts_and_api_keys(cli_env: Path, runner: CliRunner) -> None:
    _ok(runner, "init")
    created = json.loads(
        _ok(
            runner,
            "accounts",
            "create",
            "zhangsan",
            "--department",
            CITY,
            "--role",
            "data_officer",
            "--password",
            "Passw0rd123",
            "--json",
        )
    )
    assert created["roles"] == ["data_officer"]
    dup = runner.invoke(app, ["accounts", "create", "zhangsan", "--department", CITY, "--password", "Passw0rd123"])
    assert dup.exit_code != 0
    assert "已存在" in dup.stderr
    prompted = runner.invoke(
        app, ["accounts", "create", "lisi", "--department", CITY], input="Passw0rd456\nPassw0rd456\n"
    )
    assert prompted.exit_code == 0, prompted.output

    out = _ok(
        runner,
        "api-keys",
        "create",
        "许可审批系统",
        "--department",
        CITY,
        "--category",
        "XZXK",
        "--scope",
        "records:submit",
    )
    assert "API 密钥" in out
    key = out.strip().split("：")[-1]
    assert key.startswith("tc_")
    listed = json.loads(_ok(runner, "api-keys", "list", "--json"))
    assert listed[0]["categories"] == ["XZXK"]
    assert key not in json.dumps(listed)
    refused = runner.invoke(app, ["api-keys", "create", "x", "--department", NOT_A_SOURCE, "--category", "XZCF"])
    assert refused.exit_code != 0
    assert "数据来源单位" in refused.stderr


def test_account_security_and_interface_commands(cli_env: Path, runner: CliRunner, db: Database) -> None:
    _ok(runner, "init")
    _ok(runner, "accounts", "create", "zhangsan", "--department", CITY, "--password", "Passw0rd123")
    with db.unit_of_work() as s:  # five wrong passwords at the console
        for _ in range(5):
            auth.sign_in(s, "zhangsan", "wrong-pass-1")
    listed = json.loads(_ok(runner, "accounts", "list", "--json"))
    assert [(a["username"], a["state"]) for a in listed] == [("zhangsan", "locked")]
    assert "已锁定" in _ok(runner, "accounts", "list")
    unlocked = json.loads(_ok(runner, "accounts", "unlock", "zhangsan", "--json"))
    assert unlocked["state"] == "active"
    reset = json.loads(_ok(runner, "accounts", "reset-password", str(listed[0]["id"]), "--json"))
    assert reset["state"] == "temporary"
    with db.unit_of_work() as s:
        assert auth.sign_in(s, "zhangsan", reset["temporary_password"]).credential_state == "temporary"
    assert "已停用" in _ok(runner, "accounts", "deactivate", "zhangsan")
    assert json.loads(_ok(runner, "accounts", "activate", "zhangsan", "--json"))["state"] == "temporary"
    unknown = runner.invoke(app, ["accounts", "unlock", "nobody"])
    assert unknown.exit_code != 0
    assert "不存在" in unknown.stderr

    created = json.loads(
        _ok(runner, "api-keys", "create", "审批系统", "--department", CITY, "--scope", "credit:check", "--json")
    )
    status = json.loads(_ok(runner, "api-keys", "status", "--json"))
    assert status["window_days"] == 30
    assert [(i["name"], i["health"], i["checks"]) for i in status["interfaces"]] == [("审批系统", "new", 0)]
    assert "待接入" in _ok(runner, "api-keys", "status")
    updated = json.loads(
        _ok(
            runner,
            "api-keys",
            "update",
            str(created["id"]),
            "--scope",
            "credit:check",
            "--scope",
            "subjects:read",
            "--json",
        )
    )
    assert updated["scopes"] == ["credit:check", "subjects:read"]
    rotated = json.loads(_ok(runner, "api-keys", "rotate", str(created["id"]), "--json"))
    assert rotated["api_key"] != created["api_key"]
    with db.unit_of_work() as s, pytest.raises(Unauthenticated):
        auth.authenticate_api_key(s, created["api_key"])
    assert json.loads(_ok(runner, "api-keys", "deactivate", str(created["id"]), "--json"))["active"] is False
    assert json.loads(_ok(runner, "api-keys", "status", "--json"))["interfaces"][0]["health"] == "inactive"
    assert json.loads(_ok(runner, "api-keys", "activate", str(created["id"]), "--json"))["active"] is True


def test_calendar_load_and_show(cli_env: Path, runner: CliRunner, tmp_path: Path) -> None:
    _ok(runner, "init")
    schedule = tmp_path / "2031.yaml"
    schedule.write_text(
        "year: 2031\nsource: 国务院办公厅关于2031年部分节假日安排的通知\n"
        "holidays: [2031-01-01, 2031-01-02]\nworkdays: [2031-01-04]\n",
        encoding="utf-8",
    )
    assert "已加载 2031 年" in _ok(runner, "calendar", "load", str(schedule))
    shown = json.loads(_ok(runner, "calendar", "show", "2031", "--json"))
    assert shown["holidays"][:2] == ["2031-01-01", "2031-01-02"]
    assert shown["makeup_workdays"] == ["2031-01-04"]
    assert shown["estimated"] is False
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2031\nsource: x\nworkdays: [2031-01-06]\n", encoding="utf-8")
    result = runner.invoke(app, ["calendar", "load", str(bad)])
    assert result.exit_code != 0
    assert "节假日安排文件无效" in result.stderr


def test_demo_fresh_refuses_a_server_database(monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> None:
    from transport_credit.settings import get_settings

    monkeypatch.setenv("TRANSPORT_CREDIT_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["demo", "--fresh", "--no-serve", "--subjects", "10"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0
    assert "--fresh 只能用于内置 SQLite 数据库" in result.stderr


def test_applications_handled_from_the_command_line(
    cli_env: Path, runner: CliRunner, tmp_path: Path, database_url: str
) -> None:
    from transport_credit.portal import service as portal
    from transport_credit.settings import get_settings

    _ok(runner, "init")
    path, rows = _penalty_file(tmp_path / "p.csv", good=3, bad=0)
    _ok(runner, "import", str(path), "--category", "XZCF", "--department", CITY)
    subject = json.loads(_ok(runner, "subjects", "show", rows[0]["uscc"], "--json"))
    engine = make_engine(database_url)
    try:
        db = Database(engine)
        ids = []
        for kind, days_ago in (("objection", 40), ("repair", 0)):
            with db.unit_of_work() as s:
                submitted = portal.submit_application(
                    s,
                    get_settings(),
                    portal.ApplicationInput(
                        kind=kind,
                        subject_id=subject["id"],
                        applicant_name="赵经理",
                        contact="13812345678",
                        reason="申请核实处罚信息并依法处理。",
                    ),
                    today=dt.date.today() - dt.timedelta(days=days_ago),
                )
                ids.append(submitted.id)
    finally:
        engine.dispose()
    late, fresh = ids

    listed = json.loads(_ok(runner, "applications", "list", "--json"))
    assert listed["counts"] == {"open": 2, "overdue": 1, "closed": 0, "all": 2}
    assert [(i["id"], i["overdue"]) for i in listed["items"]] == [(late, True), (fresh, False)]
    assert "13812345678" not in json.dumps(listed)  # masked only
    overdue = json.loads(_ok(runner, "applications", "list", "--view", "overdue", "--json"))
    assert [i["id"] for i in overdue["items"]] == [late]
    assert "逾期 1" in _ok(runner, "applications", "list")

    accepted = json.loads(_ok(runner, "applications", "accept", str(late), "--json"))
    assert accepted["status"] == "accepted"
    assert accepted["decide_due"] > dt.date.today().isoformat()
    wrong = runner.invoke(
        app, ["applications", "decide", str(late), "--outcome", "repaired", "--reply", "理由说明五字以上"]
    )
    assert wrong.exit_code == 1
    assert "处理结果无效" in wrong.output
    decided = json.loads(
        _ok(
            runner,
            "applications",
            "decide",
            str(late),
            "--outcome",
            "dismissed",
            "--reply",
            "经核实，处罚信息无误。",
            "--json",
        )
    )
    assert (decided["status"], decided["reply"]) == ("dismissed", "经核实，处罚信息无误。")
    empty = runner.invoke(app, ["applications", "refuse", str(fresh), "--reply", ""])
    assert empty.exit_code == 1
    assert "请填写答复意见" in empty.output
    _ok(runner, "applications", "refuse", str(fresh), "--reply", "申请材料不全，请补充后重新提交。")
    closed = json.loads(_ok(runner, "applications", "list", "--view", "closed", "--json"))
    assert sorted(i["id"] for i in closed["items"]) == sorted(ids)
    shown = _ok(runner, "applications", "show", str(fresh))
    assert "申请材料不全" in shown


def test_objection_verified_from_the_command_line(
    cli_env: Path, runner: CliRunner, tmp_path: Path, database_url: str
) -> None:
    """An objection named on acceptance goes to the unit that reported the record; the CLI records the unit's
    written finding (as administrator) and the decision follows it."""
    from transport_credit.portal import service as portal
    from transport_credit.settings import get_settings

    _ok(runner, "init")
    path, rows = _penalty_file(tmp_path / "p.csv", good=2, bad=0)
    _ok(runner, "import", str(path), "--category", "XZCF", "--department", CITY)
    subject = json.loads(_ok(runner, "subjects", "show", rows[0]["uscc"], "--json"))
    engine = make_engine(database_url)
    try:
        with Database(engine).unit_of_work() as s:
            record_id = s.scalars(select(CreditRecord.id).where(CreditRecord.subject_id == subject["id"])).first()
            assert record_id is not None
            app_id = portal.submit_application(
                s,
                get_settings(),
                portal.ApplicationInput(
                    kind="objection",
                    subject_id=subject["id"],
                    applicant_name="赵经理",
                    contact="13812345678",
                    reason="处罚决定书记载的车牌号有误。",
                ),
            ).id
    finally:
        engine.dispose()
    accepted = json.loads(_ok(runner, "applications", "accept", str(app_id), "--record-id", str(record_id), "--json"))
    assert (accepted["record_id"], accepted["verify_department"]) == (record_id, CITY)
    assert accepted["verify_due"] <= accepted["decide_due"]
    waiting = json.loads(_ok(runner, "applications", "verifications", "--json"))
    assert [(i["id"], i["department"], i["overdue"]) for i in waiting["items"]] == [(app_id, CITY, False)]
    assert "13812345678" not in json.dumps(waiting)
    early = runner.invoke(
        app, ["applications", "decide", str(app_id), "--outcome", "dismissed", "--reply", "维持原信息。"]
    )
    assert early.exit_code == 1
    assert "尚未反馈核实意见" in early.output
    verified = json.loads(
        _ok(
            runner,
            "applications",
            "verify",
            str(app_id),
            "--finding",
            "inaccurate",
            "--note",
            "经核对，车牌号录入有误，将报送更正。",
            "--json",
        )
    )
    assert (verified["verification"], verified["verify_department"]) == ("inaccurate", CITY)
    assert "信息有误" in _ok(runner, "applications", "show", str(app_id))
    assert json.loads(_ok(runner, "applications", "verifications", "--json"))["total"] == 0
    dismissed = runner.invoke(
        app, ["applications", "decide", str(app_id), "--outcome", "dismissed", "--reply", "维持原信息五字。"]
    )
    assert dismissed.exit_code == 1
    assert "核实结论" in dismissed.output


def test_exchange_from_the_command_line(cli_env: Path, runner: CliRunner, tmp_path: Path) -> None:
    _ok(runner, "init")
    path, _ = _penalty_file(tmp_path / "p.csv", good=6, bad=0)
    _ok(runner, "import", str(path), "--category", "XZCF", "--department", CITY)
    targets = json.loads(_ok(runner, "exchange", "targets", "--json"))
    assert {t["code"] for t in targets} >= {"ministry", "province"}
    out_dir = tmp_path / "packages"
    full = json.loads(_ok(runner, "exchange", "export", "--target", "ministry", "--out", str(out_dir), "--json"))
    assert (full["kind"], full["rows"], full["sequence"]) == ("full", 6, 1)
    increment = json.loads(_ok(runner, "exchange", "export", "--target", "ministry", "--out", str(out_dir), "--json"))
    assert (increment["kind"], increment["rows"]) == ("increment", 0)
    listed = json.loads(_ok(runner, "exchange", "packages", "--json"))
    assert [p["sequence"] for p in listed] == [2, 1]
    assert "交换包完整：6 条记录" in _ok(runner, "exchange", "verify", full["directory"])
    (Path(full["directory"]) / "records.jsonl").write_bytes(b"")
    broken = runner.invoke(app, ["exchange", "verify", full["directory"]])
    assert broken.exit_code == 1
    assert "SHA-256" in broken.output
    unknown = runner.invoke(app, ["exchange", "export", "--target", "nowhere"])
    assert unknown.exit_code == 1
    assert "未知的共享交换对象" in unknown.output
