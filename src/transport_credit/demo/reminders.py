"""Demo step of the reminder service (信用提醒服务): a few subjects' contacts subscribe (the code is read from the
message before it goes, as the phone would show it), the scan queues their reminders, and what is due goes out
through the configured channel (by default the file channel under the data directory), so the console's outbox
has applicants' and subscribers' reminders to show."""

from __future__ import annotations

import random
import re

from sqlalchemy import select

from transport_credit.db.uow import Database
from transport_credit.records.models import CreditRecord
from transport_credit.reminders import scan, service
from transport_credit.reminders.channels import channel_for
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.subjects.pii import pii_keys

CONTACTS = ("王经理", "李会计", "张主任")


def build_reminders_demo(db: Database, settings: Settings, *, seed: int = 7) -> service.DeliveryRun:
    """Subscribe the contacts of a few penalised organisations, scan and send; returns what was sent."""
    rng = random.Random(seed * 19 + 5)
    with db.read() as s:
        subjects = list(
            s.scalars(
                select(Subject.id)
                .join(CreditRecord, CreditRecord.subject_id == Subject.id)
                .where(
                    CreditRecord.category == "XZCF",
                    CreditRecord.is_current.is_(True),
                    CreditRecord.status == "active",
                    Subject.kind == "org",
                )
                .distinct()
                .order_by(Subject.id)
                .limit(40)
            )
        )
    keys = pii_keys(settings.pii_key.get_secret_value())
    channel = channel_for(settings)
    for n, subject_id in enumerate(rng.sample(subjects, min(len(CONTACTS), len(subjects)))):
        with db.unit_of_work() as s:
            sub, code = service.subscribe(
                s, settings, subject_id, contact_name=CONTACTS[n], phone=f"1370000{3000 + n:04d}"
            )
            no, code_id = sub.subscription_no, code.id
            sent_text = keys.decrypt(code.text_cipher or b"").decode("utf-8")  # what the phone will show
        service.deliver(db, settings, channel, only=[code_id])
        match = re.search(r"验证码(\d+)", sent_text)
        if match is None:  # a template without the code: nothing to confirm with
            continue
        with db.unit_of_work() as s:
            service.confirm(s, settings, no, match.group(1))
    with db.unit_of_work() as s:
        scan.scan(s, settings)
    return service.deliver(db, settings, channel)
