"""``tcredit applications``: objection and repair applications from the website — the inbox (with the overdue
ones, for scripts that watch deadlines) and the handling steps, as the CLI actor."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from transport_credit.cli import output as out
from transport_credit.cli.context import cli_actor, database, handled, settings
from transport_credit.disclosure.rules import china_today
from transport_credit.portal import handling, repair_notice, transfers
from transport_credit.portal import service as portal
from transport_credit.portal.models import PortalApplication
from transport_credit.portal.rules import APPLICATION_KINDS

applications_app = typer.Typer(help="异议与信用修复申请：查看、受理、不予受理、办结。", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")]
_HEADERS = ["编号", "受理编号", "类型", "主体", "涉及信息", "状态", "期限", "逾期"]


def _view(app: PortalApplication, today: Any) -> dict[str, Any]:
    """What the CLI shows of an application: no contact details (the console shows them, audited)."""
    return {
        "id": app.id,
        "tracking_no": app.tracking_no,
        "kind": app.kind,
        "kind_label": APPLICATION_KINDS.get(app.kind, app.kind),
        "subject_id": app.subject_id,
        "record_id": app.record_id,
        "record_category": app.record_category,
        "record_title": app.record_title,
        "applicant_name": app.applicant_name,
        "contact_masked": app.contact_masked,
        "reason": app.reason,
        "status": app.status,
        "status_label": handling.status_label(app.status),
        "submitted_at": app.submitted_at,
        "accept_due": app.accept_due,
        "decide_due": app.decide_due,
        "deadline_estimated": app.deadline_estimated,
        "overdue": handling.is_overdue(app.status, app.accept_due, app.decide_due, today),
        "accepted_at": app.accepted_at,
        "decided_at": app.decided_at,
        "handled_by": app.handled_by,
        "reply": app.reply,
        "result_record_id": app.result_record_id,
        "verify_department": app.verify_department,
        "verify_due": app.verify_due,
        "verification": app.verification,
        "verification_note": app.verification_note,
        "verified_at": app.verified_at,
        "verified_by": app.verified_by,
    }


def _row(v: dict[str, Any]) -> list[object]:
    due = v["accept_due"] if v["status"] == "received" else v["decide_due"] if v["status"] == "accepted" else None
    return [
        v["id"],
        v["tracking_no"],
        v["kind_label"],
        v["subject_id"],
        v["record_title"] or "（主体整体）",
        v["status_label"],
        due,
        "是" if v["overdue"] else "",
    ]


@applications_app.command("list", help="查看申请：默认为办理中的（按期限，最紧急的在前）；--view overdue 只看逾期的。")
@handled
def list_cmd(
    view: Annotated[Literal["open", "overdue", "closed", "all"], typer.Option("--view")] = "open",
    kind: Annotated[Literal["objection", "repair"] | None, typer.Option("--kind")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 100,
    as_json: JsonOpt = False,
) -> None:
    today = china_today()
    with database(settings()) as db, db.read() as s:
        items, total = portal.application_inbox(s, cli_actor(), kind=kind, view=view, limit=limit, today=today)
        counts = portal.inbox_counts(s, cli_actor(), today=today)
        views = [_view(a, today) for a in items]
    if as_json:
        out.emit_json({"view": view, "total": total, "counts": counts, "items": views})
        return
    out.table(_HEADERS, [_row(v) for v in views])
    typer.echo(f"共 {total} 件（办理中 {counts['open']}，其中逾期 {counts['overdue']}；已办结 {counts['closed']}）")


def _show(app: PortalApplication, as_json: bool) -> None:
    v = _view(app, china_today())
    if as_json:
        out.emit_json(v)
        return
    out.table(_HEADERS, [_row(v)])
    typer.echo(f"申请理由：{v['reason']}")
    if v["verify_department"]:
        finding = handling.FINDING_LABELS.get(v["verification"] or "", "待核实")
        typer.echo(f"信息提供单位核实：{v['verify_department']}，期限 {v['verify_due']}，{finding}")
    if v["reply"]:
        typer.echo(f"答复意见：{v['reply']}")


@applications_app.command("show", help="查看一件申请。")
@handled
def show_cmd(application_id: int, as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.read() as s:
        _show(portal.application_detail(s, cli_actor(), application_id), as_json)


@applications_app.command("accept", help="受理（期限按工作日计算）；指明信息的异议交由信息提供单位核实。")
@handled
def accept_cmd(
    application_id: int,
    record_id: Annotated[int | None, typer.Option("--record-id", help="申请未指明信息时，所涉及的记录")] = None,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        _show(portal.accept_application(s, cli_actor(), settings(), application_id, record_id=record_id), as_json)


@applications_app.command("verifications", help="交由信息提供单位核实的异议：默认为待核实的（按期限）。")
@handled
def verifications_cmd(
    view: Annotated[Literal["open", "done", "all"], typer.Option("--view")] = "open",
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 100,
    as_json: JsonOpt = False,
) -> None:
    today = china_today()
    with database(settings()) as db, db.read() as s:
        items, total = portal.verification_queue(s, cli_actor(), view=view, limit=limit)
    rows = [
        {
            **asdict(t),
            "overdue": handling.verification_overdue(t.status, t.verify_due, t.verification, today),
        }
        for t in items
    ]
    if as_json:
        out.emit_json({"view": view, "total": total, "items": rows})
        return
    out.table(
        ["编号", "受理编号", "涉及信息", "核实单位", "核实期限", "核实结论", "逾期"],
        [
            [
                r["id"],
                r["tracking_no"],
                r["record_title"],
                r["department"],
                r["verify_due"],
                handling.FINDING_LABELS.get(r["verification"] or "", "待核实"),
                "是" if r["overdue"] else "",
            ]
            for r in rows
        ],
    )
    typer.echo(f"共 {total} 件")


@applications_app.command(
    "verify", help="代信息提供单位录入核实意见（如书面反馈）：accurate 信息准确，inaccurate 信息有误。"
)
@handled
def verify_cmd(
    application_id: int,
    finding: Annotated[Literal["accurate", "inaccurate"], typer.Option("--finding")],
    note: Annotated[str, typer.Option("--note", help="核实说明")],
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        portal.submit_verification(s, cli_actor(), application_id, finding=finding, note=note)
        _show(portal.application_detail(s, cli_actor(), application_id), as_json)


@applications_app.command("refuse", help="不予受理，并说明理由（申请人可在网站查看）。")
@handled
def refuse_cmd(
    application_id: int,
    reply: Annotated[str, typer.Option("--reply", help="不予受理的理由")],
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        _show(portal.refuse_application(s, cli_actor(), cfg, application_id, reply=reply), as_json)


@applications_app.command("decide", help="办结：异议 corrected/revoked/dismissed，修复 repaired/denied。")
@handled
def decide_cmd(
    application_id: int,
    outcome: Annotated[Literal["corrected", "revoked", "dismissed", "repaired", "denied"], typer.Option("--outcome")],
    reply: Annotated[str, typer.Option("--reply", help="答复意见（申请人可在网站查看）")],
    record_id: Annotated[int | None, typer.Option("--record-id", help="申请未指明信息时，所涉及的记录")] = None,
    obligations_met: Annotated[
        bool, typer.Option("--obligations-met", help="确认申请人已履行法定义务（准予修复时必需）")
    ] = False,
    commitment_made: Annotated[
        bool, typer.Option("--commitment-made", help="确认申请人已作出信用承诺（准予修复时必需）")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.unit_of_work() as s:
        app = portal.decide_application(
            s,
            cli_actor(),
            settings(),
            application_id,
            outcome=outcome,
            reply=reply,
            record_id=record_id,
            obligations_met=obligations_met,
            commitment_made=commitment_made,
        )
        _show(app, as_json)


@applications_app.command("transfer-replies", help="转办回复：各来源平台已办结、待回复的转办申请数。")
@handled
def transfer_replies_cmd(as_json: JsonOpt = False) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as s:
        awaiting = transfers.awaiting_reply(s, cli_actor())
    if as_json:
        out.emit_json(awaiting)
        return
    names = transfers.transfer_sources(cfg.province)
    out.table(
        ["来源平台", "代码", "待回复"],
        [[names[c].name if c in names else c, c, n] for c, n in sorted(awaiting.items())],
    )


@applications_app.command("transfer-reply", help="导出给来源平台的办理结果回复文件（GB18030 CSV），并标记为已回复。")
@handled
def transfer_reply_cmd(
    source: Annotated[str, typer.Argument(help="来源平台代码：creditchina、creditchina_local、transport_credit")],
    out_file: Annotated[Path, typer.Option("--out", help="回复文件保存位置")],
    again: Annotated[bool, typer.Option("--again", help="重新导出已回复的（不再标记）")] = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        reply = transfers.export_replies(s, cli_actor(), cfg, source, again=again)
        out_file.write_bytes(reply.body)
    typer.echo(f"已导出 {reply.count} 件转办申请的办理结果：{out_file}")


@applications_app.command("repair-notice", help="行政处罚信息的信用修复告知书（随处罚决定书一并送达，“两书同达”）。")
@handled
def repair_notice_cmd(
    decision_no: Annotated[str, typer.Argument(help="行政处罚决定书文号")],
    out_file: Annotated[Path | None, typer.Option("--out", help="写入文件（UTF-8 带 BOM，CRLF 换行）")] = None,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as s:
        notice = repair_notice.notice_for_key(s, cli_actor(), cfg, "XZCF", decision_no)
    if out_file is not None:
        out_file.write_bytes(repair_notice.notice_file(notice))
        typer.echo(f"已写入 {out_file}")
        return
    typer.echo(notice.text, nl=False)
