"""The reminder service (信用提醒服务) on the real database: an applicant hears of each step of an objection or
repair application; a subject's contact subscribes with a verification code and hears of new public penalties and of
the day a penalty may be repaired; reminders go out through the file channel and through a real HTTP gateway
(signed, retried with back-off, given up), held over quiet hours; numbers stay encrypted and masked; the credit
office's outbox, retry, cancel and end; the website's subscription pages and the console page; the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from lists_kit import OFFICE, OFFICER, import_table, penalty_row, uscc
from sqlalchemy import select
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))

from console_kit import CREDIT_OFFICE, MANAGER, PASSWORD, csrf_of, login

from transport_credit.audit.models import AuditEntry
from transport_credit.auth import service as auth
from transport_credit.cli.main import app as cli
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM
from transport_credit.common.errors import Conflict, InvalidInput, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.lists import service as lists
from transport_credit.monitoring.worklist import worklist
from transport_credit.portal import service as portal
from transport_credit.portal import transfers
from transport_credit.records.service import write_revision
from transport_credit.reminders import rules, scan, service
from transport_credit.reminders.channels import FileChannel, WebhookChannel, signature
from transport_credit.reminders.models import Reminder, ReminderSubscription
from transport_credit.server import create_app
from transport_credit.settings import Settings, get_settings
from transport_credit.subjects.models import Subject

TODAY = lists.today_cst()
PHONE = "13812345678"
CST = rules.CHINA_TZ


def _ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).strftime("%Y/%m/%d")


OLD = penalty_row(21, decision_no="豫交执罚〔2026〕提醒-旧号", decision_date=_ago(200))  # minimum period over
NEW = penalty_row(21, decision_no="豫交执罚〔2026〕提醒-新号", decision_date=_ago(3))


@pytest.fixture
def subject_id(platform: Database, settings: Settings, tmp_path: Path) -> int:
    summary = import_table(platform, settings, tmp_path / "old.csv", [OLD])
    assert summary.accepted + summary.warned == 1, summary
    with platform.read() as s:
        sid = s.scalar(select(Subject.id).where(Subject.uscc == uscc(21)))
        assert sid is not None
        return sid


def _reminders(db: Database, **where: Any) -> list[Reminder]:
    with db.read() as s:
        query = select(Reminder).order_by(Reminder.id)
        for name, value in where.items():
            query = query.where(getattr(Reminder, name) == value)
        rows = list(s.scalars(query))
        s.expunge_all()
        return rows


def _outbox_lines(settings: Settings) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for path in sorted((settings.data_dir / "reminders").glob("outbox-*.jsonl")):
        lines += [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return lines


def _noon() -> dt.datetime:
    """Today at 12:00 China time: outside the quiet hours."""
    return dt.datetime.combine(TODAY, dt.time(12), tzinfo=CST).astimezone(dt.UTC)


# Tomorrow at 12:00 China time: every reminder made while the tests run is due by then, quiet hours or not.
LATER = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(12), tzinfo=CST).astimezone(dt.UTC)


def _make_due(db: Database) -> None:
    """Time passes: every pending reminder is due (the tests run at any hour, quiet hours included)."""
    with db.unit_of_work() as s:
        for r in s.scalars(select(Reminder).where(Reminder.state == "pending")):
            r.due_at = min(r.due_at, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))


# --- applicants -----------------------------------------------------------------------------------------------------


def _apply(db: Database, settings: Settings, subject: int, kind: str = "repair") -> int:
    with db.unit_of_work() as s:
        app = portal.submit_application(
            s,
            settings,
            portal.ApplicationInput(
                kind=kind,
                subject_id=subject,
                record_id=None,
                applicant_name="赵经理",
                contact=PHONE,
                reason="已履行处罚决定并完成整改，申请信用修复。",
            ),
        )
        return app.id


def test_an_applicant_hears_of_each_step_of_the_application(
    platform: Database, settings: Settings, subject_id: int
) -> None:
    app_id = _apply(platform, settings, subject_id)
    with platform.read() as s:
        app = s.get(portal.PortalApplication, app_id)
        assert app is not None
        tracking, accept_due = app.tracking_no, app.accept_due
    [received] = _reminders(platform, ref=tracking)
    assert received.kind == "application_received"
    assert received.state == "pending"
    assert received.recipient_masked == "138****5678"
    assert PHONE not in received.text
    assert PHONE.encode() not in received.recipient_cipher
    assert accept_due is not None
    assert received.text == (
        f"【信用交通·河南】您的信用修复申请已提交，受理编号{tracking}，将于{accept_due.year}年{accept_due.month}月"
        f"{accept_due.day}日前决定是否受理，可在网站“申请查询”查看进度。"
    )
    with platform.unit_of_work() as s:
        portal.accept_application(s, OFFICE, settings, app_id)
    with platform.unit_of_work() as s:
        portal.decide_application(s, OFFICE, settings, app_id, outcome="denied", reply="未满最短公示期，不予修复。")
    kinds = [r.kind for r in _reminders(platform, ref=tracking)]
    assert kinds == ["application_received", "application_accepted", "application_decided"]
    decided = _reminders(platform, kind="application_decided")[0]
    assert "已办结，结果：不予修复" in decided.text
    # the same keys: a reminder happens once
    with platform.unit_of_work() as s:
        app = s.get(portal.PortalApplication, app_id)
        assert app is not None
        assert service.application_reminder(s, settings, app, "decided") is None

    refused_id = _apply(platform, settings, subject_id, kind="objection")
    with platform.unit_of_work() as s:
        portal.refuse_application(s, OFFICE, settings, refused_id, reply="申请材料不全，请补充后重新提交。")
    assert [r.kind for r in _reminders(platform, kind="application_refused")] == ["application_refused"]


def test_a_transferred_application_is_answered_through_its_source_not_by_reminder(
    platform: Database, settings: Settings, subject_id: int
) -> None:
    with platform.unit_of_work() as s:
        app = transfers.register_transfer(
            s,
            OFFICE,
            settings,
            transfers.TransferInput(
                source="creditchina",
                source_ref="ZB-2026-001",
                received_on=TODAY,
                kind="objection",
                subject_code=uscc(21),
                record_key=None,
                applicant_name="赵经理",
                contact=PHONE,
                reason="对公示的处罚信息有异议，经 12345 热线转办。",
            ),
        )
        tracking = app.tracking_no
    assert _reminders(platform, ref=tracking) == []


# --- delivery -------------------------------------------------------------------------------------------------------


def test_the_file_channel_writes_what_would_be_sent_with_the_number_masked(
    platform: Database, settings: Settings, subject_id: int
) -> None:
    _apply(platform, settings, subject_id)
    channel = FileChannel(settings.data_dir / "reminders")
    run = service.deliver(platform, settings, channel, now=LATER)
    assert (run.sent, run.retrying, run.failed) == (1, 0, 0)
    [line] = _outbox_lines(settings)
    assert line["to"] == "138****5678"
    assert line["kind"] == "application_received"
    assert PHONE not in json.dumps(line, ensure_ascii=False)
    [sent] = _reminders(platform)
    assert sent.state == "sent"
    assert sent.channel == "file"
    assert sent.attempts == 1
    assert sent.sent_at is not None
    assert service.deliver(platform, settings, channel, now=LATER).sent == 0  # nothing twice
    assert service.deliver(platform, settings, None, now=LATER).channel is None  # sending off


class _Gateway(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[bytes, dict[str, str]]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((body, dict(self.headers)))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "SMS-0001"}')

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def gateway() -> Iterator[tuple[str, type[_Gateway]]]:
    handler = type("Gateway", (_Gateway,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms", handler
    server.shutdown()
    server.server_close()


def test_the_webhook_sends_the_number_to_the_gateway_signed_and_keeps_its_reference(
    platform: Database, settings: Settings, subject_id: int, gateway: tuple[str, type[_Gateway]]
) -> None:
    url, handler = gateway
    _apply(platform, settings, subject_id)
    channel = WebhookChannel(url, "gateway-secret")
    run = service.deliver(platform, settings, channel, now=LATER)
    assert run.sent == 1
    [(body, headers)] = handler.received
    message = json.loads(body)
    assert message["phone"] == PHONE
    assert message["kind"] == "application_received"
    assert message["text"].startswith("【信用交通·河南】您的信用修复申请已提交")
    assert headers["X-Signature"] == signature("gateway-secret", body)
    [sent] = _reminders(platform)
    assert (sent.state, sent.channel, sent.provider_ref) == ("sent", "webhook", "SMS-0001")


def test_a_refusing_gateway_is_retried_with_back_off_then_given_up_and_retried_by_hand(
    platform: Database, settings: Settings, subject_id: int, gateway: tuple[str, type[_Gateway]]
) -> None:
    url, handler = gateway
    handler.status = 503
    _apply(platform, settings, subject_id)
    channel = WebhookChannel(url, None)
    now = LATER
    doc = rules.reminder_rules("henan")
    for attempt in range(1, doc.retry.max_attempts + 1):
        run = service.deliver(platform, settings, channel, now=now)
        [r] = _reminders(platform)
        assert r.attempts == attempt
        assert r.last_error == "短信网关拒绝：HTTP 503"
        if attempt < doc.retry.max_attempts:
            assert (run.retrying, r.state) == (1, "pending")
            assert service.deliver(platform, settings, channel, now=now).sent == 0  # not due yet
            now = r.due_at
        else:
            assert (run.failed, r.state) == (1, "failed")
    assert len(handler.received) == doc.retry.max_attempts
    with platform.read() as s:  # the credit office's 工作台 shows it
        todo = next(t for t in worklist(s, OFFICE, settings) if t.key == "reminders")
        assert (todo.count, todo.urgent) == (1, 1)
    assert "X-Signature" not in handler.received[0][1]  # no secret configured
    handler.status = 200
    with platform.unit_of_work() as s:
        with pytest.raises(PermissionDenied):
            service.retry(s, OFFICER, r.id)
        service.retry(s, OFFICE, r.id)
    assert service.deliver(platform, settings, channel).sent == 1
    with platform.read() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.action == "reminders.retry")) is not None


def test_an_unreachable_gateway_is_a_failed_attempt(platform: Database, settings: Settings, subject_id: int) -> None:
    _apply(platform, settings, subject_id)
    run = service.deliver(platform, settings, WebhookChannel("http://127.0.0.1:9/sms", None, timeout=2), now=LATER)
    assert run.retrying == 1
    [r] = _reminders(platform)
    assert r.state == "pending"
    assert r.last_error is not None
    assert r.last_error.startswith("无法连接短信网关")


def test_reminders_made_at_night_wait_for_the_morning(platform: Database, settings: Settings, subject_id: int) -> None:
    night = dt.datetime.combine(TODAY, dt.time(22, 30), tzinfo=CST).astimezone(dt.UTC)
    with platform.unit_of_work() as s:
        app = portal.new_application(
            s,
            settings,
            kind="objection",
            subject_id=subject_id,
            record=None,
            applicant_name="赵经理",
            contact=PHONE,
            reason="对公示的处罚信息有异议。",
            day=TODAY,
        )
        r = s.scalar(select(Reminder).where(Reminder.ref == app.tracking_no))
        assert r is not None
        s.delete(r)  # made again, at night
        s.flush()
        service.application_reminder(s, settings, app, "received", now=night)
    [r] = _reminders(platform)
    morning = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(8), tzinfo=CST)
    assert r.due_at == morning
    channel = FileChannel(settings.data_dir / "reminders")
    assert service.deliver(platform, settings, channel, now=night + dt.timedelta(minutes=5)).sent == 0
    assert service.deliver(platform, settings, channel, now=morning + dt.timedelta(minutes=1)).sent == 1


# --- subscriptions --------------------------------------------------------------------------------------------------


def _subscribe(db: Database, settings: Settings, subject: int, phone: str = PHONE, **kw: Any) -> tuple[str, int]:
    with db.unit_of_work() as s:
        sub, code = service.subscribe(s, settings, subject, contact_name="王经理", phone=phone, **kw)
        return sub.subscription_no, code.id


def _sent_code(db: Database, settings: Settings, reminder_id: int) -> str:
    service.deliver(db, settings, FileChannel(settings.data_dir / "reminders"), only=[reminder_id], now=LATER)
    line = next(x for x in reversed(_outbox_lines(settings)) if x["id"] == reminder_id)
    match = re.search(r"验证码(\d{6})", line["text"])
    assert match, line
    return match.group(1)


def test_a_subscription_is_opened_by_the_code_sent_to_the_number(
    platform: Database, settings: Settings, subject_id: int
) -> None:
    no, code_id = _subscribe(platform, settings, subject_id)
    [stored] = _reminders(platform, id=code_id)
    assert "验证码******" in stored.text
    assert stored.text_cipher is not None
    code = _sent_code(platform, settings, code_id)
    [sent] = _reminders(platform, id=code_id)
    assert sent.state == "sent"
    assert sent.text_cipher is None
    with platform.unit_of_work() as s:
        wrong = service.confirm(s, settings, no, "000000" if code != "000000" else "111111")
    assert (wrong.ok, wrong.error_code) == (False, "code_wrong")
    with platform.read() as s:
        sub = s.scalar(select(ReminderSubscription).where(ReminderSubscription.subscription_no == no))
        assert sub is not None
        assert sub.state == "pending"
        assert sub.code_attempts == 1
        assert code not in (sub.code_hash or "")
    with platform.unit_of_work() as s:
        assert service.confirm(s, settings, no.lower(), code).ok
    with platform.read() as s:
        sub = s.scalar(select(ReminderSubscription).where(ReminderSubscription.subscription_no == no))
        assert sub is not None
        assert sub.state == "active"
        assert sub.code_hash is None
    [confirmed] = _reminders(platform, kind="subscription_confirmed")
    assert "退订：http://127.0.0.1:8000/reminders/unsubscribe/" in confirmed.text
    with platform.unit_of_work() as s, pytest.raises(Conflict) as err:
        service.subscribe(s, settings, subject_id, contact_name="王经理", phone=PHONE)
    assert err.value.code == "already_subscribed"


def test_codes_expire_lock_after_wrong_attempts_and_are_limited_per_number_and_day(
    platform: Database, settings: Settings, subject_id: int
) -> None:
    doc = rules.reminder_rules("henan")
    start = _noon()
    no, code_id = _subscribe(platform, settings, subject_id, now=start)
    code = _sent_code(platform, settings, code_id)
    late = start + dt.timedelta(minutes=doc.verification.valid_minutes, seconds=1)
    with platform.unit_of_work() as s:
        assert service.confirm(s, settings, no, code, now=late).error_code == "code_expired"
    no2, code_id = _subscribe(platform, settings, subject_id, now=start)  # asked again: the same subscription
    assert no2 == no
    code = _sent_code(platform, settings, code_id)
    for _ in range(doc.verification.max_attempts):
        with platform.unit_of_work() as s:
            assert service.confirm(s, settings, no, "abc", now=start).error_code == "code_wrong"
    with platform.unit_of_work() as s:
        assert service.confirm(s, settings, no, code, now=start).error_code == "code_locked"
    for _ in range(doc.verification.per_phone_per_day - 2):
        _subscribe(platform, settings, subject_id, now=start)
    with platform.unit_of_work() as s, pytest.raises(InvalidInput) as err:
        service.subscribe(s, settings, subject_id, contact_name="王经理", phone=PHONE, now=start)
    assert err.value.code == "code_limit_reached"
    tomorrow = start + dt.timedelta(days=1)
    _subscribe(platform, settings, subject_id, now=tomorrow)  # a new day
    with platform.unit_of_work() as s, pytest.raises(InvalidInput) as bad:
        service.subscribe(s, settings, subject_id, contact_name="王经理", phone="0371-12345678")
    assert bad.value.code == "invalid_subscription"
    assert set(bad.value.details) == {"phone"}


def _active(db: Database, settings: Settings, subject: int) -> ReminderSubscription:
    no, code_id = _subscribe(db, settings, subject)
    code = _sent_code(db, settings, code_id)
    with db.unit_of_work() as s:
        assert service.confirm(s, settings, no, code).ok
    with db.read() as s:
        sub = s.scalar(select(ReminderSubscription).where(ReminderSubscription.subscription_no == no))
        assert sub is not None
        s.expunge(sub)
        return sub


def test_subscribers_hear_of_new_public_penalties_and_of_the_day_repair_opens(
    platform: Database, settings: Settings, subject_id: int, tmp_path: Path
) -> None:
    sub = _active(platform, settings, subject_id)
    summary = import_table(platform, settings, tmp_path / "new.csv", [NEW])
    assert summary.accepted + summary.warned == 1, summary
    with platform.unit_of_work() as s:
        run = scan.scan(s, settings)
    assert (run.subscriptions, run.published, run.repair) == (1, 1, 1)
    [published] = _reminders(platform, kind="record_published")
    assert "有一条行政处罚信息已在网站公示（豫交执罚〔2026〕提醒-新号）" in published.text
    assert published.ref == sub.subscription_no
    assert published.recipient_masked == "138****5678"
    [repair] = _reminders(platform, kind="repair_available")
    assert "豫交执罚〔2026〕提醒-旧号" in repair.text
    assert "可在网站申请信用修复" in repair.text
    assert f"/reminders/unsubscribe/{sub.unsubscribe_token}" in repair.text
    with platform.unit_of_work() as s:  # again: nothing new
        assert scan.scan(s, settings) == scan.ScanRun(1, 0, 0)
    # unsubscribing by the link cancels what has not gone yet, and the scan forgets the subject
    with platform.unit_of_work() as s:
        service.unsubscribe(s, sub.unsubscribe_token)
        service.unsubscribe(s, sub.unsubscribe_token)  # idempotent
    assert {r.state for r in _reminders(platform, ref=sub.subscription_no) if r.kind != "subscription_code"} == {
        "cancelled"  # the confirmation and both reminders had not gone yet
    }
    assert {r.state for r in _reminders(platform, kind="record_published")} == {"cancelled"}
    with platform.unit_of_work() as s:
        assert scan.scan(s, settings) == scan.ScanRun(0, 0, 0)


def test_subscribers_hear_a_month_before_a_list_entry_ends(
    platform: Database, settings: Settings, subject_id: int
) -> None:
    sub = _active(platform, settings, subject_id)
    start = TODAY - dt.timedelta(days=300)

    def red(no: str, end: dt.date) -> None:
        with platform.unit_of_work() as s:
            write_revision(
                s,
                SYSTEM,
                settings,
                category="HMD",
                natural_key=no,
                subject_id=subject_id,
                department_code="410000-fgc",
                data={"subject_name": "郑州顺达21号物流有限公司", "decision_no": no, "list_name": "守信激励对象名单"},
                decision_date=start,
                publicity_start=start,
                publicity_end=end,
            )

    red("HMD-2026-0001", TODAY + dt.timedelta(days=12))  # within the 30 days
    red("HMD-2026-0002", TODAY + dt.timedelta(days=90))  # not yet
    with platform.unit_of_work() as s:
        run = scan.scan(s, settings)
    assert run.expiring == 1
    assert run.published == 0  # a red-list entry is not announced (announce_categories), only its end
    [expiring] = _reminders(platform, kind="list_expiring")
    end = TODAY + dt.timedelta(days=12)
    assert f"列入红名单的信息（HMD-2026-0001）将于{end.year}年{end.month}月{end.day}日公示期满" in expiring.text
    assert expiring.ref == sub.subscription_no
    with platform.unit_of_work() as s:
        assert scan.scan(s, settings).expiring == 0  # once


def test_the_credit_office_sees_the_outbox_and_ends_a_subscription(
    platform: Database, settings: Settings, subject_id: int
) -> None:
    sub = _active(platform, settings, subject_id)
    _apply(platform, settings, subject_id)
    with platform.read() as s:
        counts = service.outbox_counts(s, OFFICE)
        assert counts.by_state["sent"] == 1
        assert counts.by_state["pending"] == 2
        assert counts.subscriptions["active"] == 1
        rows = service.outbox(s, OFFICE, state="pending")
        assert {r.kind for r in rows} == {"subscription_confirmed", "application_received"}
        for denied in (lambda: service.outbox(s, OFFICER), lambda: service.subscriptions(s, OFFICER)):
            with pytest.raises(PermissionDenied):
                denied()
        [view] = service.subscriptions(s, OFFICE)
        assert view.phone_masked == "138****5678"
        assert view.subject_name == "郑州顺达21号物流有限公司"
    with platform.unit_of_work() as s:
        with pytest.raises(InvalidInput):
            service.end_subscription(s, OFFICE, sub.id, reason="")
        service.end_subscription(s, OFFICE, sub.id, reason="号码持有人来电要求停止")
    with platform.read() as s:
        ended = s.get(ReminderSubscription, sub.id)
        assert ended is not None
        assert ended.state == "ended"
        assert ended.end_reason == "号码持有人来电要求停止"
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "reminders.subscription.end"))
        assert entry is not None
        assert entry.details["cancelled"] == 1
    [received] = _reminders(platform, kind="application_received")
    with platform.unit_of_work() as s:
        service.cancel(s, OFFICE, received.id)
        with pytest.raises(Conflict):
            service.cancel(s, OFFICE, received.id)
        with pytest.raises(Conflict):
            service.retry(s, OFFICE, received.id)


# --- the website, the console, the CLI ------------------------------------------------------------------------------


def test_the_website_subscribes_confirms_and_unsubscribes(
    platform: Database, settings: Settings, subject_id: int
) -> None:
    _apply(platform, settings, subject_id)
    _make_due(platform)  # someone else's reminder, due: the website's requests send only their own
    client = TestClient(create_app(settings, platform))
    page = client.get(f"/subjects/{subject_id}")
    assert f'href="/subjects/{subject_id}/reminders"' in page.text
    form = client.get(f"/subjects/{subject_id}/reminders")
    assert form.status_code == 200
    assert "订阅信用提醒" in form.text
    bad = client.post(f"/subjects/{subject_id}/reminders", data={"contact_name": "王经理", "phone": "12345"})
    assert bad.status_code == 422
    assert "请填写有效的手机号码" in bad.text
    sent = client.post(f"/subjects/{subject_id}/reminders", data={"contact_name": "王经理", "phone": PHONE})
    assert sent.status_code == 200
    assert "验证码已发送至" in sent.text
    assert "138****5678" in sent.text
    assert PHONE not in sent.text
    no = re.search(r'name="no" value="([^"]+)"', sent.text)
    assert no
    [line] = _outbox_lines(settings)  # the code, sent at once, not at the next run
    code = re.search(r"验证码(\d{6})", line["text"])
    assert code
    wrong = client.post("/reminders/confirm", data={"no": no.group(1), "code": "12"})
    assert wrong.status_code == 422
    assert "验证码不正确" in wrong.text
    done = client.post("/reminders/confirm", data={"no": no.group(1), "code": code.group(1)})
    assert done.status_code == 200
    assert "信用提醒已开通" in done.text
    [confirmed] = _reminders(platform, kind="subscription_confirmed")
    link = re.search(r"/reminders/unsubscribe/(\S+)$", confirmed.text)
    assert link
    [application] = _reminders(platform, kind="application_received")
    assert application.state == "pending"
    ask = client.get(f"/reminders/unsubscribe/{link.group(1)}")
    assert ask.status_code == 200
    assert "确认退订" in ask.text
    gone = client.post(f"/reminders/unsubscribe/{link.group(1)}")
    assert gone.status_code == 200
    assert "已退订" in gone.text
    assert client.get("/reminders/unsubscribe/not-a-token").status_code == 404
    again = client.post(f"/subjects/{subject_id}/reminders", data={"contact_name": "王经理", "phone": PHONE})
    assert again.status_code == 200  # after unsubscribing, a new subscription may be asked for


def test_the_console_page_runs_the_service_and_shows_masked_numbers(
    platform: Database, settings: Settings, subject_id: int
) -> None:
    with platform.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, "zz.officer", "郑州报送员", PASSWORD, "410100-jtj", [ROLE_DATA_OFFICER])
    _apply(platform, settings, subject_id)
    _make_due(platform)
    client = TestClient(create_app(settings, platform))
    login(client, MANAGER)
    page = client.get("/console/reminders")
    assert page.status_code == 200
    assert 'id="count-pending">1<' in page.text
    assert "138****5678" in page.text
    assert PHONE not in page.text
    assert 'href="/console/reminders"' in page.text  # in the navigation
    ran = client.post("/console/reminders/run", data={"csrf_token": csrf_of(page.text)}, follow_redirects=True)
    assert ran.status_code == 200
    assert "已发送 1 条" in ran.text
    assert 'id="count-sent">1<' in ran.text
    assert client.get("/console/reminders?state=nonsense").status_code == 422
    refused = client.post("/console/reminders/run", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    officer = TestClient(create_app(settings, platform))
    login(officer, "zz.officer")
    home = officer.get("/console")
    assert 'href="/console/reminders"' not in home.text
    assert officer.get("/console/reminders").status_code == 403
    denied = officer.post("/console/reminders/run", data={"csrf_token": csrf_of(home.text)})
    assert denied.status_code == 403
    with platform.read() as s:
        assert service.outbox_counts(s, OFFICE).by_state["sent"] == 1  # nothing more was sent


def test_the_cli_runs_lists_and_ends(
    platform: Database, settings: Settings, subject_id: int, monkeypatch: Any, request: pytest.FixtureRequest
) -> None:
    for name, value in {
        "TRANSPORT_CREDIT_DATABASE_URL": settings.effective_database_url,
        "TRANSPORT_CREDIT_DATA_DIR": str(settings.data_dir),
        "TRANSPORT_CREDIT_PII_KEY": settings.pii_key.get_secret_value(),
        "TRANSPORT_CREDIT_SECRET_KEY": settings.secret_key.get_secret_value(),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()  # the CLI reads the environment again (and the next test after this one)
    request.addfinalizer(get_settings.cache_clear)
    sub = _active(platform, settings, subject_id)
    with platform.unit_of_work() as s:
        scan.scan(s, settings)  # the repair reminder, queued now
    _make_due(platform)
    runner = CliRunner()
    run = runner.invoke(cli, ["reminders", "run", "--json"])
    assert run.exit_code == 0, run.output
    result = json.loads(run.output)
    assert result["scan"]["repair"] == 0  # queued once, above
    assert result["delivery"]["sent"] == 2
    listed = runner.invoke(cli, ["reminders", "list", "--state", "sent", "--json"])
    assert listed.exit_code == 0
    assert PHONE not in listed.output
    assert {x["kind"] for x in json.loads(listed.output)} == {
        "subscription_code",
        "subscription_confirmed",
        "repair_available",
    }
    ended = runner.invoke(cli, ["reminders", "end", str(sub.id), "--reason", "号码持有人来电要求停止"])
    assert ended.exit_code == 0
    assert "已终止" in ended.output
    bad = runner.invoke(cli, ["reminders", "list", "--state", "nonsense"])
    assert bad.exit_code != 0
    assert "未知的发送状态" in bad.output
