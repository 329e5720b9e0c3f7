"""``tcredit accounts`` and ``tcredit api-keys``: console accounts (用户账号) and business systems (接入系统) with
their keys, locks, password resets and interface state (接口状态监测) — the console's 用户管理 and 接口监测 pages for
the server's operator."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy import select

from transport_credit.auth import admin
from transport_credit.auth import service as auth
from transport_credit.auth.schema import API_SCOPES, SCOPE_SUBMIT
from transport_credit.cli import output as out
from transport_credit.cli.context import CliError, category_code, cli_actor, database, handled, settings
from transport_credit.common.actor import ALL_ROLES
from transport_credit.monitoring import interfaces

accounts_app = typer.Typer(help="用户账号：创建、查看、解锁、重置密码、停用与启用。", no_args_is_help=True)
api_keys_app = typer.Typer(
    help="接入系统及其 API 密钥：登记、查看、接口状态、更换密钥、停用与启用。", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")]
AccountId = Annotated[int, typer.Argument(help="账号编号（tcredit accounts list）", min=1)]
ClientId = Annotated[int, typer.Argument(help="接入系统编号（tcredit api-keys list）", min=1)]


@accounts_app.command("create", help="创建用户账号。")
@handled
def accounts_create(
    username: Annotated[str, typer.Argument(help="用户名（小写字母、数字）")],
    department: Annotated[str | None, typer.Option("--department", help="所属部门编码")] = None,
    role: Annotated[list[str] | None, typer.Option("--role", help=f"角色，可多次指定：{'、'.join(ALL_ROLES)}")] = None,
    display_name: Annotated[str | None, typer.Option("--name", help="姓名（默认同用户名）")] = None,
    password: Annotated[str | None, typer.Option("--password", help="密码（不指定时交互输入）")] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    if password is None:
        password = typer.prompt("密码（至少 10 位，含字母和数字）", hide_input=True, confirmation_prompt="再次输入密码")
    assert password is not None
    with database(cfg) as db, db.unit_of_work() as session:
        account = auth.create_account(
            session, cli_actor(), username, display_name or username, password, department, role or ["data_officer"]
        )
        result: dict[str, Any] = {
            "id": account.id,
            "username": account.username,
            "roles": list(account.roles),
            "department_code": department,
        }
    if as_json:
        out.emit_json(result)
        return
    typer.echo(f"已创建账号 {result['username']}（角色：{'、'.join(result['roles'])}；部门：{department or '-'}）")


@api_keys_app.command("create", help="登记接入系统并生成 API 密钥（密钥只显示这一次）。")
@handled
def api_keys_create(
    name: Annotated[str, typer.Argument(help="接入系统名称")],
    department: Annotated[str, typer.Option("--department", help="所属部门编码")],
    category: Annotated[list[str] | None, typer.Option("--category", help="可报送的类别代码，可多次指定")] = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help=f"权限范围，可多次指定：{'、'.join(API_SCOPES)}")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as session:
        cats = [category_code(session, c) for c in (category or [])]
        client, key = auth.create_api_client(session, cli_actor(), name, department, cats, scope or [SCOPE_SUBMIT])
        result = {
            "id": client.id,
            "name": client.name,
            "department_code": department,
            "categories": list(client.categories),
            "scopes": list(client.scopes),
            "key_prefix": client.key_prefix,
            "api_key": key,
        }
    if as_json:
        out.emit_json(result)
        return
    typer.echo(f"已登记接入系统「{result['name']}」（编号 {result['id']}）。")
    typer.echo(f"API 密钥（只显示这一次，请妥善保存）：{key}")


@api_keys_app.command("list", help="列出接入系统（不显示密钥）。")
@handled
def api_keys_list(
    department: Annotated[str | None, typer.Option("--department", help="部门编码")] = None, as_json: JsonOpt = False
) -> None:
    from transport_credit.auth.models import Department

    cfg = settings()
    with database(cfg) as db, db.read() as session:
        codes = {row.id: row.code for row in session.execute(select(Department.id, Department.code))}
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "name": c.name,
                "department_code": codes.get(c.department_id),
                "categories": list(c.categories),
                "scopes": list(c.scopes),
                "key_prefix": c.key_prefix,
                "active": c.active,
                "last_used_at": c.last_used_at,
            }
            for c in auth.list_api_clients(session, cli_actor(), department)
        ]
    if as_json:
        out.emit_json(rows)
        return
    out.table(
        ["编号", "名称", "部门", "类别", "权限", "密钥前缀", "启用", "最近使用"],
        [
            (
                r["id"],
                r["name"],
                r["department_code"],
                "、".join(r["categories"]),
                "、".join(r["scopes"]),
                r["key_prefix"],
                r["active"],
                r["last_used_at"],
            )
            for r in rows
        ],
    )


def _account_row(a: admin.AccountView) -> dict[str, Any]:
    return {
        "id": a.id,
        "username": a.username,
        "department_code": a.department_code,
        "roles": list(a.roles),
        "state": a.state,
        "locked_until": a.locked_until,
        "last_login_at": a.last_login_at,
        "password_changed_at": a.password_changed_at,
    }


def _account_id(session: Any, username_or_id: str) -> int:
    """An account named by its number or its username."""
    if username_or_id.isdigit():
        return int(username_or_id)
    for a in admin.list_accounts(session, cli_actor()):
        if a.username == auth.normalize_username(username_or_id):
            return a.id
    raise CliError(f"账号 {username_or_id} 不存在")


@accounts_app.command("list", help="列出账号及其状态（正常、已锁定、待修改初始密码、密码已过期、已停用）。")
@handled
def accounts_list(
    query: Annotated[str | None, typer.Option("--query", "-q", help="用户名或姓名包含")] = None,
    department: Annotated[str | None, typer.Option("--department", help="部门编码")] = None,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.read() as session:
        items = admin.list_accounts(session, cli_actor(), query=query, department_code=department)
    rows = [_account_row(a) for a in items]
    if as_json:
        out.emit_json(rows)
        return
    out.table(
        ["编号", "用户名", "部门", "角色", "状态", "锁定至", "最近登录"],
        [
            (
                r["id"],
                r["username"],
                r["department_code"] or "-",
                "、".join(r["roles"]),
                admin.STATE_LABELS[r["state"]],
                r["locked_until"] or "",
                r["last_login_at"] or "从未登录",
            )
            for r in rows
        ],
    )


AccountArg = Annotated[str, typer.Argument(help="用户名或账号编号")]


@accounts_app.command("unlock", help="解除因连续登录失败造成的锁定。")
@handled
def accounts_unlock(account: AccountArg, as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.unit_of_work() as session:
        view = admin.unlock_account(session, cli_actor(), _account_id(session, account))
    if as_json:
        out.emit_json(_account_row(view))
        return
    typer.echo(f"已解除账号 {view.username} 的锁定。")


@accounts_app.command("reset-password", help="重置为临时密码（只显示这一次）；本人须在规定时间内登录并修改。")
@handled
def accounts_reset_password(account: AccountArg, as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.unit_of_work() as session:
        view, password = admin.reset_password(session, cli_actor(), _account_id(session, account))
    if as_json:
        out.emit_json({**_account_row(view), "temporary_password": password})
        return
    typer.echo(f"已重置账号 {view.username} 的密码。临时密码（只显示这一次）：{password}")
    typer.echo("本人登录后须立即设置自己的密码。")


@accounts_app.command("deactivate", help="停用账号（其登录会话随即失效）。")
@handled
def accounts_deactivate(account: AccountArg, as_json: JsonOpt = False) -> None:
    _set_active(account, False, as_json)


@accounts_app.command("activate", help="重新启用账号。")
@handled
def accounts_activate(account: AccountArg, as_json: JsonOpt = False) -> None:
    _set_active(account, True, as_json)


def _set_active(account: str, active: bool, as_json: bool) -> None:
    with database(settings()) as db, db.unit_of_work() as session:
        view = admin.set_account_active(session, cli_actor(), _account_id(session, account), active)
    if as_json:
        out.emit_json(_account_row(view))
        return
    typer.echo(f"账号 {view.username} {'已启用' if active else '已停用'}。")


@api_keys_app.command("status", help="接口状态监测：各接入系统近期的调用、报送、拒收和核查情况及状态。")
@handled
def api_keys_status(as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.read() as session:
        report = interfaces.interface_report(session, cli_actor())
    rows = [
        {
            "id": i.client_id,
            "name": i.name,
            "department_code": i.department_code,
            "health": i.health,
            "health_label": i.health_label,
            "last_used_at": i.last_used_at,
            "batches": i.batches,
            "records": i.records,
            "rejected": i.rejected,
            "checks": i.checks,
        }
        for i in report.interfaces
    ]
    if as_json:
        out.emit_json({"window_days": report.window_days, "attention": report.attention, "interfaces": rows})
        return
    typer.echo(f"近 {report.window_days} 天；需要关注的接口 {report.attention} 个。")
    out.table(
        ["编号", "名称", "部门", "状态", "最近调用", "报送批次", "报送记录", "拒收", "核查"],
        [
            (
                r["id"],
                r["name"],
                r["department_code"],
                r["health_label"],
                r["last_used_at"] or "从未调用",
                r["batches"],
                r["records"],
                r["rejected"],
                r["checks"],
            )
            for r in rows
        ],
    )


@api_keys_app.command("rotate", help="更换接入系统的密钥：新密钥只显示这一次，原密钥即时失效。")
@handled
def api_keys_rotate(client_id: ClientId, as_json: JsonOpt = False) -> None:
    with database(settings()) as db, db.unit_of_work() as session:
        client, key = auth.rotate_api_key(session, cli_actor(), client_id)
        result = {"id": client.id, "name": client.name, "key_prefix": client.key_prefix, "api_key": key}
    if as_json:
        out.emit_json(result)
        return
    typer.echo(f"已更换接入系统「{result['name']}」的密钥，原密钥已失效。")
    typer.echo(f"新的 API 密钥（只显示这一次，请妥善保存）：{key}")


@api_keys_app.command("update", help="修改接入系统的接口权限和可报送类别（密钥不变）。")
@handled
def api_keys_update(
    client_id: ClientId,
    scope: Annotated[list[str], typer.Option("--scope", help=f"权限范围，可多次指定：{'、'.join(API_SCOPES)}")],
    category: Annotated[list[str] | None, typer.Option("--category", help="可报送的类别代码，可多次指定")] = None,
    as_json: JsonOpt = False,
) -> None:
    with database(settings()) as db, db.unit_of_work() as session:
        cats = [category_code(session, c) for c in (category or [])]
        client = auth.update_api_client_rights(session, cli_actor(), client_id, categories=cats, scopes=scope)
        result: dict[str, Any] = {
            "id": client.id,
            "name": client.name,
            "categories": list(client.categories),
            "scopes": list(client.scopes),
        }
    if as_json:
        out.emit_json(result)
        return
    scopes, categories = "、".join(result["scopes"]), "、".join(result["categories"]) or "-"
    typer.echo(f"接入系统「{result['name']}」的权限已更新：{scopes}；类别：{categories}")


@api_keys_app.command("deactivate", help="停用接入系统的密钥（调用随即被拒绝）。")
@handled
def api_keys_deactivate(client_id: ClientId, as_json: JsonOpt = False) -> None:
    _set_client_active(client_id, False, as_json)


@api_keys_app.command("activate", help="重新启用接入系统的密钥。")
@handled
def api_keys_activate(client_id: ClientId, as_json: JsonOpt = False) -> None:
    _set_client_active(client_id, True, as_json)


def _set_client_active(client_id: int, active: bool, as_json: bool) -> None:
    switch = auth.activate_api_client if active else auth.deactivate_api_client
    with database(settings()) as db, db.unit_of_work() as session:
        client = switch(session, cli_actor(), client_id)
        result = {"id": client.id, "name": client.name, "active": client.active}
    if as_json:
        out.emit_json(result)
        return
    typer.echo(f"接入系统「{result['name']}」{'已启用' if active else '已停用'}。")
