"""``tcredit lists|measures|checks|effects|cases``: red/black/watch lists, the measure list, credit checks, the
monthly effect list and typical cases, as the CLI actor (信用办 / 系统)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Literal

import typer

from transport_credit.cli import output as out
from transport_credit.cli.context import cli_actor, database, handled, settings
from transport_credit.commitments import rules as commitment_rules
from transport_credit.commitments.rules import CommitmentRoute
from transport_credit.common.actor import SYSTEM
from transport_credit.lists import cases, checks, effects
from transport_credit.lists import service as lists
from transport_credit.lists.criteria import propose_automatic
from transport_credit.lists.rules import LIST_TYPE_LABELS, MATTER_KIND_LABELS, list_rules

lists_app = typer.Typer(
    help="红黑名单、重点关注名单：提出、告知、公布、移出、到期处理、导入部级名单。", no_args_is_help=True
)
measures_app = typer.Typer(help="联合奖惩措施清单与核查事项清单。", no_args_is_help=True)
checks_app = typer.Typer(help="信用核查（逢批必查）。", no_args_is_help=True)
effects_app = typer.Typer(help="联合奖惩成效清单。", no_args_is_help=True)
cases_app = typer.Typer(help="联合奖惩典型案例。", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")]


def _entry_rows(items: list[lists.EntryView]) -> list[list[object]]:
    return [
        [
            e.id,
            e.entry_no,
            e.list_name,
            e.subject_name,
            e.state_label,
            e.objection_deadline,
            e.valid_from,
            e.valid_until,
        ]
        for e in items
    ]


_ENTRY_HEADERS = ["编号", "认定文号", "名单", "主体", "状态", "异议期至", "有效期自", "有效期至"]


def _show(view: lists.EntryView, as_json: bool) -> None:
    if as_json:
        out.emit_json(dataclasses.asdict(view))
    else:
        out.table(_ENTRY_HEADERS, _entry_rows([view]))


@lists_app.command("list", help="查看名单条目（可按状态、名单筛选）。")
@handled
def list_cmd(
    state: Annotated[str | None, typer.Option("--state", help="proposed/notified/listed/removed/rejected")] = None,
    list_code: Annotated[str | None, typer.Option("--list", help="名单编码，如 black、red、watch")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 100,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.read() as s:
        items, total = lists.list_entries(s, cli_actor(), state=state, list_code=list_code, limit=limit)
    if as_json:
        out.emit_json({"total": total, "items": [dataclasses.asdict(e) for e in items]})
        return
    out.table(_ENTRY_HEADERS, _entry_rows(items))
    typer.echo(f"共 {total} 条")


@lists_app.command("show", help="查看一个名单条目、告知书和处理记录。")
@handled
def show_cmd(entry_id: int, as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.read() as s:
        d = lists.get_entry(s, cli_actor(), entry_id)
    if as_json:
        out.emit_json(dataclasses.asdict(d))
        return
    _show(d.entry, False)
    out.pairs([("列入事由", d.entry.reason), ("认定依据", d.entry.basis), ("异议", d.objection_text or "无")])
    if d.notice_text:
        out.heading("告知书")
        typer.echo(d.notice_text)
    out.heading("处理记录")
    out.table(["时间", "操作人", "操作"], [[h["at"], h["actor"], h["action"]] for h in d.history])


@lists_app.command("propose", help="提出列入名单建议。")
@handled
def propose_cmd(
    code: Annotated[str, typer.Argument(help="统一社会信用代码或证件号码")],
    list_code: Annotated[str, typer.Option("--list", help="名单编码：black、red、watch 或专项名单")],
    reason: Annotated[str, typer.Option("--reason", help="列入事由")],
    basis: Annotated[str | None, typer.Option("--basis", help="认定依据")] = None,
    department: Annotated[str | None, typer.Option("--department", help="认定部门编码（默认信用办）")] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        from transport_credit.lists.service import office_department

        view = lists.propose_entry(
            s,
            cli_actor(),
            cfg,
            subject_code=code,
            list_code=list_code,
            reason=reason,
            basis=basis,
            department_code=department or office_department(s),
        )
    _show(view, as_json)


@lists_app.command("notify", help="审核通过：生成告知书，开始异议期。")
@handled
def notify_cmd(entry_id: int, as_json: JsonOpt = False) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        d = lists.notify_entry(s, cli_actor(), cfg, entry_id)
    if as_json:
        out.emit_json(dataclasses.asdict(d))
        return
    _show(d.entry, False)
    typer.echo(d.notice_text or "")


@lists_app.command("object", help="登记当事人的异议（异议期内）。")
@handled
def object_cmd(
    entry_id: int, text: Annotated[str, typer.Option("--text", help="异议内容")], as_json: JsonOpt = False
) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        view = lists.file_objection(s, cli_actor(), entry_id, text)
    _show(view, as_json)


@lists_app.command("resolve", help="处理异议：--upheld 异议成立（不予列入），否则驳回。")
@handled
def resolve_cmd(
    entry_id: int,
    note: Annotated[str, typer.Option("--note", help="处理意见")],
    upheld: Annotated[bool, typer.Option("--upheld/--dismissed")] = False,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        view = lists.resolve_objection(s, cli_actor(), entry_id, upheld=upheld, note=note)
    _show(view, as_json)


@lists_app.command("publish", help="异议期届满后公布（开始有效期）。")
@handled
def publish_cmd(
    entry_id: int,
    months: Annotated[int | None, typer.Option("--months", help="有效期（月），默认按名单规定")] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        view = lists.publish_entry(s, cli_actor(), cfg, entry_id, period_months=months)
    _show(view, as_json)


@lists_app.command("reject", help="不予列入。")
@handled
def reject_cmd(entry_id: int, note: Annotated[str, typer.Option("--note")], as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        view = lists.reject_entry(s, cli_actor(), entry_id, note)
    _show(view, as_json)


@lists_app.command("remove", help="提前移出：repaired 信用修复、corrected 更正、revoked 撤销。")
@handled
def remove_cmd(
    entry_id: int,
    reason: Annotated[str, typer.Option("--reason", help="repaired / corrected / revoked")],
    basis: Annotated[str, typer.Option("--basis", help="移出依据")],
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        view = lists.remove_entry(s, cli_actor(), cfg, entry_id, reason=reason, basis=basis)
    _show(view, as_json)


@lists_app.command("import", help="导入部级下发的专项名单文件（CSV/XLSX）。")
@handled
def import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    list_code: Annotated[str, typer.Option("--list", help="部级名单编码，如 national_overload")],
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        report = lists.import_national_list(s, cli_actor(), cfg, file, file.read_bytes(), list_code=list_code)
    if as_json:
        out.emit_json(dataclasses.asdict(report))
        return
    out.pairs([("文件行数", report.rows), ("已导入", report.imported), ("已在名单中", report.already_listed)])


@lists_app.command("run-jobs", help="到期自动移出，并按认定标准自动提出列入建议（可每日定时执行，可重复执行）。")
@handled
def jobs_cmd(as_json: JsonOpt = False) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        expired = lists.expire_entries(s, SYSTEM, cfg)
        run = propose_automatic(s, SYSTEM, cfg)
    if as_json:
        out.emit_json({"expired": expired, "proposed": len(run.proposed), "by_criterion": run.by_criterion})
        return
    out.pairs(
        [("到期移出", expired), ("自动提出列入建议", len(run.proposed)), ("已在办理中（跳过）", run.skipped_open)]
    )


@measures_app.command("list", help="措施清单。")
@handled
def measures_cmd(as_json: JsonOpt = False) -> None:
    rules = list_rules(settings().province)
    if as_json:
        out.emit_json([m.model_dump() for m in rules.measures.values()])
        return
    out.table(
        ["编码", "措施", "类型", "适用名单", "依据"],
        [
            [
                m.code,
                m.name,
                "激励" if m.kind == "incentive" else "惩戒",
                "、".join(LIST_TYPE_LABELS.get(x, x) for x in m.lists),
                m.basis[:40],
            ]
            for m in rules.measures.values()
        ],
    )


@measures_app.command("matters", help="核查事项清单。")
@handled
def matters_cmd(as_json: JsonOpt = False) -> None:
    rules = list_rules(settings().province)
    if as_json:
        out.emit_json([m.model_dump() for m in rules.matters.values()])
        return
    out.table(["编码", "事项", "类别"], [[m.code, m.name, MATTER_KIND_LABELS[m.kind]] for m in rules.matters.values()])


@measures_app.command("commitment-matters", help="证明事项告知承诺制和容缺受理事项清单。")
@handled
def commitment_matters_cmd(
    letter: Annotated[str | None, typer.Option("--letter", help="打印该编号事项的承诺书格式文本")] = None,
    as_json: JsonOpt = False,
) -> None:
    province = settings().province
    doc, rules = commitment_rules.commitment_matters(province), list_rules(province)
    if letter:
        typer.echo(commitment_rules.filled_template(doc, rules, doc.matter(letter.strip().upper())))
        return
    if as_json:
        out.emit_json([{**m.model_dump(), "matter_name": commitment_rules.matter_name(rules, m)} for m in doc.matters])
        return
    out.table(
        ["编号", "事项", "方式", "证明事项或容缺材料"],
        [[m.code, commitment_rules.matter_name(rules, m), m.mode, m.certificate] for m in doc.matters],
    )


@checks_app.command("run", help="核查一个主体（以信用办名义）。")
@handled
def check_cmd(
    code: Annotated[str, typer.Argument(help="统一社会信用代码或证件号码")],
    matter: Annotated[str, typer.Option("--matter", help="事项编码，如 XK-DLYS-JY")],
    department: Annotated[str | None, typer.Option("--department", help="核查部门编码")] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        from transport_credit.lists.service import office_department

        result = checks.run_check(
            s,
            cli_actor(),
            cfg,
            subject_code=code,
            matter_code=matter,
            department_code=department or office_department(s),
        )
    if as_json:
        out.emit_json(dataclasses.asdict(result))
        return
    out.pairs(
        [
            ("核查编号", result.check_id),
            ("主体", result.subject.name),
            ("事项", result.matter_name),
            ("结论", result.conclusion),
            ("告知承诺、容缺受理", _route_text(result.commitment_route)),
        ]
    )
    out.table(["名单", "文号", "有效期至"], [[e.list_name, e.decision_no, e.valid_until] for e in result.list_entries])
    out.table(["措施", "类型", "依据"], [[m.name, m.kind, m.basis] for m in result.measures])


def _route_text(route: CommitmentRoute | None) -> str:
    if route is None:
        return "本事项未实行"
    ways = "；".join(f"{m.code} {m.mode}" for m in route.matters)
    return f"可适用（{ways}）" if route.available else f"不适用：{route.reason}"


@effects_app.command("export", help="导出某月的成效清单（XLSX 或 CSV）。")
@handled
def effects_cmd(
    year: Annotated[int, typer.Option("--year")],
    month: Annotated[int, typer.Option("--month")],
    output: Annotated[Path, typer.Option("-o", "--output", help="输出文件（.xlsx 或 .csv）")],
    department: Annotated[str | None, typer.Option("--department", help="只导出该执行部门")] = None,
) -> None:
    fmt: Literal["xlsx", "csv"] = "csv" if output.suffix.lower() == ".csv" else "xlsx"
    with database(settings()) as db, db.read() as s:
        lst = effects.effect_list(s, cli_actor(), year=year, month=month, department_code=department)
    output.write_bytes(effects.export_effects(lst, fmt))
    typer.echo(f"已导出 {len(lst.effects)} 条成效记录：{output}")
    out.table(["措施", "次数"], [[c.measure_name, c.count] for c in lst.by_measure])


@cases_app.command("list", help="典型案例。")
@handled
def cases_cmd(status: Annotated[str | None, typer.Option("--status")] = None, as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.read() as s:
        items = cases.list_cases(s, cli_actor(), status=status)
    if as_json:
        out.emit_json([dataclasses.asdict(c) for c in items])
        return
    out.table(
        ["编号", "标题", "类型", "状态", "发布时间"], [[c.id, c.title, c.kind, c.status, c.published_at] for c in items]
    )


@cases_app.command("draft", help="起草典型案例（可基于成效记录或名单条目）。")
@handled
def draft_cmd(
    title: Annotated[str, typer.Option("--title")],
    summary: Annotated[str, typer.Option("--summary")],
    body: Annotated[str, typer.Option("--body")],
    kind: Annotated[str | None, typer.Option("--kind", help="reward / punishment")] = None,
    effect: Annotated[int | None, typer.Option("--effect")] = None,
    entry: Annotated[int | None, typer.Option("--entry")] = None,
) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        c = cases.draft_case(
            s, cli_actor(), title=title, summary=summary, body=body, kind=kind, effect_id=effect, entry_id=entry
        )
    typer.echo(f"已起草案例 {c.id}：{c.title}")


@cases_app.command("publish", help="发布典型案例。")
@handled
def publish_case_cmd(case_id: int) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        c = cases.publish_case(s, cli_actor(), case_id)
    typer.echo(f"已发布：{c.title}")


@cases_app.command("indicator", help="每季度发布典型案例数量（要求每季度 2 个以上）。")
@handled
def indicator_cmd(year: Annotated[int, typer.Option("--year")], as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.read() as s:
        rows = cases.quarter_indicators(s, cli_actor(), year)
    if as_json:
        out.emit_json([{**dataclasses.asdict(r), "met": r.met} for r in rows])
        return
    out.table(
        ["季度", "已发布", "要求", "达标"], [[r.label, r.published, r.required, "是" if r.met else "否"] for r in rows]
    )
