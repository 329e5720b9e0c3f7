"""``tcredit report``: the monthly report (信用交通月报) as text, JSON or an Excel workbook."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from transport_credit.cli import output as out
from transport_credit.cli.context import cli_actor, database, handled, settings
from transport_credit.monitoring import service
from transport_credit.monitoring.report import CST, UnitFigures, percent

report_app = typer.Typer(help="信用交通月报：归集、质量、应用、办理和共享交换情况及指标。", no_args_is_help=True)


def _unit(u: UnitFigures) -> dict[str, Any]:
    return {**dataclasses.asdict(u), "on_time_rate": u.on_time_rate, "qualified_rate": u.qualified_rate}


@report_app.command("monthly", help="某月的月报（默认本月，截至目前）。")
@handled
def monthly_cmd(
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="另存为 Excel 文件")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")] = False,
) -> None:
    chosen = month or f"{dt.datetime.now(CST):%Y-%m}"
    with database(settings()) as db, db.read() as s:
        report = service.monthly_report(s, cli_actor(), settings(), chosen)
    if xlsx is not None:
        xlsx.write_bytes(service.to_xlsx(report))
    if as_json:
        data = dataclasses.asdict(report)
        data["totals"] = _unit(report.totals)
        data["departments"] = [_unit(u) for u in report.departments]
        data["cities"] = [_unit(u) for u in report.cities]
        out.emit_json(data)
        return
    typer.echo(f"{report.province}信用交通月报 {report.month}")
    out.table(
        ["指标", "本月", "目标", "达标"],
        [
            [i.name, i.value, i.target or "—", "—" if i.met is None else ("是" if i.met else "否")]
            for i in report.indicators
        ],
    )
    typer.echo("")
    out.table(
        ["排名", "地市", "归集记录", "按时上报率", "合格率", "信用核查"],
        [
            [u.rank or "—", u.name, u.received, percent(u.on_time_rate), percent(u.qualified_rate), u.checks]
            for u in report.cities
        ],
    )
    if xlsx is not None:
        typer.echo(f"已保存：{xlsx}")
