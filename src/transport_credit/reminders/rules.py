"""Rules of the reminder service (信用提醒服务): the message templates as data, quiet hours, retries and the
verification of a subscriber's number. Pure: no I/O but reading the shipped file.

A reminder is a short message (短信) to a telephone number: an applicant's (objection and repair applications: each
step of the handling) or a subscriber's (a subject's contact who asked to hear of new public penalty and list
records and of the day a record may be repaired). The texts carry only what the website shows anyone: tracking
numbers, the subject's public name, record titles, dates and outcomes, never personal data.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from transport_credit.common.datafiles import load_for_province, shipped_path
from transport_credit.common.errors import InvalidInput

CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
STATES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败", "cancelled": "已取消"}
SUBSCRIPTION_STATES = {"pending": "待验证", "active": "已开通", "ended": "已退订"}
APPLICATION_EVENTS = ("received", "accepted", "refused", "decided")
DECLARATION_EVENTS = ("received", "decided")
# Placeholders each template kind may use (a template naming another is refused when the file is loaded).
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "application_received": frozenset({"application_kind", "tracking_no", "due"}),
    "application_accepted": frozenset({"application_kind", "tracking_no", "due"}),
    "application_refused": frozenset({"application_kind", "tracking_no"}),
    "application_decided": frozenset({"application_kind", "tracking_no", "outcome"}),
    "declaration_received": frozenset({"category_name", "tracking_no", "due"}),
    "declaration_decided": frozenset({"category_name", "tracking_no", "outcome"}),
    "subscription_code": frozenset({"subject_name", "code", "minutes"}),
    "subscription_confirmed": frozenset({"subject_name", "unsubscribe_url"}),
    "record_published": frozenset({"subject_name", "category_name", "title", "unsubscribe_url"}),
    "repair_available": frozenset({"subject_name", "category_name", "title", "date", "unsubscribe_url"}),
    "list_expiring": frozenset({"subject_name", "category_name", "title", "date", "unsubscribe_url"}),
}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
SMS_SEGMENT = 67  # characters of one part of a long Chinese short message (70 minus the concatenation header)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class QuietHours(_Strict):
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("时间应为 HH:MM")
        return value

    def times(self) -> tuple[dt.time, dt.time]:
        return dt.time.fromisoformat(self.start), dt.time.fromisoformat(self.end)


class Retry(_Strict):
    max_attempts: int = Field(ge=1, le=20)
    backoff_minutes: tuple[int, ...] = Field(min_length=1)


class Verification(_Strict):
    code_length: int = Field(ge=4, le=8)
    valid_minutes: int = Field(ge=1, le=60)
    max_attempts: int = Field(ge=1, le=10)
    per_phone_per_day: int = Field(ge=1, le=50)


class Template(_Strict):
    kind: str
    label: str
    audience: Literal["applicant", "subscriber"]
    urgent: bool = False  # sent at once, quiet hours or not (a verification code is asked for by the person)
    text: str = Field(min_length=1, max_length=300)


class ReminderDocument(_Strict):
    kind: Literal["reminders"]
    name: str
    version: str
    province: str | None = None
    effective_from: dt.date
    basis: str
    signature: str
    quiet_hours: QuietHours | None = None
    retry: Retry
    verification: Verification
    announce_categories: tuple[str, ...]
    expiring_categories: tuple[str, ...] = ()
    expiring_days: int = Field(default=30, ge=1, le=366)
    templates: tuple[Template, ...]

    @model_validator(mode="after")
    def _consistent(self) -> ReminderDocument:
        kinds = [t.kind for t in self.templates]
        missing = sorted(set(PLACEHOLDERS) - set(kinds))
        unknown = sorted(set(kinds) - set(PLACEHOLDERS))
        dup = sorted({k for k in kinds if kinds.count(k) > 1})
        if missing or unknown or dup:
            raise ValueError(f"templates: missing {missing}, unknown {unknown}, duplicate {dup}")
        for t in self.templates:
            stray = placeholders(t.text) - PLACEHOLDERS[t.kind]
            if stray:
                raise ValueError(f"template {t.kind} names unknown placeholders: {', '.join(sorted(stray))}")
        if placeholders(self.signature) - {"site"}:
            raise ValueError("signature may only name {site}")
        return self

    def template(self, kind: str) -> Template:
        return next(t for t in self.templates if t.kind == kind)

    def labels(self) -> dict[str, str]:
        return {t.kind: t.label for t in self.templates}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def load_reminders(directory: Path, province: str | None) -> ReminderDocument:
    """The reminder rules in force for ``province`` among the ``reminders*.yaml`` files of ``directory``."""
    return load_for_province(
        directory, "reminders*.yaml", ReminderDocument, "信用提醒规则", "reminders_invalid", province
    )


@functools.cache
def reminder_rules(province: str | None = None) -> ReminderDocument:
    """The shipped reminder rules for ``province`` (read once)."""
    return load_reminders(shipped_path("reminders"), province)


# --- texts ----------------------------------------------------------------------------------------------------------


def render(doc: ReminderDocument, kind: str, site: str, values: Mapping[str, object]) -> str:
    """The message of ``kind``: the signature, then the template filled with ``values`` (every placeholder the
    template names must be given)."""
    template = doc.template(kind)
    missing = placeholders(template.text) - set(values)
    if missing:
        raise ValueError(f"{kind}: no value for {', '.join(sorted(missing))}")
    return doc.signature.format(site=site) + template.text.format_map(dict(values))


def segments(text: str) -> int:
    """How many short messages ``text`` takes (70 characters fit one; a longer one is sent in parts of 67)."""
    return 1 if len(text) <= 70 else -(-len(text) // SMS_SEGMENT)


# --- when -----------------------------------------------------------------------------------------------------------


def send_after(doc: ReminderDocument, kind: str, now: dt.datetime) -> dt.datetime:
    """When a reminder of ``kind`` made at ``now`` (aware) may be sent: at once, or at the end of the quiet hours
    it falls in (China time). Urgent kinds are never held."""
    if doc.quiet_hours is None or doc.template(kind).urgent:
        return now
    return out_of_quiet_hours(doc.quiet_hours, now)


def out_of_quiet_hours(quiet: QuietHours, now: dt.datetime) -> dt.datetime:
    start, end = quiet.times()
    local = now.astimezone(CHINA_TZ)
    t = local.time()
    if start == end:
        return now
    if start < end:  # e.g. 12:00–14:00
        inside = start <= t < end
        resume_day = local.date()
    else:  # across midnight, e.g. 21:00–08:00
        inside = t >= start or t < end
        resume_day = local.date() + dt.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return now
    return dt.datetime.combine(resume_day, end, tzinfo=CHINA_TZ).astimezone(now.tzinfo or dt.UTC)


def next_attempt(doc: ReminderDocument, kind: str, attempts: int, now: dt.datetime) -> dt.datetime | None:
    """After the ``attempts``-th failed attempt: when to try again, or None when the reminder has failed for good."""
    if attempts >= doc.retry.max_attempts:
        return None
    backoff = doc.retry.backoff_minutes
    wait = backoff[min(attempts, len(backoff)) - 1]
    return send_after(doc, kind, now + dt.timedelta(minutes=wait))


# --- verification codes ---------------------------------------------------------------------------------------------


def new_code(length: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(length))


def code_hash(secret: str, subscription_no: str, code: str) -> str:
    """The stored form of a verification code: keyed, bound to its subscription (a code is never stored)."""
    return hmac.new(secret.encode("utf-8"), f"{subscription_no}|{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(secret: str, subscription_no: str, code: str, stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(code_hash(secret, subscription_no, code.strip()), stored)


def check_subscriber(name: str, phone: str) -> dict[str, str]:
    """Field errors of the subscription form (a mobile number: reminders are short messages)."""
    errors: dict[str, str] = {}
    if not (2 <= len(name.strip()) <= 100):
        errors["contact_name"] = "请填写联系人（2–100 个字符）"
    if not re.fullmatch(r"1[3-9]\d{9}", phone.strip().replace(" ", "")):
        errors["phone"] = "请填写有效的手机号码（11 位）"
    return errors


def unsubscribe_token() -> str:
    return secrets.token_urlsafe(12)


def require_kind(kind: str) -> None:
    if kind not in PLACEHOLDERS:
        raise InvalidInput(f"未知的提醒类型「{kind}」", code="unknown_reminder_kind")
