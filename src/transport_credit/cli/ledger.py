"""``tcredit ledger``: the 信用交通省 work ledger (创建工作台账): load a year's ledger file, show the month's
progress."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from transport_credit.cli import output as out
from transport_credit.cli.context import cli_actor, database, handled, settings
from transport_credit.ledger import rules, service
from transport_credit.monitoring.report import this_month

ledger_app = typer.Typer(help="“信用交通省”创建工作台账：载入台账、查看各任务每月进展。", no_args_is_help=True)


@ledger_app.command("load", help="载入（或更新）一个年度的工作台账文件（YAML）；任务按编号匹配，已报送的进展保留。")
@handled
def load_cmd(
    path: Annotated[Path, typer.Argument(help="台账文件", exists=True, dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")] = False,
) -> None:
    cfg = settings()
    doc = service.read_ledger_file(path)
    with database(cfg) as db, db.unit_of_work() as s:
        result = service.load_ledger(s, cli_actor(), cfg, doc)
    if as_json:
        out.emit_json(dataclasses.asdict(result))
        return
    typer.echo(
        f"已载入 {result.year} 年工作台账：新增 {result.added} 项，更新 {result.updated} 项，移除 {result.retired} 项。"
    )


@ledger_app.command("show", help="某月（默认本月）各台账任务的状态和各责任单位的进展。")
@handled
def show_cmd(
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM")] = None,
    department: Annotated[str | None, typer.Option("--department", help="责任单位编码")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="另存为 Excel 文件")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")] = False,
) -> None:
    cfg = settings()
    chosen = month or this_month()
    with database(cfg) as db, db.read() as s:
        view = service.ledger_view(s, cli_actor(), cfg, month=chosen, department_code=department)
    if xlsx is not None:
        xlsx.write_bytes(service.to_xlsx(view))
    if as_json:
        out.emit_json(dataclasses.asdict(view))
        return
    counts = "，".join(f"{rules.STATE_LABELS[k]} {n}" for k, n in sorted(view.states.items()))
    typer.echo(f"{view.name or '工作台账'}（{view.month}）：{len(view.tasks)} 项任务；{counts or '无'}。")
    out.table(
        ["编号", "完成时限", "状态", "未报送单位"],
        [
            [t.code, t.due, t.state_label, "、".join(u.department_name for u in t.units if u.status is None) or "-"]
            for t in view.tasks
        ],
    )
    if xlsx is not None:
        typer.echo(f"已保存：{xlsx}")
