"""The ``tcredit`` command line: the platform's third front door (beside the REST API and the console).

Each command parses its arguments, opens one unit of work, calls a service function as the CLI actor and renders
the result: a readable Chinese report, or JSON with ``--json`` for scripts. Errors from the services
(``CreditError``) end the command with ``错误：…`` on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from sqlalchemy.engine import make_url

from transport_credit.audit.events import list_entries
from transport_credit.audit.events import record as audit
from transport_credit.audit.verify import verify
from transport_credit.auth import service as auth
from transport_credit.bootstrap import initialize
from transport_credit.calendar.schedule import load_schedule
from transport_credit.calendar.service import build_calendar, load_year
from transport_credit.catalog import service as catalog_service
from transport_credit.catalog.schema import CategoryDef
from transport_credit.cli import output as out
from transport_credit.cli.admin import accounts_app, api_keys_app
from transport_credit.cli.applications import applications_app
from transport_credit.cli.backup import backup_app
from transport_credit.cli.campaigns import campaigns_app
from transport_credit.cli.context import (
    CliError,
    category_code,
    cli_actor,
    database,
    handled,
    is_initialised,
    settings,
)
from transport_credit.cli.evaluate import evaluate_app, supervise_app, warnings_app
from transport_credit.cli.exchange import exchange_app
from transport_credit.cli.ledger import ledger_app
from transport_credit.cli.lists import cases_app, checks_app, effects_app, lists_app, measures_app
from transport_credit.cli.reminders import reminders_app
from transport_credit.cli.report import report_app
from transport_credit.cli.xinyi import xinyi_app
from transport_credit.ingest import service as ingest
from transport_credit.subjects.service import subject_file

app = typer.Typer(
    name="tcredit",
    help="交通运输信用信息平台命令行工具：初始化、演示数据、启动服务、导入信用信息、查询与审计。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
quarantine_app = typer.Typer(help="问题数据（被拒收的行）：查看、导出更正模板。", no_args_is_help=True)
batches_app = typer.Typer(help="导入批次：查看批次及其统计、警告。", no_args_is_help=True)
catalog_app = typer.Typer(help="信用信息目录：类别、数据项，加载目录文件。")
departments_app = typer.Typer(help="部门（数据来源单位）。", no_args_is_help=True)
subjects_app = typer.Typer(help="信用主体及其信用档案。", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志：查看、校验哈希链完整性。", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历（节假日安排）。", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(batches_app, name="batches")
app.add_typer(catalog_app, name="catalog")
app.add_typer(departments_app, name="departments")
app.add_typer(subjects_app, name="subjects")
app.add_typer(audit_app, name="audit")
app.add_typer(calendar_app, name="calendar")
app.add_typer(accounts_app, name="accounts")
app.add_typer(api_keys_app, name="api-keys")
app.add_typer(lists_app, name="lists")
app.add_typer(measures_app, name="measures")
app.add_typer(checks_app, name="checks")
app.add_typer(effects_app, name="effects")
app.add_typer(cases_app, name="cases")
app.add_typer(evaluate_app, name="evaluate")
app.add_typer(supervise_app, name="supervise")
app.add_typer(warnings_app, name="warnings")
app.add_typer(applications_app, name="applications")
app.add_typer(exchange_app, name="exchange")
app.add_typer(report_app, name="report")
app.add_typer(ledger_app, name="ledger")
app.add_typer(xinyi_app, name="xinyi")
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(reminders_app, name="reminders")
app.add_typer(backup_app, name="backup")

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")]
HostOpt = Annotated[str | None, typer.Option("--host", help="监听地址（默认取配置 TRANSPORT_CREDIT_HOST）")]
PortOpt = Annotated[int | None, typer.Option("--port", help="监听端口（默认取配置 TRANSPORT_CREDIT_PORT）")]

COUNT_LABELS = (
    ("total", "总行数"),
    ("accepted", "已接收"),
    ("warned", "已接收（有警告）"),
    ("rejected", "已拒收"),
    ("unchanged", "无变化"),
    ("revised", "已更正（新版本）"),
    ("new_subjects", "新增主体"),
)
DISCLOSURE_LABELS = {"public": "社会公开", "shared": "政务共享", "private": "不公开"}
SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}


# --- init, demo, serve ---------------------------------------------------------------------------------------


@app.command("init", help="创建或升级数据库，加载本省配置（部门、信用信息目录）。可重复执行。")
@handled
def init_cmd(
    province: Annotated[str | None, typer.Option("--province", help="省份配置（如 henan、ningxia）")] = None,
    admin_password: Annotated[
        str | None, typer.Option("--admin-password", help="首次初始化时创建 admin 账号并设置此密码")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    if province:
        cfg = cfg.model_copy(update={"province": province})
    if admin_password is not None:
        auth.check_password_policy(admin_password)
    with database(cfg, require_init=False) as db:
        report = initialize(db, cfg, actor=cli_actor(), admin_password=admin_password)
    if as_json:
        out.emit_json(report)
        return
    typer.echo(f"已初始化：{report.province_name}（{report.province}）")
    out.pairs(
        [
            ("目录文件新加载", f"{report.documents_loaded} 个"),
            ("部门", f"新建 {report.departments_created} 个，更新 {report.departments_updated} 个"),
            ("信用信息类别", f"{report.categories} 类"),
            ("目录版本", report.catalog_version),
            ("管理员账号", "已创建 admin" if report.admin_created else "未创建（已有账号或未指定密码）"),
        ]
    )


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


@app.command("demo", help="构建演示省份数据（经真实导入流程），然后启动平台。README 中的启动命令。")
@handled
def demo_cmd(
    subjects: Annotated[int, typer.Option("--subjects", min=1, help="信用主体数量")] = 20_000,
    months: Annotated[int, typer.Option("--months", min=1, max=120, help="决定日期覆盖的月数")] = 18,
    seed: Annotated[int, typer.Option("--seed", help="随机种子（相同种子生成相同数据）")] = 7,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="只构建数据，不启动服务")] = False,
    host: HostOpt = None,
    port: PortOpt = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="删除现有的 SQLite 数据库后重建")] = False,
    as_json: JsonOpt = False,
) -> None:
    from transport_credit.demo.build import build_demo, demo_status, saved_credentials

    cfg = settings()
    url = cfg.effective_database_url
    if fresh:
        path = _sqlite_file(url)
        if path is None:
            raise CliError("--fresh 只能用于内置 SQLite 数据库；PostgreSQL 等数据库请由管理员自行清理，本命令不会删除")
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            candidate.unlink(missing_ok=True)
        if not as_json:
            typer.echo(f"已删除数据库文件：{path}")

    with database(cfg, require_init=False) as db:
        status = demo_status(db) if is_initialised(db) else None
        report = None
        if status is None:
            if not as_json:
                typer.echo(f"正在构建演示数据：{subjects} 个信用主体、{months} 个月的行政许可与行政处罚 …")
            report = build_demo(db, cfg, subjects=subjects, months=months, seed=seed)
    creds = saved_credentials(cfg) or {}
    if as_json:
        out.emit_json(
            {
                "built": report is not None,
                "report": report.as_dict() if report else None,
                "previous": status,
                "credentials": creds,
            }
        )
    else:
        if report is None:
            assert status is not None
            typer.echo(
                f"数据库中已有演示数据（{status.get('subjects')} 个主体，{status.get('files')} 个文件），不再重建；"
                "如需重建请加 --fresh。"
            )
        else:
            _print_demo_report(report)
        _print_demo_credentials(creds)
    if no_serve:
        return
    _serve_app(cfg, host or cfg.host, port or cfg.port)


def _print_demo_report(report: Any) -> None:
    totals = report.totals
    typer.echo(f"演示数据已构建：{report.province_name}，用时 {report.seconds} 秒")
    out.pairs(
        [
            ("决定日期", f"{report.start} 至 {report.end}"),
            ("导入文件", f"{len(report.files)} 个（{Path(report.files[0].path).parent if report.files else '-'}）"),
            *[(label, totals.get(key, 0)) for key, label in COUNT_LABELS],
            ("故意出错的行", report.flawed_rows),
        ]
    )


def _print_demo_credentials(creds: dict[str, Any]) -> None:
    out.heading("演示账号（仅供本机演示；保存在 数据目录/demo/credentials.json）：")
    passwords = creds.get("passwords") or {}
    if passwords:
        for username, password in passwords.items():
            typer.echo(f"  {username} / {password}")
    else:
        typer.echo("  （无已保存的密码）")
    if creds.get("api_key"):
        typer.echo(f"接入系统「{creds.get('api_client')}」的 API 密钥：{creds['api_key']}")


def _serve_app(cfg: Any, host: str, port: int) -> None:
    import uvicorn

    from transport_credit.server import create_served_app

    typer.echo(
        f"\n门户网站：http://{host}:{port}/    管理控制台：http://{host}:{port}/console    接口文档：http://{host}:{port}/api/docs"
    )
    typer.echo("按 Ctrl+C 停止。")
    uvicorn.run(create_served_app(cfg), host=host, port=port, log_level=cfg.log_level.lower())


@app.command("serve", help="启动平台（门户网站、REST API、管理控制台）。")
@handled
def serve_cmd(
    host: HostOpt = None,
    port: PortOpt = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="工作进程数")] = 1,
) -> None:
    import uvicorn

    cfg = settings()
    with database(cfg):
        pass
    host = host or cfg.host
    port = port or cfg.port
    typer.echo(
        f"门户网站：http://{host}:{port}/    管理控制台：http://{host}:{port}/console    接口文档：http://{host}:{port}/api/docs"
    )
    uvicorn.run(
        "transport_credit.server:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=cfg.log_level.lower(),
    )


# --- import, quarantine, batches ----------------------------------------------------------------------------


@app.command("import", help="导入一个文件（CSV、XLSX、XLS、JSON Lines）为一个批次。同一文件重复导入不会改变数据。")
@handled
def import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="要导入的文件")],
    category: Annotated[str, typer.Option("--category", help="信用信息类别：代码（XZCF）或名称（行政处罚）")],
    department: Annotated[str, typer.Option("--department", help="报送部门编码（如 410100-jtj）")],
    mapping: Annotated[str | None, typer.Option("--mapping", help="指定列映射（如 xzcf-legacy）；默认自动识别")] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db:
        with db.unit_of_work() as session:
            summary = ingest.import_file(
                session, cli_actor(), cfg, file, category=category, department=department, mapping=mapping
            )
        rejected: list[ingest.QuarantineItem] = []
        if summary.rejected and not summary.already_imported:
            with db.read() as session:
                _, rejected = ingest.list_quarantine(
                    session, cli_actor(), cfg, batch_no=summary.batch_no, limit=20, with_raw=False
                )
    if as_json:
        data = summary.as_dict()
        data["rejected_rows"] = [{"row": q.source_row, "key": q.natural_key, "errors": q.errors} for q in rejected]
        out.emit_json(data)
        return
    if summary.already_imported:
        typer.echo(f"该文件已导入过（批次 {summary.batch_no}），本次未做任何更改。")
    else:
        typer.echo(f"导入完成：批次 {summary.batch_no}")
    out.pairs(
        [
            ("类别 / 部门", f"{summary.category} / {summary.department_code}"),
            ("文件", f"{summary.file_name}（{summary.file_format}，{summary.encoding or '-'}）"),
            ("列映射", summary.mapping),
            *[(label, getattr(summary, key)) for key, label in COUNT_LABELS],
        ]
    )
    if summary.ignored_columns:
        typer.echo(f"未识别的列（已忽略）：{'、'.join(summary.ignored_columns)}")
    if rejected:
        out.heading(
            f"被拒收的行（前 {len(rejected)} 行；完整列表：tcredit quarantine list --batch {summary.batch_no}）："
        )
        out.table(["行号", "记录", "错误"], [(q.source_row, q.natural_key, _errors(q.errors)) for q in rejected])


def _errors(errors: list[dict[str, str]]) -> str:
    return "；".join(e.get("message", e.get("code", "")) for e in errors)


@quarantine_app.command("list", help="列出待更正的问题数据。")
@handled
def quarantine_list(
    batch: Annotated[str | None, typer.Option("--batch", help="批次号")] = None,
    category: Annotated[str | None, typer.Option("--category", help="类别代码（如 XZCF）")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="最多列出的行数")] = 100,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        code = category_code(session, category) if category else None
        total, items = ingest.list_quarantine(
            session, cli_actor(), cfg, batch_no=batch, category=code, limit=limit, with_raw=False
        )
    if as_json:
        out.emit_json({"total": total, "items": [{k: v for k, v in vars(i).items() if k != "raw"} for i in items]})
        return
    typer.echo(f"待更正的问题数据共 {total} 行" + (f"（列出 {len(items)} 行）" if len(items) < total else ""))
    if items:
        out.table(
            ["编号", "批次", "类别", "部门", "行号", "主体", "错误"],
            [
                (i.id, i.batch_no, i.category, i.department_code, i.source_row, i.subject_name, _errors(i.errors))
                for i in items
            ],
        )


@quarantine_app.command("export", help="导出待更正数据模板（标准表头 + 问题数据编号 + 错误说明），更正后可重新导入。")
@handled
def quarantine_export(
    category: Annotated[str, typer.Option("--category", help="类别代码或名称")],
    batch: Annotated[str | None, typer.Option("--batch", help="只导出某一批次")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="输出文件（.xlsx 或 .csv）")] = None,
) -> None:
    cfg = settings()
    fmt: Literal["xlsx", "csv"] = "csv" if output is not None and output.suffix.lower() == ".csv" else "xlsx"
    with database(cfg) as db, db.unit_of_work() as session:
        code = category_code(session, category)
        name, content = ingest.quarantine_template(session, cli_actor(), cfg, category=code, batch_no=batch, fmt=fmt)
    target = output or Path(name)
    target.write_bytes(content)
    typer.echo(f"已导出：{target}")


@batches_app.command("list", help="列出最近的导入批次。")
@handled
def batches_list(
    department: Annotated[str | None, typer.Option("--department", help="部门编码")] = None,
    category: Annotated[str | None, typer.Option("--category", help="类别代码")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        code = category_code(session, category) if category else None
        items = ingest.list_batches(session, cli_actor(), department=department, category=code, limit=limit)
    if as_json:
        out.emit_json([i.as_dict() for i in items])
        return
    out.table(
        ["批次", "时间", "类别", "部门", "文件", "总数", "接收", "警告", "拒收", "无变化", "更正"],
        [
            (
                i.batch_no,
                i.started_at,
                i.category,
                i.department_code,
                i.file_name or "(接口推送)",
                i.total,
                i.accepted,
                i.warned,
                i.rejected,
                i.unchanged,
                i.revised,
            )
            for i in items
        ],
    )


@batches_app.command("show", help="显示一个批次的统计和有警告的行。")
@handled
def batches_show(batch: Annotated[str, typer.Argument(help="批次号")], as_json: JsonOpt = False) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        actor = cli_actor()
        summary = ingest.get_batch(session, actor, batch)
        warnings = ingest.batch_warnings(session, actor, batch)
        open_rows, _ = ingest.list_quarantine(session, actor, cfg, batch_no=batch, limit=1, with_raw=False)
    if as_json:
        out.emit_json({"batch": summary.as_dict(), "warnings": warnings, "open_quarantine": open_rows})
        return
    out.pairs(
        [
            ("批次", summary.batch_no),
            ("类别 / 部门", f"{summary.category} / {summary.department_code}"),
            ("文件", summary.file_name or "(接口推送)"),
            ("格式 / 编码 / 列映射", f"{summary.file_format} / {summary.encoding or '-'} / {summary.mapping}"),
            *[(label, getattr(summary, key)) for key, label in COUNT_LABELS],
            ("待更正的问题数据", open_rows),
        ]
    )
    if warnings:
        out.heading("有警告的行：")
        out.table(
            ["行号", "记录", "主体", "警告"],
            [(w.source_row, w.natural_key, w.subject_name, _errors(w.warnings)) for w in warnings],
        )


# --- catalog, departments, subjects -------------------------------------------------------------------------


def _field_row(f: Any) -> tuple[Any, ...]:
    required = "是" if f.mandatory else ("条件必填" if f.mandatory_when else "")
    return (f.key, f.name, f.type, required, DISCLOSURE_LABELS.get(f.disclosure, f.disclosure), "、".join(f.enum or []))


def _category_json(cat: CategoryDef) -> dict[str, Any]:
    return cat.model_dump(mode="json")


@catalog_app.callback(invoke_without_command=True, help="信用信息目录：不带子命令时列出类别及其数据项。")
@handled
def catalog_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    if ctx.invoked_subcommand is not None:
        return
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        catalog = catalog_service.active_catalog(session)
    cats = catalog.categories()
    if as_json:
        out.emit_json({"version": catalog.version, "categories": [_category_json(c) for c in cats]})
        return
    typer.echo(f"信用信息目录（版本 {catalog.version}），共 {len(cats)} 类：")
    for cat in cats:
        out.heading(f"{cat.code}  {cat.name}（{len(cat.fields)} 个数据项；唯一标识：{'、'.join(cat.natural_key)}）")
        typer.echo("  " + "、".join(("*" if f.mandatory else "") + f.name for f in cat.fields))
    typer.echo("\n（* 为必填项；tcredit catalog show 代码 查看详细定义）")


@catalog_app.command("show", help="显示一个类别的数据项定义。")
@handled
def catalog_show(code: Annotated[str, typer.Argument(help="类别代码或名称")], as_json: JsonOpt = False) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        cat = catalog_service.active_catalog(session).category(category_code(session, code))
    if as_json:
        out.emit_json(_category_json(cat))
        return
    out.pairs(
        [
            ("类别", f"{cat.code} {cat.name}"),
            ("双公示", f"是（{cat.report_within_workdays} 个工作日内报送）" if cat.dual_publicity else "否"),
            ("唯一标识", "、".join(cat.natural_key)),
            ("来源部门类型", "、".join(cat.source_department_kinds)),
            ("行业领域", "、".join(d.name for d in cat.domains) or "-"),
        ]
    )
    typer.echo("")
    out.table(["键", "名称", "类型", "必填", "公开级别", "取值范围"], [_field_row(f) for f in cat.fields])


@catalog_app.command("load", help="加载一个目录文件（目录、列映射或公示规则，YAML）。需要管理员权限。")
@handled
def catalog_load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML 文件")], as_json: JsonOpt = False
) -> None:
    cfg = settings()
    actor = cli_actor()
    with database(cfg) as db, db.unit_of_work() as session:
        row = catalog_service.load_file(session, actor, file)
        result = None
        if row is not None:
            result = {
                "kind": row.kind,
                "scope": row.scope,
                "name": row.name,
                "version": row.version,
                "sha256": row.sha256,
            }
            audit(
                session,
                actor,
                "catalog.load",
                row.kind,
                f"{row.scope}/{row.name}",
                {"version": row.version, "sha256": row.sha256},
            )
        version = catalog_service.active_catalog(session).version
    if as_json:
        out.emit_json({"loaded": result, "catalog_version": version})
        return
    if result is None:
        typer.echo(f"内容与当前生效的版本相同，未做更改（目录版本 {version}）。")
    else:
        typer.echo(
            f"已加载 {result['kind']} {result['scope']}/{result['name']} 版本 {result['version']}；目录版本 {version}"
        )


@departments_app.command("list", help="列出部门及其可报送的信用信息类别。")
@handled
def departments_list(
    include_inactive: Annotated[bool, typer.Option("--all", help="包括已停用的部门")] = False, as_json: JsonOpt = False
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        rows: list[dict[str, Any]] = [
            {
                "code": d.code,
                "name": d.name,
                "kind": d.kind,
                "level": d.level,
                "region_code": d.region_code,
                "parent_code": d.parent_code,
                "uscc": d.uscc,
                "categories": list(d.categories),
                "active": d.active,
            }
            for d in auth.list_departments(session, include_inactive=include_inactive)
        ]
    if as_json:
        out.emit_json(rows)
        return
    out.table(
        ["编码", "名称", "类型", "级别", "区划", "可报送类别"],
        [(r["code"], r["name"], r["kind"], r["level"], r["region_code"], "、".join(r["categories"])) for r in rows],
    )


@subjects_app.command("show", help="显示信用主体的信用档案（政务共享视图，个人信息已脱敏）。")
@handled
def subjects_show(
    code: Annotated[str, typer.Argument(help="统一社会信用代码、旧代码或身份证号码")],
    history: Annotated[bool, typer.Option("--history", help="包括记录的历史版本")] = False,
    category: Annotated[str | None, typer.Option("--category", help="只看某一类别")] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        cat = category_code(session, category) if category else None
        file = subject_file(session, cli_actor(), cfg, code, category=cat, include_history=history)
    if as_json:
        out.emit_json(file)
        return
    out.pairs(
        [
            ("名称", file.name),
            ("类型", file.kind_label),
            ("统一社会信用代码", file.uscc),
            ("证件号码", file.id_masked),
            ("法定代表人", file.legal_representative),
            ("区划", file.region_code),
            ("记录", "、".join(f"{k} {v} 条" for k, v in sorted(file.counts.items())) or "无"),
        ]
    )
    if file.aliases:
        out.pairs([(f"曾用代码（{k}）", "、".join(v)) for k, v in file.aliases.items()])
    if file.records:
        typer.echo("")
        out.table(
            ["类别", "文书号", "版本", "当前", "决定日期", "严重程度", "公示至", "按时报送", "部门"],
            [
                (
                    r.category_name,
                    r.natural_key,
                    r.revision,
                    r.is_current,
                    r.decision_date,
                    SEVERITY_LABELS.get(r.severity or "", r.severity),
                    r.publicity_end,
                    r.on_time,
                    r.department_code,
                )
                for r in file.records
            ],
        )


# --- audit ---------------------------------------------------------------------------------------------------


@audit_app.command("verify", help="校验审计日志哈希链；发现篡改时退出码为 1 并指出位置。")
@handled
def audit_verify(as_json: JsonOpt = False) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        report = verify(session)
    if as_json:
        out.emit_json(report)
    elif report.ok:
        typer.echo(f"审计日志完整：共校验 {report.checked} 条，最新序号 {report.last_seq}，链头哈希 {report.head_hash}")
    else:
        typer.secho(f"审计日志校验失败：{report.problem}", err=True, fg=typer.colors.RED)
        typer.echo(f"第一处问题：第 {report.first_bad_seq} 条；此前 {report.checked} 条完整。", err=True)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("list", help="列出最近的审计日志条目。")
@handled
def audit_list(
    action: Annotated[str | None, typer.Option("--action", help="只看某一操作，如 batch.import")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        entries = [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "actor_kind": e.actor_kind,
                "department_code": e.department_code,
                "action": e.action,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "details": e.details,
                "entry_hash": e.entry_hash,
            }
            for e in list_entries(session, cli_actor(), action=action, limit=limit)
        ]
    if as_json:
        out.emit_json(entries)
        return
    out.table(
        ["序号", "时间", "操作人", "操作", "对象"],
        [
            (e["seq"], e["at"], f"{e['actor_kind']}:{e['actor']}", e["action"], f"{e['target_type']}:{e['target_id']}")
            for e in entries
        ],
    )


# --- calendar ------------------------------------------------------------------------------------------------


@calendar_app.command("load", help="加载一年的节假日安排（YAML，国务院办公厅通知），覆盖内置数据。需要管理员权限。")
@handled
def calendar_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML 文件")]) -> None:
    from pydantic import ValidationError
    from yaml import YAMLError

    cfg = settings()
    try:
        schedule = load_schedule(file)
    except ValidationError as exc:
        problems = "；".join(f"{'.'.join(str(p) for p in e['loc']) or '文件'}: {e['msg']}" for e in exc.errors())
        raise CliError(f"节假日安排文件无效：{problems}") from None
    except (YAMLError, UnicodeDecodeError) as exc:
        raise CliError(f"节假日安排文件无法读取：{exc}") from None
    actor = cli_actor()
    with database(cfg) as db, db.unit_of_work() as session:
        event = load_year(session, actor, schedule)
        audit(
            session,
            actor,
            event.event,
            "calendar_year",
            str(event.year),
            {
                "source": event.source,
                "holidays": list(event.holidays),
                "workdays": list(event.workdays),
                "replaced": event.replaced,
            },
        )
    verb = "已替换" if event.replaced else "已加载"
    typer.echo(
        f"{verb} {event.year} 年节假日安排：工作日放假 {len(event.holidays)} 天，调休上班 {len(event.workdays)} 天。"
    )


@calendar_app.command("show", help="显示某一年的放假日（工作日放假）和调休上班日。")
@handled
def calendar_show(year: Annotated[int, typer.Argument(help="年份")], as_json: JsonOpt = False) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as session:
        cal = build_calendar(session)
    first = dt.date(year, 1, 1)
    days = [first + dt.timedelta(days=i) for i in range((dt.date(year, 12, 31) - first).days + 1)]
    holidays = [d for d in days if d.weekday() < 5 and not cal.is_workday(d)[0]]
    workdays = [d for d in days if d.weekday() >= 5 and cal.is_workday(d)[0]]
    estimated = cal.is_workday(first)[1]
    count = sum(1 for d in days if cal.is_workday(d)[0])
    if as_json:
        out.emit_json(
            {
                "year": year,
                "estimated": estimated,
                "workdays_total": count,
                "holidays": holidays,
                "makeup_workdays": workdays,
            }
        )
        return
    typer.echo(f"{year} 年：工作日 {count} 天" + ("（无该年安排数据，按固定节日推算）" if estimated else ""))
    typer.echo("工作日放假：" + ("、".join(d.strftime("%m-%d") for d in holidays) or "无"))
    typer.echo("调休上班：" + ("、".join(d.strftime("%m-%d") for d in workdays) or "无"))


def main() -> None:  # pragma: no cover - console entry point alias
    app()
