"""``tcredit reminders``: the reminder service (信用提醒服务): queue the subscribers' reminders and send what is due
(``run``, for cron every few minutes), the outbox, the subscriptions, and the credit office's retry and cancel."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated

import typer

from transport_credit.cli import output as out
from transport_credit.cli.context import JsonOption, cli_actor, database, handled, settings
from transport_credit.reminders import rules, scan, service
from transport_credit.reminders.channels import CHANNEL_LABELS, channel_for


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(rules.CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else "-"


reminders_app = typer.Typer(help="信用提醒服务：扫描并发送提醒、待发送与已发送的提醒、订阅。", no_args_is_help=True)


@reminders_app.command(
    "run", help="为已开通订阅的主体生成到期提醒，并发送所有到期提醒（可每几分钟定时执行，可重复执行）。"
)
@handled
def run_cmd(
    no_send: Annotated[bool, typer.Option("--no-send", help="只生成提醒，不发送")] = False,
    as_json: JsonOption = False,
) -> None:
    cfg = settings()
    with database(cfg) as db:
        found, sent = scan.run(db, cli_actor(), cfg, None if no_send else channel_for(cfg))
    if as_json:
        out.emit_json({"scan": dataclasses.asdict(found), "delivery": dataclasses.asdict(sent)})
        return
    out.pairs(
        [
            ("已开通的订阅", found.subscriptions),
            ("新生成：信息公示提醒", found.published),
            ("新生成：可申请信用修复提醒", found.repair),
            ("新生成：名单到期提醒", found.expiring),
            ("发送通道", CHANNEL_LABELS[cfg.reminder_channel] if not no_send else "本次不发送"),
            ("已发送", sent.sent),
            ("发送失败，稍后重试", sent.retrying),
            ("发送失败（不再重试）", sent.failed),
        ]
    )


@reminders_app.command("list", help="提醒发件箱（号码已脱敏，验证码已隐藏）。")
@handled
def list_cmd(
    state: Annotated[str | None, typer.Option("--state", help="pending/sending/sent/failed/cancelled")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="提醒类型，如 application_accepted")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=5000)] = 50,
    as_json: JsonOption = False,
) -> None:
    cfg = settings()
    labels = rules.reminder_rules(cfg.province).labels()
    with database(cfg) as db, db.read() as s:
        rows = service.outbox(s, cli_actor(), state=state, kind=kind, limit=limit)
    if as_json:
        out.emit_json([dataclasses.asdict(r) for r in rows])
        return
    out.table(
        ["编号", "类型", "号码", "状态", "计划/发送时间", "次数", "内容"],
        [
            [
                r.id,
                labels.get(r.kind, r.kind),
                r.recipient_masked,
                rules.STATES[r.state],
                _local(r.sent_at or r.due_at),
                r.attempts,
                r.text[:40],
            ]
            for r in rows
        ],
    )


@reminders_app.command("retry", help="重发一条发送失败的提醒。")
@handled
def retry_cmd(reminder_id: int) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        r = service.retry(s, cli_actor(), reminder_id)
    typer.echo(f"提醒 {r.id} 将在下次发送时重发")


@reminders_app.command("cancel", help="取消一条待发送的提醒。")
@handled
def cancel_cmd(reminder_id: int) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        r = service.cancel(s, cli_actor(), reminder_id)
    typer.echo(f"提醒 {r.id} 已取消")


@reminders_app.command("subscriptions", help="信用提醒订阅（号码已脱敏）。")
@handled
def subscriptions_cmd(
    state: Annotated[str | None, typer.Option("--state", help="pending/active/ended；默认 active")] = "active",
    as_json: JsonOption = False,
) -> None:
    cfg = settings()
    with database(cfg) as db, db.read() as s:
        rows = service.subscriptions(s, cli_actor(), state=state)
    if as_json:
        out.emit_json([dataclasses.asdict(r) for r in rows])
        return
    out.table(
        ["编号", "订阅号", "主体", "联系人", "号码", "状态", "开通时间"],
        [
            [
                r.id,
                r.subscription_no,
                r.subject_name,
                r.contact_name,
                r.phone_masked,
                rules.SUBSCRIPTION_STATES[r.state],
                _local(r.confirmed_at),
            ]
            for r in rows
        ],
    )


@reminders_app.command("end", help="终止一个订阅（如号码持有人来电要求），并取消其未发送的提醒。")
@handled
def end_cmd(
    subscription_id: int,
    reason: Annotated[str, typer.Option("--reason", help="终止原因")],
) -> None:
    cfg = settings()
    with database(cfg) as db, db.unit_of_work() as s:
        sub = service.end_subscription(s, cli_actor(), subscription_id, reason=reason)
    typer.echo(f"订阅 {sub.subscription_no} 已终止")
