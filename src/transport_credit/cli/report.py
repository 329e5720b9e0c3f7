"""``tcredit report``: the monthly report (信用交通月报) as text, JSON or an Excel workbook; the credit monitoring
analysis (信用监测分析) as text or JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from transport_credit.catalog.loader import load_province
from transport_credit.cli import output as out
from transport_credit.cli.context import cli_actor, database, handled, settings
from transport_credit.common.actor import ROLE_ADMIN
from transport_credit.monitoring import analysis, coverage, facts, gaps, numbering, service, trends
from transport_credit.monitoring.report import CST, UnitFigures, percent, this_month

report_app = typer.Typer(help="信用交通月报：归集、质量、应用、办理和共享交换情况及指标。", no_args_is_help=True)


def _unit(u: UnitFigures) -> dict[str, Any]:
    return {
        **dataclasses.asdict(u),
        "on_time_rate": u.on_time_rate,
        "qualified_rate": u.qualified_rate,
        "check_rate": u.check_rate,
    }


@report_app.command("monthly", help="某月的月报（默认本月，截至目前）。")
@handled
def monthly_cmd(
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="另存为 Excel 文件")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")] = False,
) -> None:
    chosen = month or this_month()
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


@report_app.command("analysis", help="信用监测分析：趋势、高发问题、各地市（诚信地图）。")
@handled
def analysis_cmd(
    end_month: Annotated[str | None, typer.Option("--end-month", help="截止月份 YYYY-MM（默认本月）")] = None,
    months: Annotated[int | None, typer.Option("--months", help="统计月数（默认取规则文件，12）")] = None,
    domain: Annotated[str | None, typer.Option("--domain", help="只看一个领域（如 道路运输）")] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="先重建全部分析数据（主体注册地变更或更换省份配置后使用）")
    ] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="另存为 Excel 文件")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")] = False,
) -> None:
    chosen = end_month or this_month()
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:  # the analysis refreshes its facts first
        if rebuild:
            cli_actor().require_role(ROLE_ADMIN)
            facts.rebuild(s, load_province(cfg.province).cities)
        a = analysis.credit_analysis(s, cli_actor(), settings(), end_month=chosen, months=months, domain=domain)
    if xlsx is not None:
        xlsx.write_bytes(analysis.to_xlsx(a))
    if as_json:
        data = dataclasses.asdict(a)
        for h, raw in zip(a.headlines, data["headlines"], strict=True):
            for key in ("month_on_month", "year_on_year"):
                change = getattr(h, key)
                raw[key] = {**raw[key], "delta": change.delta, "ratio": change.ratio}
        for spot, raw in zip(a.hotspots, data["hotspots"], strict=True):
            raw["tendency_label"] = spot.tendency_label
        out.emit_json(data)
        return
    scope = f"，领域：{a.domain}" if a.domain else ""
    typer.echo(f"{a.province}信用监测分析 {a.months[0]} 至 {a.end_month}（{len(a.months)} 个月{scope}）")
    out.table(
        ["月份", "行政处罚", "其中严重", "行政许可", "新列入黑名单", "新列入红名单", "新列入重点关注"],
        [[p.month, p.penalties, p.serious, p.licences, p.black, p.red, p.watch] for p in [*a.trend, a.totals]],
    )
    typer.echo("")
    out.table(
        ["指标", a.end_month, "环比", "同比"],
        [
            [h.name, h.current, trends.change_text(h.month_on_month), trends.change_text(h.year_on_year)]
            for h in a.headlines
        ],
    )
    if a.partial_month:
        typer.echo(f"本月截至 {a.today}，环比、同比按同期（1 日至 {a.today.day} 日）比较。")
    typer.echo("")
    typer.echo("高发问题")
    out.table(
        ["排名", "领域", "违法行为类型", "处罚数", "占比", "严重失信", "近期/前期", "趋势"],
        [
            [
                h.rank,
                h.domain or "—",
                h.violation_type,
                h.cases,
                percent(h.share),
                h.serious,
                f"{h.recent}/{h.earlier}",
                h.tendency_label,
            ]
            for h in a.hotspots
        ],
    )
    typer.echo("")
    typer.echo("各地市（诚信地图）")
    out.table(
        ["地市", "主体数", "行政处罚", "每千户处罚", "黑名单主体", "红名单主体"],
        [
            [r.name, r.subjects, r.penalties, "—" if r.rate is None else f"{r.rate:.1f}", r.black, r.red]
            for r in a.regions
        ],
    )
    if xlsx is not None:
        typer.echo(f"已保存：{xlsx}")


@report_app.command("numbers", help="文书号核查：本年度（或指定年度）双公示决定文书号的断号、疑似漏报及说明。")
@handled
def numbers_cmd(
    year: Annotated[int | None, typer.Option("--year", help="年度（默认本年）", min=2000, max=2100)] = None,
    department: Annotated[str | None, typer.Option("--department", help="信息提供单位编码")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")] = False,
) -> None:
    chosen = year or dt.datetime.now(CST).year
    with database(settings()) as db, db.read() as s:
        result = gaps.number_gaps(s, cli_actor(), year=chosen, department_code=department)
    if as_json:
        out.emit_json(
            {
                "year": result.year,
                "checked": result.checked,
                "missing": result.missing,
                "unrecognised": result.unrecognised,
                "sequences": [dataclasses.asdict(q) for q in result.sequences],
            }
        )
        return
    typer.echo(f"{chosen} 年度：核查文书号序列 {result.checked} 个，疑似漏报的序号 {result.missing} 个。")

    def ranges(items: list[numbering.Gap]) -> str:
        shown = [f"{g.start}" if g.start == g.end else f"{g.start}-{g.end}" for g in items[:10]]
        return "、".join(shown) + (f" 等 {len(items)} 段" if len(items) > 10 else "")

    out.table(
        ["序列", "单位", "类别", "已报送", "疑似漏报", "待更正", "已说明", "跳号"],
        [
            [
                q.label(),
                q.department_code,
                q.category,
                f"{q.numbers}（{q.first}-{q.last}）",
                f"{q.missing_count}：{ranges(q.missing)}" if q.missing_count else "0",
                q.rejected,
                q.explained,
                ranges(q.jumps) or "-",
            ]
            for q in result.sequences
        ],
    )


@report_app.command(
    "check-coverage", help="信用查询办率（逢批必查）：某月行政许可决定前核查申请人信用的比例及未核查的许可。"
)
@handled
def check_coverage_cmd(
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM（默认本月）")] = None,
    department: Annotated[str | None, typer.Option("--department", help="报送单位编码")] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="未核查的许可另存为 Excel 文件")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")] = False,
) -> None:
    chosen = month or this_month()
    with database(settings()) as db, db.read() as s:
        result = coverage.check_coverage(s, cli_actor(), settings(), chosen, department, listed=None)
    if xlsx is not None:
        xlsx.write_bytes(coverage.to_xlsx(result))
    if as_json:
        data = dataclasses.asdict(result)
        data.update(licences=result.licences, checked=result.checked, rate=result.rate)
        for line, d in zip(result.departments, data["departments"], strict=True):
            d["rate"] = line.rate
        out.emit_json(data)
        return
    target = f"（目标 {percent(result.target)}）" if result.target is not None else ""
    typer.echo(
        f"{result.month}：行政许可决定 {result.licences} 件，"
        f"决定前 {result.window_days} 日内已核查 {result.checked} 件，查询办率 {percent(result.rate)}{target}；"
        f"开展核查的事项 {len(result.matters)} 项。"
    )
    out.table(
        ["单位", "许可决定", "决定前已核查", "查询办率"],
        [[d.department_name, d.licences, d.checked, percent(d.rate)] for d in result.departments],
    )
    if xlsx is not None:
        typer.echo(f"已保存：{xlsx}")
