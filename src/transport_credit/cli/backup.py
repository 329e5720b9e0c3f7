"""``tcredit backup``: back the database up (a consistent SQLite snapshot, or ``pg_dump``) with a manifest, and
verify a backup (digest, integrity, the audit chain in the copy). For cron; see docs/operations.md."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from transport_credit.audit.events import record as audit
from transport_credit.backup import create_backup, manifest_path, verify_backup
from transport_credit.cli import output as out
from transport_credit.cli.context import cli_actor, database, handled, settings

backup_app = typer.Typer(help="数据备份：创建备份（含备份说明），校验备份。", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")]


@backup_app.command("create", help="备份数据库到新文件（SQLite：一致性快照；PostgreSQL：pg_dump），并写备份说明。")
@handled
def create_cmd(
    target: Annotated[Path, typer.Argument(help="备份文件（不能已存在），如 /backup/credit-20261125.db")],
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db:
        manifest = create_backup(db, target)
        with db.unit_of_work() as session:
            audit(
                session,
                cli_actor(),
                "platform.backup",
                "backup",
                manifest.file,
                {"format": manifest.format, "sha256": manifest.sha256, "bytes": manifest.bytes},
            )
    if as_json:
        out.emit_json(dataclasses.asdict(manifest))
        return
    typer.echo(f"已备份到 {target}（{manifest.bytes:,} 字节，{manifest.seconds} 秒）")
    typer.echo(f"备份说明：{manifest_path(target)}；SHA-256 {manifest.sha256}")
    typer.echo(f"审计日志 {manifest.audit_entries} 条，末条哈希 {manifest.audit_head or '-'}")


@backup_app.command("verify", help="校验备份：文件摘要、数据库完整性、副本中的审计日志哈希链。不通过时退出码为 1。")
@handled
def verify_cmd(
    backup: Annotated[Path, typer.Argument(help="备份文件")],
    as_json: JsonOpt = False,
) -> None:
    check = verify_backup(backup)
    if as_json:
        out.emit_json(
            {
                "ok": check.ok,
                "problems": check.problems,
                "audit_entries": check.audit_entries,
                "manifest": dataclasses.asdict(check.manifest) if check.manifest else None,
            }
        )
    elif check.ok:
        typer.echo(f"备份校验通过：{backup}")
    if not check.ok:
        if not as_json:
            typer.echo("备份校验未通过：", err=True)
            for problem in check.problems:
                typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(1)
