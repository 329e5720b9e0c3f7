"""``tcredit campaigns``: 诚信缺失突出问题专项治理 — open a campaign from a template, show its targets and their
progress (with the 治理台账 as Excel), record actions and closings, draw new targets, close the campaign."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from transport_credit.campaigns import rules, service
from transport_credit.cli import output as out
from transport_credit.cli.context import DATE_FORMATS, JsonOption, cli_actor, database, handled, settings
from transport_credit.disclosure.rules import china_today

campaigns_app = typer.Typer(help="诚信缺失突出问题专项治理：开展、处置、销号、台账。", no_args_is_help=True)


@campaigns_app.command("list", help="专项治理及其治理对象数、已销号数；--templates 列出可用模板。")
@handled
def list_cmd(
    show_templates: Annotated[bool, typer.Option("--templates", help="列出模板")] = False,
    as_json: JsonOption = False,
) -> None:
    cfg = settings()
    if show_templates:
        doc = service.templates(cfg)
        if as_json:
            out.emit_json(doc)
            return
        out.table(["编码", "模板", "领域"], [[t.code, t.name, t.domain] for t in doc.templates])
        return
    with database(cfg) as db, db.read() as s:
        items = service.campaign_list(s)
    if as_json:
        out.emit_json([dataclasses.asdict(c) for c in items])
        return
    out.table(
        ["编号", "专项治理", "期间", "对象", "已销号", "状态"],
        [[c.id, c.name, f"{c.starts_on} 至 {c.ends_on}", c.targets, c.done, c.status] for c in items],
    )


@campaigns_app.command("open", help="按模板开展专项治理，并确定治理对象。")
@handled
def open_cmd(
    template: Annotated[str, typer.Argument(help="模板编码，如 overload")],
    starts: Annotated[dt.datetime, typer.Option("--from", formats=DATE_FORMATS, help="开始日期 YYYY-MM-DD")],
    ends: Annotated[dt.datetime, typer.Option("--to", formats=DATE_FORMATS, help="结束日期 YYYY-MM-DD")],
    name: Annotated[str, typer.Option("--name", help="名称（默认按模板和年度）")] = "",
    as_json: JsonOption = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        campaign = service.open_campaign(
            s, cli_actor(), cfg, template_code=template, starts_on=starts.date(), ends_on=ends.date(), name=name
        )
        result = {"id": campaign.id, "name": campaign.name}
        targets = len(service.campaign_view(s, cli_actor(), cfg, campaign.id).targets)
    if as_json:
        out.emit_json({**result, "targets": targets})
        return
    typer.echo(f"已开展「{result['name']}」（编号 {result['id']}），治理对象 {targets} 个。")


@campaigns_app.command("show", help="专项治理的治理对象、处置情况和状态。")
@handled
def show_cmd(
    campaign_id: Annotated[int, typer.Argument(help="专项治理编号")],
    department: Annotated[str | None, typer.Option("--department", help="责任单位编码")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="另存治理台账为 Excel 文件")] = None,
    as_json: JsonOption = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as s:
        view = service.campaign_view(s, cli_actor(), cfg, campaign_id, department_code=department)
    if xlsx is not None:
        xlsx.write_bytes(service.to_xlsx(view))
    if as_json:
        out.emit_json(dataclasses.asdict(view))
        return
    counts = "，".join(f"{rules.STATE_LABELS[k]} {n}" for k, n in sorted(view.states.items()))
    typer.echo(f"{view.name}（{view.starts_on} 至 {view.ends_on}）：{len(view.targets)} 个对象；{counts or '无'}。")
    out.table(
        ["编号", "治理对象", "责任单位", "措施", "状态"],
        [
            [t.id, t.subject_name, t.department_name, "、".join(a.name for a in t.actions), t.state_label]
            for t in view.targets
        ],
    )
    if xlsx is not None:
        typer.echo(f"已保存：{xlsx}")


@campaigns_app.command("act", help="登记对治理对象采取的处置措施（interview 约谈、warning 警示、rectify 限期整改……）。")
@handled
def act_cmd(
    target_id: Annotated[int, typer.Argument(help="治理对象编号")],
    action: Annotated[str, typer.Option("--action", help="措施编码")],
    note: Annotated[str, typer.Option("--note", help="处置情况（行业禁入须写明依据）")],
    taken: Annotated[dt.datetime | None, typer.Option("--on", formats=DATE_FORMATS, help="处置日期，默认今天")] = None,
    deadline: Annotated[dt.datetime | None, typer.Option("--deadline", formats=DATE_FORMATS, help="整改期限")] = None,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        row = service.record_action(
            s,
            cli_actor(),
            cfg,
            target_id,
            action=action,
            taken_on=taken.date() if taken else china_today(),
            note=note,
            deadline=deadline.date() if deadline else None,
        )
        due = row.deadline
    typer.echo("已登记。" + (f"整改期限 {due}。" if due else ""))


@campaigns_app.command("finish", help="治理对象整改销号。")
@handled
def finish_cmd(
    target_id: Annotated[int, typer.Argument(help="治理对象编号")],
    note: Annotated[str, typer.Option("--note", help="整改情况")],
    finished: Annotated[dt.datetime | None, typer.Option("--on", formats=DATE_FORMATS, help="默认今天")] = None,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        service.finish_target(
            s, cli_actor(), target_id, finished_on=finished.date() if finished else china_today(), note=note
        )
    typer.echo("已销号。")


@campaigns_app.command("draw", help="按模板补充专项治理期间新出现的治理对象。")
@handled
def draw_cmd(campaign_id: Annotated[int, typer.Argument(help="专项治理编号")]) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        added = service.draw_targets(s, cli_actor(), cfg, campaign_id)
    typer.echo(f"新增治理对象 {added} 个。")


@campaigns_app.command("add", help="手工纳入治理对象（检查发现、投诉举报、有关部门通报等）。")
@handled
def add_cmd(
    campaign_id: Annotated[int, typer.Argument(help="专项治理编号")],
    subject_code: Annotated[str, typer.Argument(help="统一社会信用代码或证件号码")],
    reason: Annotated[str, typer.Option("--reason", help="纳入原因")],
    department: Annotated[str, typer.Option("--department", help="责任单位编码")],
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        target = service.add_target(
            s, cli_actor(), cfg, campaign_id, subject_code=subject_code, reason=reason, department_code=department
        )
        target_id = target.id
    typer.echo(f"已纳入（治理对象编号 {target_id}）。")


@campaigns_app.command("reassign", help="调整治理对象的责任单位。")
@handled
def reassign_cmd(
    target_id: Annotated[int, typer.Argument(help="治理对象编号")],
    department: Annotated[str, typer.Option("--department", help="责任单位编码")],
    reason: Annotated[str, typer.Option("--reason", help="调整原因")],
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        service.reassign_target(s, cli_actor(), target_id, department_code=department, reason=reason)
    typer.echo("已调整责任单位。")


@campaigns_app.command("close", help="结束专项治理并登记工作总结。")
@handled
def close_cmd(
    campaign_id: Annotated[int, typer.Argument(help="专项治理编号")],
    summary: Annotated[str, typer.Option("--summary", help="工作总结")],
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        service.close_campaign(s, cli_actor(), campaign_id, summary=summary)
    typer.echo("专项治理已结束。")
