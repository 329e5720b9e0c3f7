"""``tcredit xinyi``: the 信易+ scenarios (守信激励应用场景): the list, the cities each family covers, recording a
scenario's launch in a city (or the whole province) and its end, and what the providers granted in a month."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

import typer

from transport_credit.cli import output as out
from transport_credit.cli.context import DATE_FORMATS, JsonOption, cli_actor, database, handled, settings
from transport_credit.incentives import service
from transport_credit.monitoring.report import this_month

xinyi_app = typer.Typer(help="“信易+”守信激励应用场景：场景清单、设区市覆盖、上线登记、成效。", no_args_is_help=True)


@xinyi_app.command("coverage", help="各场景类别（信易批、信易行……）覆盖的设区市，以及登记的上线记录。")
@handled
def coverage_cmd(
    day: Annotated[dt.datetime | None, typer.Option("--date", formats=DATE_FORMATS, help="日期，默认今天")] = None,
    as_json: JsonOption = False,
) -> None:
    cfg = settings()
    on = day.date() if day else None
    with database(cfg) as db, db.read() as s:
        view = service.coverage(s, cfg, day=on)
        launches = service.launches(s, cfg, day=view.day)
    if as_json:
        out.emit_json({"coverage": dataclasses.asdict(view), "launches": [dataclasses.asdict(x) for x in launches]})
        return
    typer.echo(f"截至 {view.day}：")
    out.table(
        ["类别", "已覆盖", "未覆盖的设区市"],
        [
            [f.family.name, f"{len(f.covered)}/{f.total}", "、".join(view.city_names[c] for c in f.missing) or "-"]
            for f in view.families
        ],
    )
    out.table(
        ["编号", "场景", "地区", "提供单位", "上线", "结束"],
        [[x.id, x.scenario_name, x.region_name, x.provider, x.started_on, x.ended_on or "-"] for x in launches],
    )


@xinyi_app.command("launch", help="登记一个场景在某地上线（地区代码为本省代码时表示全省）。")
@handled
def launch_cmd(
    scenario: Annotated[str, typer.Argument(help="场景编码，如 XYX-ETC")],
    region: Annotated[str, typer.Argument(help="设区市或县（市、区）代码，或本省代码（全省）")],
    provider: Annotated[str, typer.Option("--provider", help="提供服务的单位")],
    started: Annotated[dt.datetime, typer.Option("--from", formats=DATE_FORMATS, help="上线日期 YYYY-MM-DD")],
    note: Annotated[str, typer.Option("--note", help="说明（实施方案、优惠内容）")] = "",
    as_json: JsonOption = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        row = service.launch(
            s,
            cli_actor(),
            cfg,
            scenario_code=scenario,
            region_code=region,
            provider=provider,
            started_on=started.date(),
            note=note,
        )
        launch_id = row.id
    if as_json:
        out.emit_json({"id": launch_id})
        return
    typer.echo(f"已登记上线（编号 {launch_id}）。")


@xinyi_app.command("end", help="登记一个场景在某地停止（结束日期为最后一天）。")
@handled
def end_cmd(
    launch_id: Annotated[int, typer.Argument(help="上线记录编号")],
    ended: Annotated[dt.datetime, typer.Option("--on", formats=DATE_FORMATS, help="结束日期 YYYY-MM-DD")],
    reason: Annotated[str, typer.Option("--reason", help="结束原因")],
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        service.end_launch(s, cli_actor(), launch_id, ended_on=ended.date(), reason=reason)
    typer.echo(f"已登记结束（编号 {launch_id}）。")


@xinyi_app.command("usage", help="某月（默认本月）各场景给予优惠的次数和惠及主体数（来自信用核查的反馈）。")
@handled
def usage_cmd(
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM")] = None,
    as_json: JsonOption = False,
) -> None:
    cfg = settings()
    chosen = month or this_month()
    with database(cfg) as db, db.read() as s:
        rows = service.usage(s, cfg, chosen)
        reach = {r.scenario.code: r for r in service.reach(s, cfg)}
    if as_json:
        out.emit_json(
            {
                "month": chosen,
                "scenarios": [
                    {
                        "code": u.scenario.code,
                        "eligible_today": reach[u.scenario.code].eligible,
                        "blocked_today": reach[u.scenario.code].blocked,
                        "granted": u.granted,
                        "subjects": u.subjects,
                        "declined": u.declined,
                    }
                    for u in rows
                ],
            }
        )
        return
    out.table(
        ["编码", "场景", "今日符合条件", "给予优惠", "惠及主体", "未给予"],
        [
            [u.scenario.code, u.scenario.name, reach[u.scenario.code].eligible, u.granted, u.subjects, u.declined]
            for u in rows
        ],
    )
