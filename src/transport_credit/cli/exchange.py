"""``tcredit exchange``: sharing with the national and provincial platforms — targets, the next package (full set
or monthly increment), the packages sent, and a receiver's check of a package."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from transport_credit.auth.service import list_departments
from transport_credit.cli import output as out
from transport_credit.cli.context import CliError, cli_actor, database, handled, settings
from transport_credit.db.uow import Database
from transport_credit.exchange import receipts, rules, service, transfer

exchange_app = typer.Typer(
    help="信用信息共享交换：全量、月度增量交换包，校验交换包，接收方回执与退回记录。", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")]
_HEADERS = ["序号", "对象", "类型", "月份", "记录范围", "条数", "新增或更新", "撤回", "生成时间", "目录"]


def _row(p: service.PackageView) -> list[object]:
    upserts = sum(c.get("upsert", 0) for c in p.counts.values())
    withdrawals = sum(c.get("withdraw", 0) for c in p.counts.values())
    return [
        p.sequence,
        p.target_name,
        rules.KIND_LABELS.get(p.kind, p.kind),
        p.period,
        f"{p.from_record_id + 1}–{p.to_record_id}",
        p.rows,
        upserts,
        withdrawals,
        p.created_at,
        p.directory,
    ]


@exchange_app.command("targets", help="共享交换对象及其信息类别、格式。")
@handled
def targets_cmd(as_json: JsonOpt = False) -> None:
    found = rules.targets(settings().province)
    if as_json:
        out.emit_json([t.model_dump() for t in found.values()])
        return
    out.table(
        ["编码", "名称", "信息类别", "格式", "身份证号"],
        [
            [t.code, t.name, "、".join(t.categories), t.format, "明文" if t.personal_ids == "clear" else "脱敏"]
            for t in found.values()
        ],
    )


@exchange_app.command("export", help="生成交换包：首次为全量，之后为上次以来的增量；--full 重新生成全量。")
@handled
def export_cmd(
    target: Annotated[str, typer.Option("--target", help="交换对象编码，见 tcredit exchange targets")],
    full: Annotated[bool, typer.Option("--full", help="生成全量包（重新建立基线）")] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="交换包的上级目录（默认在数据目录下）")] = None,
    send: Annotated[bool, typer.Option("--send", help="生成后发送到前置交换目录（连同尚未发送的）")] = False,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db:
        with db.unit_of_work() as s:
            package = service.export_package(s, cli_actor(), settings(), target, full=full, out_dir=out_dir)
        sent = _send_pending(db, target) if send else []
    if as_json:
        out.emit_json({**dataclasses.asdict(package), "sent": [dataclasses.asdict(r) for r in sent]})
        return
    out.table(_HEADERS, [_row(package)])
    _echo_sent(sent)


def _send_pending(db: Database, target: str) -> list[transfer.SendResult]:
    with db.unit_of_work() as s:
        return transfer.send_pending(s, cli_actor(), settings(), target)


def _echo_sent(sent: list[transfer.SendResult]) -> None:
    for r in sent:
        typer.echo(f"已发送第 {r.sequence} 号交换包到 {r.destination}" if r.sent else f"第 {r.sequence} 号此前已发送")
    if not sent:
        typer.echo("没有需要发送的交换包。")


@exchange_app.command(
    "send", help="发送交换包到前置交换目录（TRANSPORT_CREDIT_EXCHANGE_OUTBOX）：默认发送该对象尚未发送的全部，按序号。"
)
@handled
def send_cmd(
    target: Annotated[str, typer.Option("--target", help="交换对象编码")],
    sequence: Annotated[int | None, typer.Option("--sequence", min=1, help="只发送该序号的交换包")] = None,
    again: Annotated[bool, typer.Option("--again", help="已发送的也重新发送（接收平台要求重发时）")] = False,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db:
        if sequence is None:
            sent = _send_pending(db, target)
        else:
            with db.unit_of_work() as s:
                package = service.package_by_sequence(s, settings(), target, sequence)
                sent = [transfer.send_package(s, cli_actor(), settings(), package.id, again=again)]
    if as_json:
        out.emit_json([dataclasses.asdict(r) for r in sent])
        return
    _echo_sent(sent)


@exchange_app.command("packages", help="已生成的交换包（最新的在前）。")
@handled
def packages_cmd(
    target: Annotated[str | None, typer.Option("--target")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.read() as s:
        items = service.list_packages(s, cli_actor(), settings(), target=target, limit=limit)
    if as_json:
        out.emit_json([dataclasses.asdict(p) for p in items])
        return
    out.table(_HEADERS, [_row(p) for p in items])


@exchange_app.command("verify", help="校验一个交换包目录：清单、各文件的 SHA-256 与条数（接收方也可使用）。")
@handled
def verify_cmd(directory: Path, as_json: JsonOpt = False) -> None:
    report = service.verify_directory(directory)
    if as_json:
        out.emit_json({"directory": report.directory, "ok": report.ok, "problems": report.problems})
    elif report.ok:
        rows = report.manifest["rows"] if report.manifest else 0
        typer.echo(f"交换包完整：{rows} 条记录，文件校验值与清单一致。")
    if not report.ok:
        if not as_json:
            for problem in report.problems:
                typer.echo(f"问题：{problem}", err=True)
        raise CliError("交换包校验未通过")


@exchange_app.command("receipt", help="导入接收平台对某个交换包的回执（CSV、XLSX 或 JSONL），登记被退回的记录。")
@handled
def receipt_cmd(
    file: Path,
    target: Annotated[str, typer.Option("--target", help="交换对象编码")],
    sequence: Annotated[int, typer.Option("--sequence", min=1, help="交换包序号")],
    as_json: JsonOpt = False,
) -> None:
    if not file.is_file():
        raise CliError(f"找不到回执文件：{file}")
    with database(settings()) as db, db.unit_of_work() as s:
        view = receipts.import_receipt(s, cli_actor(), settings(), target=target, sequence=sequence, path=file)
    if as_json:
        out.emit_json(dataclasses.asdict(view))
        return
    if view.already_imported:
        typer.echo(f"该回执已导入过（{view.created_at:%Y-%m-%d %H:%M}），未重复登记。")
    typer.echo(f"第 {view.sequence} 号交换包回执：接收 {view.accepted} 条，退回 {view.rejected} 条。")
    if view.rejected:
        typer.echo("退回的记录见 tcredit exchange rejections，由信息提供单位更正后随下一期增量报送。")


@exchange_app.command("rejections", help="被接收平台退回、待信息提供单位更正的记录（--all 含已更正的）。")
@handled
def rejections_cmd(
    target: Annotated[str | None, typer.Option("--target")] = None,
    department: Annotated[str | None, typer.Option("--department", help="信息提供单位编码")] = None,
    include_settled: Annotated[bool, typer.Option("--all", help="包括已更正的")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=5000)] = 500,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="另存为 Excel 文件（数据质量通报）")] = None,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.read() as s:
        names = {d.code: d.name for d in list_departments(s, include_inactive=True)}
        items = receipts.list_rejections(
            s,
            cli_actor(),
            settings(),
            target=target,
            department_code=department,
            include_settled=include_settled,
            limit=limit,
        )
    if xlsx is not None:
        xlsx.write_bytes(receipts.rejections_xlsx(items, names))
        typer.echo(f"已写入 {xlsx}（{len(items)} 条）", err=as_json)
    if as_json:
        out.emit_json([{**dataclasses.asdict(x), "settled": x.settled} for x in items])
        return
    out.table(
        ["对象", "包序号", "记录编号", "类别", "业务编号", "信息提供单位", "退回原因", "状态"],
        [
            [
                x.target_name,
                x.sequence,
                x.record_id,
                x.category,
                x.natural_key,
                names.get(x.department_code, x.department_code),
                x.reason,
                f"已更正（记录 {x.corrected_by}）" if x.settled else "待更正",
            ]
            for x in items
        ],
    )
