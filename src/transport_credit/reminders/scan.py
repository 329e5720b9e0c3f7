"""The subscribers' reminders, found by a scan that may run as often as wanted (each reminder happens once):

- ``record_published``: a record of an announced category (the rules' ``announce_categories``: 行政处罚, 黑名单,
  重点关注名单) on public display that the platform collected after the subscription was confirmed;
- ``repair_available``: a repairable record on public display whose minimum publicity period has passed, so the
  subject may apply for credit repair (信用修复) from that day;
- ``list_expiring``: a list entry (the rules' ``expiring_categories``: 红名单, 黑名单, 重点关注名单) on public display
  whose period ends within ``expiring_days`` (a red-listed subject loses its incentives then).

Only what the website shows goes into a reminder (``disclosure.public_record``: the public title, a person's name
masked).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from transport_credit.common.actor import Actor
from transport_credit.common.errors import NotFound
from transport_credit.db.base import utcnow
from transport_credit.db.uow import Database
from transport_credit.disclosure import service as disclosure
from transport_credit.portal.handling import REPAIRABLE_CATEGORIES
from transport_credit.portal.service import repair_opens_on
from transport_credit.records.models import CreditRecord
from transport_credit.reminders import rules
from transport_credit.reminders.channels import Channel
from transport_credit.reminders.models import Reminder, ReminderSubscription
from transport_credit.reminders.service import (
    DeliveryRun,
    chinese_day,
    deliver,
    enqueue,
    require_office,
    stored_recipient,
    unsubscribe_url,
)
from transport_credit.settings import Settings


@dataclass(frozen=True)
class ScanRun:
    subscriptions: int
    published: int
    repair: int
    expiring: int = 0


def scan(session: Session, settings: Settings, *, now: dt.datetime | None = None) -> ScanRun:
    """Queue the reminders the active subscriptions are due (the caller commits)."""
    now = now or utcnow()
    today = now.astimezone(rules.CHINA_TZ).date()
    doc = rules.reminder_rules(settings.province)
    subs = session.scalars(select(ReminderSubscription).where(ReminderSubscription.state == "active")).all()
    if not subs:
        return ScanRun(0, 0, 0, 0)
    by_subject: defaultdict[int, list[ReminderSubscription]] = defaultdict(list)
    for s in subs:
        by_subject[s.subject_id].append(s)
    announce = set(doc.announce_categories)
    expiring = set(doc.expiring_categories)
    horizon = today + dt.timedelta(days=doc.expiring_days)
    R = CreditRecord
    records = session.scalars(
        select(R)
        .where(
            R.subject_id.in_(list(by_subject)),
            R.category.in_(sorted(announce | expiring | REPAIRABLE_CATEGORIES)),
            R.is_current.is_(True),
            R.status == "active",
            or_(R.publicity_start.is_(None), R.publicity_start <= today),
            or_(R.publicity_end.is_(None), R.publicity_end >= today),
        )
        .order_by(R.id)
    ).all()
    done = set(
        session.scalars(
            select(Reminder.dedupe_key).where(
                Reminder.kind.in_(("record_published", "repair_available", "list_expiring")),
                Reminder.ref.in_([s.subscription_no for s in subs]),
            )
        )
    )
    published = repair = expired = 0
    for r in records:
        wanted: list[tuple[ReminderSubscription, str, dict[str, object]]] = []
        opens: dt.date | None = None
        if r.category in REPAIRABLE_CATEGORIES:
            opens = repair_opens_on(session, r.id)
        for sub in by_subject[r.subject_id]:
            key = f"{sub.id}:{r.category}:{r.natural_key}"
            confirmed = sub.confirmed_at or sub.created_at
            if r.category in announce and r.created_at > confirmed and f"record_published:{key}" not in done:
                wanted.append((sub, "record_published", {}))
            if opens is not None and opens <= today and f"repair_available:{key}" not in done:
                wanted.append((sub, "repair_available", {"date": chinese_day(opens)}))
            end = r.publicity_end
            if r.category in expiring and end is not None and end <= horizon and f"list_expiring:{key}" not in done:
                wanted.append((sub, "list_expiring", {"date": chinese_day(end)}))
        if not wanted:
            continue
        try:
            shown = disclosure.public_record(session, r.id, today=today)
        except NotFound:
            continue  # not on public display after all (the policy hides it)
        for sub, kind, extra in wanted:
            made = enqueue(
                session,
                settings,
                kind=kind,
                dedupe_key=f"{kind}:{sub.id}:{r.category}:{r.natural_key}",
                to=stored_recipient(settings, sub.phone_masked, sub.phone_cipher),
                values={
                    "subject_name": shown.subject_name,
                    "category_name": shown.category_name,
                    "title": shown.title,
                    "unsubscribe_url": unsubscribe_url(settings, sub),
                    **extra,
                },
                subject_id=r.subject_id,
                ref=sub.subscription_no,
                now=now,
            )
            if made is not None:
                published += kind == "record_published"
                repair += kind == "repair_available"
                expired += kind == "list_expiring"
    return ScanRun(len(subs), published, repair, expired)


def run(db: Database, actor: Actor, settings: Settings, channel: Channel | None) -> tuple[ScanRun, DeliveryRun]:
    """What the cron job and the console's button do: queue the subscribers' reminders (one transaction), then send
    every reminder due through ``channel`` (None: queue only). The credit office's, administrators' and the
    system's."""
    require_office(actor)
    with db.unit_of_work() as session:
        found = scan(session, settings)
    return found, deliver(db, settings, channel)
