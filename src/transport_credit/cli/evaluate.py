"""``tcredit evaluate|supervise|warnings``: credit evaluation, 双随机 tasks and early warnings, as the CLI actor."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from transport_credit.cli import output as out
from transport_credit.cli.context import CliError, cli_actor, database, handled, settings
from transport_credit.evaluation import service as evaluation
from transport_credit.settings import Settings
from transport_credit.subjects.service import find_subject
from transport_credit.supervision import service as supervision
from transport_credit.warnings import scan
from transport_credit.warnings import service as warnings

evaluate_app = typer.Typer(help="信用评价：模型、周期评价、动态评价、扣分说明、全国综合评价。", no_args_is_help=True)
supervise_app = typer.Typer(help="分级分类监管：执法人员名录库、双随机抽查、检查结果与公开。", no_args_is_help=True)
warnings_app = typer.Typer(help="信用监测预警：扫描、预警名单、处置。", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")]


def _summary_table(runs: list[evaluation.RunSummary]) -> None:
    out.table(
        ["批次", "模型", "版本", "类型", "周期", "主体数", "等级分布", "写入记录", "预警"],
        [
            [
                r.run_id,
                r.model_name,
                r.model_version,
                "周期评价" if r.kind == "periodic" else "动态评价",
                r.period,
                r.subject_count,
                "，".join(f"{g}:{n}" for g, n in r.grade_counts.items()),
                r.published,
                r.warnings,
            ]
            for r in runs
        ],
    )


@evaluate_app.command("models", help="列出在用的评价模型。")
@handled
def models_cmd(as_json: JsonOpt = False) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as s:
        items = evaluation.list_models(s, cli_actor(), cfg)
    if as_json:
        out.emit_json([m.model_dump() for m in items])
        return
    out.table(
        ["编码", "名称", "版本", "领域", "周期", "等级"],
        [[m.code, m.name, m.version, m.domain, m.period.kind, "/".join(m.grades)] for m in items],
    )


@evaluate_app.command("load-model", help="登记（新增或升级）一个评价模型文件；文件经校验后整体留存。")
@handled
def load_model_cmd(path: Path) -> None:
    if not path.is_file():
        raise CliError(f"文件不存在：{path}")
    with database(settings()) as db, db.unit_of_work() as s:
        model = evaluation.register_model(s, cli_actor(), path.read_text("utf-8"), f"upload:{path.name}")
    typer.echo(f"已登记评价模型「{model.name}」版本 {model.version}")


@evaluate_app.command(
    "run", help="对模型的全部主体执行周期评价，如 tcredit evaluate run highway_construction --period 2025。"
)
@handled
def run_cmd(
    model: str,
    period: Annotated[str, typer.Option("--period", help="年度如 2025；证件周期模型为截止日期如 2025-12-31")],
    region: Annotated[str | None, typer.Option("--region", help="只评价某地区（6位行政区划代码）")] = None,
    version: Annotated[str | None, typer.Option("--version", help="模型版本（重算历史周期）")] = None,
    publish: Annotated[bool, typer.Option("--publish", help="同时写入信用评价结果（XYPJ）记录")] = False,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        summary = evaluation.run_evaluation(
            s, cli_actor(), cfg, model, period, version=version, region_code=region, publish=publish
        )
    if as_json:
        out.emit_json(dataclasses.asdict(summary))
        return
    _summary_table([summary])


@evaluate_app.command("publish", help="把一次评价的结果写入信用评价结果（XYPJ）记录。")
@handled
def publish_cmd(run_id: int) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        n = evaluation.publish_run(s, cli_actor(), cfg, run_id)
    typer.echo(f"已写入 {n} 条信用评价结果记录")


@evaluate_app.command("dynamic", help="动态评价：重新评价最近有记录变化的主体（建议每日运行）。")
@handled
def dynamic_cmd(
    since_hours: Annotated[int, typer.Option("--since-hours", min=1, max=24 * 366, help="多少小时内的变化")] = 24,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=since_hours)
    with database(cfg) as db, db.unit_of_work() as s:
        runs = evaluation.reevaluate_changed(s, cli_actor(), cfg, since=since)
    if as_json:
        out.emit_json([dataclasses.asdict(r) for r in runs])
        return
    _summary_table(runs)


def _subject_id(s: Session, cfg: Settings, code: str) -> int:
    found = find_subject(s, cfg, code)
    if found is not None:
        return found.id
    if code.isdigit() and len(code) < 12:
        return int(code)
    raise CliError(f"未找到信用主体：{code}")


@evaluate_app.command("explain", help="主体的当前评价结果及每一项扣分、加分、直接定级的依据记录。")
@handled
def explain_cmd(
    subject: Annotated[str, typer.Argument(help="统一社会信用代码、证件号码或主体编号")],
    model: Annotated[str | None, typer.Option("--model")] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as s:
        items = evaluation.explain(s, cli_actor(), cfg, _subject_id(s, cfg, subject), model_code=model)
    if as_json:
        out.emit_json([dataclasses.asdict(e) for e in items])
        return
    if not items:
        typer.echo("该主体尚无评价结果")
    for e in items:
        out.heading(f"{e.subject_name} · {e.model_name}（{e.model_version}） · {e.period}")
        out.pairs(
            [
                ("基础分", e.base_score),
                ("扣分", e.deducted),
                ("加分", e.bonus),
                ("得分", e.score),
                ("按得分", e.score_grade),
                ("信用等级", e.grade_label),
                ("上次等级", e.previous_grade or "—"),
                ("调整说明", e.adjustment_text or "—"),
                ("评价方式", "动态评价：" + (e.reason or "") if e.run_kind == "dynamic" else "周期评价"),
                ("有效期至", e.valid_until),
            ]
        )
        out.table(
            ["规则", "说明", "类型", "条数", "分值", "依据记录"],
            [
                [
                    h.rule_code,
                    h.rule_name,
                    {"deduction": "扣分", "bonus": "加分", "override": "直接定级"}.get(h.rule_kind, h.rule_kind),
                    h.match_count,
                    h.points,
                    "；".join(f"{r['title']}（{r['decision_date']}）" for r in h.records[:5])
                    + ("……" if len(h.records) > 5 else ""),
                ]
                for h in e.hits
            ],
        )


@evaluate_app.command("distribution", help="某模型当前等级按地市的分布。")
@handled
def distribution_cmd(
    model: str,
    region: Annotated[str | None, typer.Option("--region")] = None,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.read() as s:
        dist = evaluation.grade_distribution(s, cli_actor(), model, region_code=region)
    if as_json:
        out.emit_json(dist)
        return
    grades = sorted({g for v in dist["by_region"].values() for g in v})
    out.table(
        ["地区", *grades, "合计"],
        [
            [region_code, *[v.get(g, 0) for g in grades], sum(v.values())]
            for region_code, v in dist["by_region"].items()
        ],
    )


@evaluate_app.command("import-provincial", help="导入外省公布的评价结果（CSV：统一社会信用代码,企业名称,信用等级）。")
@handled
def import_provincial_cmd(
    path: Path,
    model: Annotated[str, typer.Option("--model")],
    period: Annotated[str, typer.Option("--period")],
    province: Annotated[str, typer.Option("--province", help="省份代码，如 320000")],
) -> None:
    if not path.is_file():
        raise CliError(f"文件不存在：{path}")
    with database(settings()) as db, db.unit_of_work() as s:
        n = evaluation.import_provincial_grades(
            s,
            cli_actor(),
            model_code=model,
            period=period,
            province_code=province,
            content=path.read_bytes(),
            file_name=path.name,
        )
    typer.echo(f"已导入 {n} 条外省评价结果")


@evaluate_app.command("composite", help="全国综合评价（公路施工：一省评D → 全国C，两省评D → 全国D）。")
@handled
def composite_cmd(
    model: Annotated[str, typer.Option("--model")] = "highway_construction",
    period: Annotated[str, typer.Option("--period")] = str(dt.date.today().year - 1),
    only_d: Annotated[bool, typer.Option("--only-d", help="只列出被评为D的企业")] = False,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as s:
        rows = evaluation.composite(s, cli_actor(), cfg, model_code=model, period=period)
    if only_d:
        rows = [r for r in rows if r.d_count]
    if as_json:
        out.emit_json([dataclasses.asdict(r) for r in rows])
        return
    out.table(
        ["统一社会信用代码", "企业名称", "各省等级", "D级省份数", "全国综合"],
        [
            [
                r.uscc,
                r.name,
                "，".join(f"{p}:{g}" for p, g in r.provincial.items()),
                r.d_count,
                r.national_grade or "按本省等级",
            ]
            for r in rows
        ],
    )


# --------------------------------------------------------------------------------------------------- supervise


@supervise_app.command("add-inspector", help="把一名执法人员加入名录库。")
@handled
def add_inspector_cmd(
    code: Annotated[str, typer.Option("--code", help="执法证号")],
    name: Annotated[str, typer.Option("--name")],
    department: Annotated[str, typer.Option("--department", help="所属单位编码")],
    region: Annotated[str, typer.Option("--region")],
    domain: Annotated[list[str], typer.Option("--domain", help="检查领域，可重复")],
    conflict: Annotated[list[str] | None, typer.Option("--conflict", help="需回避单位的统一社会信用代码")] = None,
) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        i = supervision.add_inspector(
            s,
            cli_actor(),
            code=code,
            name=name,
            department_code=department,
            region_code=region,
            domains=domain,
            conflict_usccs=conflict or [],
        )
    typer.echo(f"已加入名录库：{i.name}（{i.code}）")


@supervise_app.command(
    "import-inspectors", help="从CSV导入执法人员名录（执法证号,姓名,所属单位,行政区划代码,检查领域）。"
)
@handled
def import_inspectors_cmd(path: Path) -> None:
    if not path.is_file():
        raise CliError(f"文件不存在：{path}")
    with database(settings()) as db, db.unit_of_work() as s:
        n = supervision.import_inspectors(s, cli_actor(), path.read_bytes())
    typer.echo(f"已导入 {n} 名执法人员")


def _task_table(view: supervision.TaskView) -> None:
    t = view.task
    out.heading(f"任务 {t.id}：{t.name}（{t.domain}，{t.region_code}，{t.task_date}）")
    out.pairs(
        [
            ("随机种子", t.seed),
            ("输入摘要", t.inputs_sha256),
            ("策略", f"{t.policy_code}@{t.policy_version}"),
            ("状态", "已公开" if t.status == "published" else "已抽取"),
        ]
    )
    out.table(
        ["等级", "对象总数", "抽查比例", "抽取数"],
        [[g, v["population"], v["ratio"], v["drawn"]] for g, v in t.strata.items()],
    )
    out.table(
        ["序号", "检查对象", "等级", "执法人员", "检查结果"],
        [
            [i["position"], i["subject_name"], i["grade"], "、".join(i["inspectors"]), i["result"] or "—"]
            for i in view.items
        ],
    )


@supervise_app.command("draw", help="创建双随机抽查任务并抽取检查对象和执法人员。")
@handled
def draw_cmd(
    domain: Annotated[str, typer.Option("--domain", help="如 道路运输")],
    region: Annotated[str, typer.Option("--region", help="如 410100（郑州）")],
    size: Annotated[int, typer.Option("--size", min=1)],
    name: Annotated[str | None, typer.Option("--name")] = None,
    task_date: Annotated[str | None, typer.Option("--date", help="任务日期 YYYY-MM-DD（默认今天）")] = None,
    seed: Annotated[str | None, typer.Option("--seed", help="随机种子（复现时使用）")] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    try:
        day = dt.date.fromisoformat(task_date) if task_date else dt.date.today()
    except ValueError:
        raise CliError(f"日期格式不正确：{task_date}") from None
    with database(cfg) as db, db.unit_of_work() as s:
        task = supervision.create_task(
            s,
            cli_actor(),
            cfg,
            name=name or f"{day:%Y年%m月%d日}{domain}双随机抽查",
            domain=domain,
            region_code=region,
            size=size,
            task_date=day,
            seed=seed,
        )
        view = supervision.task_detail(s, cli_actor(), task.id)
    if as_json:
        out.emit_json(
            {"task_id": view.task.id, "seed": view.task.seed, "strata": view.task.strata, "items": view.items}
        )
        return
    _task_table(view)


@supervise_app.command("show", help="查看抽查任务。")
@handled
def show_cmd(task_id: int) -> None:
    with database(settings()) as db, db.read() as s:
        _task_table(supervision.task_detail(s, cli_actor(), task_id))


@supervise_app.command("verify", help="用留存的种子和输入重新抽取并核对。")
@handled
def verify_cmd(task_id: int) -> None:
    with database(settings()) as db, db.read() as s:
        r = supervision.verify_draw(s, cli_actor(), task_id)
    out.pairs(
        [
            ("任务", r["task_id"]),
            ("输入完整", "是" if r["inputs_intact"] else "否"),
            ("结果一致", "是" if r["same"] else "否"),
            ("对象数", r["items"]),
        ]
    )
    if not (r["same"] and r["inputs_intact"]):
        raise typer.Exit(1)


@supervise_app.command("result", help="录入一个检查对象的检查结果。")
@handled
def result_cmd(
    item_id: int,
    result: Annotated[str, typer.Option("--result", help="、".join(supervision.RESULTS))],
    note: Annotated[str, typer.Option("--note")] = "",
    inspected_on: Annotated[str | None, typer.Option("--date")] = None,
) -> None:
    day = dt.date.fromisoformat(inspected_on) if inspected_on else dt.date.today()
    with database(settings()) as db, db.unit_of_work() as s:
        supervision.record_result(s, cli_actor(), item_id, result=result, note=note, inspected_on=day)
    typer.echo("已录入")


@supervise_app.command("publish", help="公开抽查结果。")
@handled
def publish_task_cmd(task_id: int) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        supervision.publish_task(s, cli_actor(), task_id)
    typer.echo("抽查结果已公开")


@supervise_app.command("linkage", help="信用关联度：抽查与信用等级关联的比例。")
@handled
def linkage_cmd(as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.read() as s:
        r = supervision.credit_linkage(s, cli_actor())
    if as_json:
        out.emit_json(r)
        return
    out.pairs([("抽查对象数", r["inspections"]), ("与信用等级关联", r["linked"]), ("信用关联度", r["linkage_rate"])])
    out.table(
        ["等级", "抽查数", "已录结果", "发现问题"],
        [[g, v["inspections"], v["with_result"], v["problems"]] for g, v in r["by_grade"].items()],
    )


# ---------------------------------------------------------------------------------------------------- warnings


@warnings_app.command("scan", help="按预警规则扫描信用记录（建议每日运行）。")
@handled
def scan_cmd() -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        counts = scan.scan(s, cli_actor())
    out.table(["规则", "命中"], [[k, v] for k, v in counts.items()])


@warnings_app.command("list", help="预警名单。")
@handled
def warnings_list_cmd(
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    status: Annotated[str | None, typer.Option("--status")] = "open",
    region: Annotated[str | None, typer.Option("--region")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 100,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.read() as s:
        items, total = warnings.list_warnings(s, cli_actor(), kind=kind, status=status, region_code=region, limit=limit)
    if as_json:
        out.emit_json({"total": total, "items": [dataclasses.asdict(w) for w in items]})
        return
    out.table(
        ["编号", "级别", "类型", "主体", "说明", "次数", "时间"],
        [
            [w.id, warnings.LEVELS[w.level], w.kind_label, w.subject_name, w.message, w.occurrences, w.created_at]
            for w in items
        ],
    )
    typer.echo(f"共 {total} 条")


@warnings_app.command("handle", help="处置预警。")
@handled
def handle_cmd(
    warning_id: int,
    note: Annotated[str, typer.Option("--note")],
    dismiss: Annotated[bool, typer.Option("--dismiss", help="排除（误报）")] = False,
) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        warnings.handle_warning(s, cli_actor(), warning_id, status="dismissed" if dismiss else "handled", note=note)
    typer.echo("已处置")
