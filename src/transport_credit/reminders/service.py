"""The reminder service's use cases: queue a reminder (the outbox), subscribe and unsubscribe, send what is due,
and the credit office's view of it all. The caller owns the transaction, except :func:`deliver`, which sends over
the network between short transactions of its own (a send never holds the database's write lock).

Applicants hear of each step of their objection or repair application (submitted, accepted, refused, decided), and
declarants of their self-declared information's submission and outcome; subscribers of a subject hear of its new
public penalty and list records, of the day each may be repaired and of a list entry about to end
(``reminders.scan``). Numbers are stored encrypted, shown masked, never logged.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.catalog.loader import load_province
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.db.uow import Database
from transport_credit.disclosure import service as disclosure
from transport_credit.identifiers.citizen_id import mask_phone
from transport_credit.portal import handling
from transport_credit.portal.models import CreditDeclaration, PortalApplication
from transport_credit.portal.rules import APPLICATION_KINDS, CODE_ALPHABET
from transport_credit.reminders import rules
from transport_credit.reminders.channels import Channel, DeliveryError, Message
from transport_credit.reminders.models import Reminder, ReminderSubscription
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.subjects.pii import pii_keys

LEASE = dt.timedelta(minutes=5)  # a sender that dies mid-send leaves its reminders to the next run after this
CODE_MASK = "******"


@dataclass(frozen=True)
class Recipient:
    masked: str
    cipher: bytes
    key: str


def recipient(settings: Settings, phone: str) -> Recipient:
    number = phone.strip().replace(" ", "")
    keys = pii_keys(settings.pii_key.get_secret_value())
    return Recipient(mask_phone(number), keys.encrypt(number.encode("utf-8")), keys.keyed_hash("phone:" + number))


def stored_recipient(settings: Settings, masked: str, cipher: bytes) -> Recipient:
    number = pii_keys(settings.pii_key.get_secret_value()).decrypt(cipher).decode("utf-8")
    return Recipient(masked, cipher, recipient(settings, number).key)


def site_name(settings: Settings) -> str:
    """The website's name, the messages' signature (信用交通·河南)."""
    return _website_title(settings.province)


@functools.cache
def _website_title(province: str) -> str:  # the province file is package data: read once
    return load_province(province).website_title


def chinese_day(value: dt.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else "规定期限"


def enqueue(
    session: Session,
    settings: Settings,
    *,
    kind: str,
    dedupe_key: str,
    to: Recipient,
    values: Mapping[str, object],
    subject_id: int | None = None,
    ref: str | None = None,
    secret: str | None = None,
    now: dt.datetime | None = None,
) -> Reminder | None:
    """Queue one reminder (None when ``dedupe_key`` was queued before: each reminder happens once). ``secret`` is
    a value of ``values`` (a verification code) that officials never see: the stored text shows it masked and the
    text sent is kept encrypted until it has gone."""
    rules.require_kind(kind)
    if session.scalar(select(Reminder.id).where(Reminder.dedupe_key == dedupe_key)) is not None:
        return None
    doc = rules.reminder_rules(settings.province)
    now = now or utcnow()
    text = rules.render(doc, kind, site_name(settings), values)
    shown, cipher = text, None
    if secret:
        shown = text.replace(secret, CODE_MASK)
        cipher = pii_keys(settings.pii_key.get_secret_value()).encrypt(text.encode("utf-8"))
    reminder = Reminder(
        kind=kind,
        dedupe_key=dedupe_key,
        subject_id=subject_id,
        ref=ref,
        recipient_masked=to.masked,
        recipient_cipher=to.cipher,
        recipient_key=to.key,
        text=shown,
        text_cipher=cipher,
        rules_version=doc.version,
        state="pending",
        due_at=rules.send_after(doc, kind, now),
        attempts=0,
        created_at=now,
    )
    session.add(reminder)
    session.flush()
    return reminder


# --- applicants ----------------------------------------------------------------------------------------------------


def application_reminder(
    session: Session, settings: Settings, app: PortalApplication, event: str, *, now: dt.datetime | None = None
) -> Reminder | None:
    """The reminder of one step of an application (``received``, ``accepted``, ``refused``, ``decided``) to the
    applicant's number. An application transferred from another platform (转办) is answered through that platform,
    which tells its applicant: no reminder."""
    if event not in rules.APPLICATION_EVENTS:
        raise ValueError(f"unknown application event {event}")
    if app.channel != "website":
        return None
    values: dict[str, object] = {"application_kind": APPLICATION_KINDS[app.kind], "tracking_no": app.tracking_no}
    if event == "received":
        values["due"] = chinese_day(app.accept_due)
    elif event == "accepted":
        values["due"] = chinese_day(app.decide_due)
    elif event == "decided":
        values["outcome"] = handling.OUTCOME_LABELS.get(app.status, handling.status_label(app.status))
    return enqueue(
        session,
        settings,
        kind=f"application_{event}",
        dedupe_key=f"application_{event}:{app.tracking_no}",
        to=stored_recipient(settings, app.contact_masked, app.contact_cipher),
        values=values,
        subject_id=app.subject_id,
        ref=app.tracking_no,
        now=now,
    )


def declaration_reminder(
    session: Session, settings: Settings, declaration: CreditDeclaration, event: str, *, now: dt.datetime | None = None
) -> Reminder | None:
    """The reminder of a 自主申报 (self-declared information) to its declarant: ``received`` or ``decided``."""
    if event not in rules.DECLARATION_EVENTS:
        raise ValueError(f"unknown declaration event {event}")
    catalog = active_catalog(session)
    category = catalog.category(declaration.category).name if catalog.has_category(declaration.category) else ""
    values: dict[str, object] = {"category_name": category, "tracking_no": declaration.tracking_no}
    if event == "received":
        values["due"] = chinese_day(declaration.decide_due)
    else:
        values["outcome"] = DECLARATION_OUTCOMES.get(declaration.status, declaration.status)
    return enqueue(
        session,
        settings,
        kind=f"declaration_{event}",
        dedupe_key=f"declaration_{event}:{declaration.tracking_no}",
        to=stored_recipient(settings, declaration.contact_masked, declaration.contact_cipher),
        values=values,
        subject_id=declaration.subject_id,
        ref=declaration.tracking_no,
        now=now,
    )


DECLARATION_OUTCOMES = {"adopted": "已采纳，记入信用档案", "rejected": "不予采纳"}


# --- subscriptions --------------------------------------------------------------------------------------------------


def _subscription_no(session: Session, day: dt.date) -> str:
    while True:
        no = f"DY{day:%Y%m%d}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if session.scalar(select(ReminderSubscription.id).where(ReminderSubscription.subscription_no == no)) is None:
            return no


def _china_midnight(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(rules.CHINA_TZ)
    return dt.datetime.combine(local.date(), dt.time(0), tzinfo=rules.CHINA_TZ).astimezone(dt.UTC)


def subscribe(
    session: Session,
    settings: Settings,
    subject_id: int,
    *,
    contact_name: str,
    phone: str,
    now: dt.datetime | None = None,
) -> tuple[ReminderSubscription, Reminder]:
    """Ask for a subject's reminders at a mobile number: a pending subscription (a repeated request renews it) and
    the verification code sent to the number. Returns both; the caller commits, then sends the code at once
    (:func:`deliver` with ``only``)."""
    errors = rules.check_subscriber(contact_name, phone)
    if errors:
        raise InvalidInput(
            "订阅信息填写有误：" + "；".join(errors.values()), code="invalid_subscription", details=errors
        )
    now = now or utcnow()
    today = now.astimezone(rules.CHINA_TZ).date()
    subject = disclosure.public_subject(session, subject_id, today=today, per_section=1)
    doc = rules.reminder_rules(settings.province)
    to = recipient(settings, phone)
    sent_today = session.scalar(
        select(func.count(Reminder.id)).where(
            Reminder.recipient_key == to.key,
            Reminder.kind == "subscription_code",
            Reminder.created_at >= _china_midnight(now),
        )
    )
    if (sent_today or 0) >= doc.verification.per_phone_per_day:
        raise InvalidInput("该手机号码今日获取验证码次数已达上限，请明日再试", code="code_limit_reached")
    S = ReminderSubscription
    current = session.scalars(
        select(S).where(S.subject_id == subject.id, S.phone_key == to.key, S.state.in_(("pending", "active")))
    ).all()
    if any(s.state == "active" for s in current):
        raise Conflict("该手机号码已订阅该主体的信用提醒", code="already_subscribed")
    sub = current[0] if current else None
    if sub is None:
        sub = S(
            subscription_no=_subscription_no(session, today),
            subject_id=subject.id,
            phone_masked=to.masked,
            phone_cipher=to.cipher,
            phone_key=to.key,
            state="pending",
            unsubscribe_token=rules.unsubscribe_token(),
            created_at=now,
        )
        session.add(sub)
    sub.contact_name = contact_name.strip()
    code = rules.new_code(doc.verification.code_length)
    sub.code_hash = rules.code_hash(settings.secret_key.get_secret_value(), sub.subscription_no, code)
    sub.code_expires_at = now + dt.timedelta(minutes=doc.verification.valid_minutes)
    sub.code_attempts = 0
    session.flush()
    reminder = enqueue(
        session,
        settings,
        kind="subscription_code",
        dedupe_key=f"subscription_code:{sub.subscription_no}:{secrets.token_hex(6)}",
        to=to,
        values={"subject_name": subject.name, "code": code, "minutes": doc.verification.valid_minutes},
        subject_id=subject.id,
        ref=sub.subscription_no,
        secret=code,
        now=now,
    )
    assert reminder is not None  # a fresh dedupe key
    return sub, reminder


@dataclass(frozen=True)
class Confirmation:
    subscription: ReminderSubscription
    error_code: str | None = None
    error: str | None = None  # Chinese, for the form
    reminder_id: int | None = None  # the confirmation's reminder, to send at once

    @property
    def ok(self) -> bool:
        return self.error_code is None


def subscription_by_no(session: Session, subscription_no: str) -> ReminderSubscription:
    sub = session.scalar(
        select(ReminderSubscription).where(ReminderSubscription.subscription_no == subscription_no.strip().upper())
    )
    if sub is None:
        raise NotFound("未找到该订阅申请", code="subscription_not_found")
    return sub


def confirm(
    session: Session, settings: Settings, subscription_no: str, code: str, *, now: dt.datetime | None = None
) -> Confirmation:
    """Verify the code sent to the number; the subscription is then active. A wrong code counts against the
    attempts (kept even though the answer is an error: the caller commits either way)."""
    now = now or utcnow()
    sub = subscription_by_no(session, subscription_no)
    if sub.state == "active":
        return Confirmation(sub)
    if sub.state == "ended":
        return Confirmation(sub, "subscription_ended", "该订阅已退订，请重新订阅")
    doc = rules.reminder_rules(settings.province)
    if sub.code_attempts >= doc.verification.max_attempts:
        return Confirmation(sub, "code_locked", "验证码错误次数过多，请重新获取验证码")
    if sub.code_expires_at is None or now > sub.code_expires_at:
        return Confirmation(sub, "code_expired", "验证码已过期，请重新获取验证码")
    if not rules.code_matches(settings.secret_key.get_secret_value(), sub.subscription_no, code, sub.code_hash):
        sub.code_attempts += 1
        left = doc.verification.max_attempts - sub.code_attempts
        return Confirmation(sub, "code_wrong", f"验证码不正确（还可尝试 {left} 次）")
    sub.state = "active"
    sub.confirmed_at = now
    sub.code_hash = None
    sub.code_expires_at = None
    subject = disclosure.public_subject(session, sub.subject_id, per_section=1)
    confirmed = enqueue(
        session,
        settings,
        kind="subscription_confirmed",
        dedupe_key=f"subscription_confirmed:{sub.subscription_no}",
        to=stored_recipient(settings, sub.phone_masked, sub.phone_cipher),
        values={"subject_name": subject.name, "unsubscribe_url": unsubscribe_url(settings, sub)},
        subject_id=sub.subject_id,
        ref=sub.subscription_no,
        now=now,
    )
    session.flush()
    return Confirmation(sub, reminder_id=confirmed.id if confirmed else None)


def unsubscribe_url(settings: Settings, sub: ReminderSubscription) -> str:
    base = (settings.public_base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    return f"{base}/reminders/unsubscribe/{sub.unsubscribe_token}"


def subscription_by_token(session: Session, token: str) -> ReminderSubscription:
    sub = session.scalar(select(ReminderSubscription).where(ReminderSubscription.unsubscribe_token == token.strip()))
    if sub is None:
        raise NotFound("退订链接无效", code="subscription_not_found")
    return sub


def _end(session: Session, sub: ReminderSubscription, reason: str, now: dt.datetime) -> int:
    """End the subscription and cancel its reminders not yet sent; returns how many were cancelled."""
    sub.state = "ended"
    sub.ended_at = now
    sub.end_reason = reason[:200]
    result = session.execute(
        update(Reminder)
        .where(Reminder.ref == sub.subscription_no, Reminder.state == "pending")
        .values(state="cancelled", text_cipher=None, updated_by=reason[:120])
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def unsubscribe(session: Session, token: str, *, now: dt.datetime | None = None) -> ReminderSubscription:
    """退订 by the link of a reminder (idempotent)."""
    sub = subscription_by_token(session, token)
    if sub.state != "ended":
        _end(session, sub, "本人退订", now or utcnow())
    return sub


def end_subscription(
    session: Session, actor: Actor, subscription_id: int, *, reason: str, now: dt.datetime | None = None
) -> ReminderSubscription:
    """The credit office ends a subscription (the number's holder asked by telephone, the subject objected …)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    text = reason.strip()
    if not 2 <= len(text) <= 200:
        raise InvalidInput("请填写终止原因（2–200 个字）", code="invalid_reason")
    sub = session.get(ReminderSubscription, subscription_id)
    if sub is None:
        raise NotFound("未找到该订阅", code="subscription_not_found")
    if sub.state == "ended":
        raise Conflict("该订阅已终止", code="subscription_ended")
    cancelled = _end(session, sub, text, now or utcnow())
    audit(
        session,
        actor,
        "reminders.subscription.end",
        "reminder_subscription",
        sub.subscription_no,
        {"reason": text, "cancelled": cancelled},
    )
    return sub


# --- sending --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryRun:
    channel: str | None
    sent: int = 0
    retrying: int = 0
    failed: int = 0  # failed for good (attempts exhausted)


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    cipher: bytes
    text: str
    text_cipher: bytes | None
    attempts: int


def _claim(session: Session, now: dt.datetime, limit: int, only: Sequence[int] | None) -> list[_Claimed]:
    R = Reminder
    due = (R.state == "pending") & (R.due_at <= now)
    stale = (R.state == "sending") & (R.lease_until < now)
    query = select(R).where(due | stale).order_by(R.due_at, R.id).limit(limit)
    if only is not None:
        query = query.where(R.id.in_(list(only)))
    rows = session.scalars(query.with_for_update(skip_locked=True)).all()
    for r in rows:
        r.state = "sending"
        r.lease_until = now + LEASE
    session.flush()
    return [_Claimed(r.id, r.kind, r.recipient_cipher, r.text, r.text_cipher, r.attempts) for r in rows]


def deliver(
    db: Database,
    settings: Settings,
    channel: Channel | None,
    *,
    now: dt.datetime | None = None,
    limit: int = 500,
    only: Sequence[int] | None = None,
) -> DeliveryRun:
    """Send the reminders that are due (``only``: just these, if due) through ``channel``: claim them in one
    transaction, send, record each outcome in another. A failed attempt is retried after the rules' back-off and
    fails for good after ``max_attempts``. With no channel (sending off) nothing happens."""
    if channel is None:
        return DeliveryRun(None)
    now = now or utcnow()
    with db.unit_of_work() as session:
        claimed = _claim(session, now, limit, only)
    if not claimed:
        return DeliveryRun(channel.name)
    keys = pii_keys(settings.pii_key.get_secret_value())
    outcomes: list[tuple[_Claimed, str | None, str | None]] = []  # (reminder, provider ref, error)
    for c in claimed:
        text = keys.decrypt(c.text_cipher).decode("utf-8") if c.text_cipher else c.text
        phone = keys.decrypt(c.cipher).decode("utf-8")
        try:
            ref = channel.send(Message(c.id, c.kind, phone, text))
        except DeliveryError as exc:
            outcomes.append((c, None, str(exc)[:300]))
        else:
            outcomes.append((c, ref, None))
    doc = rules.reminder_rules(settings.province)
    sent = retrying = failed = 0
    with db.unit_of_work() as session:
        for c, ref, error in outcomes:
            r = session.get(Reminder, c.id)
            if r is None or r.state != "sending":
                continue  # cancelled meanwhile
            r.lease_until = None
            r.channel = channel.name
            if error is None:
                r.state, r.sent_at, r.provider_ref, r.last_error = "sent", utcnow(), ref, None
                r.attempts = c.attempts + 1
                r.text_cipher = None
                sent += 1
                continue
            r.attempts = c.attempts + 1
            r.last_error = error
            again = rules.next_attempt(doc, r.kind, r.attempts, now)
            if again is None or r.kind == "subscription_code":  # a code is useless after its minutes: no retry
                r.state, r.text_cipher = "failed", None
                failed += 1
            else:
                r.state, r.due_at = "pending", again
                retrying += 1
    return DeliveryRun(channel.name, sent, retrying, failed)


# --- the credit office ----------------------------------------------------------------------------------------------


def require_office(actor: Actor) -> None:
    """The outbox and the subscriptions are the credit office's (and administrators')."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_ADMIN)


@dataclass(frozen=True)
class ReminderView:
    """A reminder as officials see it: the number masked, a verification code masked in the text."""

    id: int
    kind: str
    ref: str | None
    recipient_masked: str
    text: str
    state: str
    due_at: dt.datetime
    attempts: int
    last_error: str | None
    sent_at: dt.datetime | None
    channel: str | None


def outbox(
    session: Session, actor: Actor, *, state: str | None = None, kind: str | None = None, limit: int = 200
) -> list[ReminderView]:
    """The outbox, newest first."""
    require_office(actor)
    query = select(Reminder).order_by(Reminder.id.desc()).limit(limit)
    if state:
        if state not in rules.STATES:
            raise InvalidInput(f"未知的发送状态「{state}」", code="invalid_state")
        query = query.where(Reminder.state == state)
    if kind:
        rules.require_kind(kind)
        query = query.where(Reminder.kind == kind)
    return [
        ReminderView(
            r.id,
            r.kind,
            r.ref,
            r.recipient_masked,
            r.text,
            r.state,
            r.due_at,
            r.attempts,
            r.last_error,
            r.sent_at,
            r.channel,
        )
        for r in session.scalars(query)
    ]


@dataclass(frozen=True)
class OutboxCounts:
    by_state: dict[str, int]
    by_kind: dict[str, int]  # sent in the last 30 days
    overdue: int  # pending for more than an hour past due (the sender is not running, or the gateway is down)
    subscriptions: dict[str, int]


def outbox_counts(session: Session, actor: Actor, *, now: dt.datetime | None = None) -> OutboxCounts:
    require_office(actor)
    now = now or utcnow()
    by_state = dict.fromkeys(rules.STATES, 0)
    for state, n in session.execute(select(Reminder.state, func.count()).group_by(Reminder.state)):
        by_state[state] = int(n)
    by_kind = {
        kind: int(n)
        for kind, n in session.execute(
            select(Reminder.kind, func.count())
            .where(Reminder.state == "sent", Reminder.sent_at >= now - dt.timedelta(days=30))
            .group_by(Reminder.kind)
        )
    }
    overdue = attention(session, actor, now=now)[1]
    subs = dict.fromkeys(rules.SUBSCRIPTION_STATES, 0)
    for state, n in session.execute(
        select(ReminderSubscription.state, func.count()).group_by(ReminderSubscription.state)
    ):
        subs[state] = int(n)
    return OutboxCounts(by_state, by_kind, overdue, subs)


def attention(session: Session, actor: Actor, *, now: dt.datetime | None = None) -> tuple[int, int]:
    """(failed, due more than an hour ago and not sent): the reminders the credit office must look at."""
    require_office(actor)
    now = now or utcnow()
    failed = session.scalar(select(func.count(Reminder.id)).where(Reminder.state == "failed"))
    stuck = session.scalar(
        select(func.count(Reminder.id)).where(
            Reminder.state.in_(("pending", "sending")), Reminder.due_at < now - dt.timedelta(hours=1)
        )
    )
    return int(failed or 0), int(stuck or 0)


def retry(session: Session, actor: Actor, reminder_id: int, *, now: dt.datetime | None = None) -> Reminder:
    """Send a failed reminder again at the next run (a verification code cannot be: it has expired)."""
    require_office(actor)
    r = session.get(Reminder, reminder_id)
    if r is None:
        raise NotFound("未找到该提醒", code="reminder_not_found")
    if r.state != "failed":
        raise Conflict(f"该提醒当前状态为「{rules.STATES[r.state]}」，只有发送失败的提醒可以重发", code="not_failed")
    if r.kind == "subscription_code":
        raise Conflict("验证码已失效，不能重发；请申请人重新获取", code="code_not_resendable")
    r.state, r.due_at, r.attempts, r.updated_by = "pending", now or utcnow(), 0, actor.label[:120]
    session.flush()
    audit(session, actor, "reminders.retry", "reminder", str(r.id), {"kind": r.kind})
    return r


def cancel(session: Session, actor: Actor, reminder_id: int) -> Reminder:
    require_office(actor)
    r = session.get(Reminder, reminder_id)
    if r is None:
        raise NotFound("未找到该提醒", code="reminder_not_found")
    if r.state != "pending":
        raise Conflict(f"该提醒当前状态为「{rules.STATES[r.state]}」，只有待发送的提醒可以取消", code="not_pending")
    r.state, r.text_cipher, r.updated_by = "cancelled", None, actor.label[:120]
    session.flush()
    audit(session, actor, "reminders.cancel", "reminder", str(r.id), {"kind": r.kind})
    return r


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    subscription_no: str
    subject_id: int
    subject_name: str
    contact_name: str
    phone_masked: str
    state: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    ended_at: dt.datetime | None
    end_reason: str | None


def subscriptions(
    session: Session, actor: Actor, *, state: str | None = "active", limit: int = 200
) -> list[SubscriptionView]:
    require_office(actor)
    S = ReminderSubscription
    query = select(S, Subject.name).join(Subject, Subject.id == S.subject_id).order_by(S.id.desc()).limit(limit)
    if state:
        if state not in rules.SUBSCRIPTION_STATES:
            raise InvalidInput(f"未知的订阅状态「{state}」", code="invalid_state")
        query = query.where(S.state == state)
    return [
        SubscriptionView(
            s.id,
            s.subscription_no,
            s.subject_id,
            name,
            s.contact_name,
            s.phone_masked,
            s.state,
            s.created_at,
            s.confirmed_at,
            s.ended_at,
            s.end_reason,
        )
        for s, name in session.execute(query)
    ]
