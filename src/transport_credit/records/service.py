"""Writing one credit record revision from a service (not a file import): lists, evaluation results, effects.

``write_revision`` computes what the import pipeline computes for a row (revision number, ``is_current``, keyed
content hash, quality score, publicity window) and supersedes the current revision of the same record. Personal
fields of the category are stored masked in ``data`` and encrypted in ``pii_cipher``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.catalog.schema import CategoryDef
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import Actor
from transport_credit.common.errors import InvalidInput
from transport_credit.db.base import utcnow
from transport_credit.identifiers.citizen_id import mask_id_number
from transport_credit.ingest.models import Batch
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.pii import pii_keys

RECORD_STATUSES = ("active", "revoked", "repaired", "removed", "superseded")
_CST = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class WrittenRevision:
    record_id: int
    category: str
    natural_key: str
    revision: int
    changed: bool  # False when the content equals the current revision (nothing written)


def service_batch(session: Session, actor: Actor, *, category: str, department_code: str, note: str) -> Batch:
    """The batch of records written by services (``channel = 'service'``) for this category, department and day
    (China Standard Time): every record has a batch, without one batch per record."""
    now = utcnow()
    day = now.astimezone(_CST).strftime("S%Y%m%d")
    existing = session.scalar(
        select(Batch)
        .where(
            Batch.channel == "service",
            Batch.category == category,
            Batch.department_code == department_code,
            Batch.batch_no.startswith(day),
        )
        .order_by(Batch.id.desc())
        .limit(1)
    )
    if existing is not None:
        existing.finished_at = now
        return existing
    batch = Batch(
        batch_no=day + now.astimezone(_CST).strftime("%H%M%S") + uuid.uuid4().hex[:6].upper(),
        category=category,
        department_code=department_code,
        actor=actor.label[:120],
        channel="service",
        catalog_version=active_catalog(session).version,
        status="completed",
        started_at=now,
        finished_at=now,
        notes={"note": note},
    )
    session.add(batch)
    session.flush()
    return batch


def _quality(category: CategoryDef, data: Mapping[str, Any]) -> float:
    alternatives = set(category.subject.aliases.values())
    keys = [f.key for f in category.fields if f.key not in alternatives]
    filled = sum(1 for k in keys if data.get(k) not in (None, ""))
    return filled / len(keys) if keys else 1.0


def write_revision(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    category: str,
    natural_key: str,
    subject_id: int,
    department_code: str,
    data: Mapping[str, Any],
    status: str = "active",
    decision_date: dt.date | None = None,
    publicity_start: dt.date | None = None,
    publicity_end: dt.date | None = None,
    severity: str | None = None,
    batch: Batch | None = None,
) -> WrittenRevision:
    """Write a new revision of the record (``category``, ``natural_key``) unless the current one has the same
    content and status. ``data`` holds field keys → values (dates as ISO strings); personal fields are masked
    here. The caller owns the transaction; the caller also writes the audit entry of its use case.
    """
    if status not in RECORD_STATUSES or status == "superseded":
        raise InvalidInput(f"记录状态「{status}」无效", code="invalid_record_status")
    catalog = active_catalog(session)
    cat = catalog.category(category)
    known = {f.key for f in cat.fields}
    unknown = set(data) - known
    if unknown:
        raise InvalidInput(f"信用信息类别「{cat.name}」没有数据项：{'、'.join(sorted(unknown))}", code="unknown_field")
    keys = pii_keys(settings.pii_key.get_secret_value())
    clean: dict[str, Any] = {k: v for k, v in data.items() if v is not None and v != ""}
    personal = {f.key for f in cat.fields if f.type == "id_number" and f.key in clean}
    cipher = keys.encrypt_json({k: clean[k] for k in sorted(personal)}) if personal else None
    for k in personal:
        clean[k] = mask_id_number(str(clean[k]))
    payload = orjson.dumps(clean, option=orjson.OPT_SORT_KEYS)
    content_hash = hashlib.blake2b(payload + status.encode(), key=keys.mac_key[:64], digest_size=16).hexdigest()

    R = CreditRecord
    current = session.scalar(
        select(R).where(R.category == cat.code, R.natural_key == natural_key, R.is_current.is_(True)).with_for_update()
    )
    if current is not None and current.content_hash == content_hash:
        return WrittenRevision(current.id, cat.code, natural_key, current.revision, changed=False)
    if batch is None:
        batch = service_batch(session, actor, category=cat.code, department_code=department_code, note="service")
    revision = 1
    if current is not None:
        current.is_current = False
        current.status = "superseded"
        revision = current.revision + 1
        session.flush()
    row = R(
        category=cat.code,
        natural_key=natural_key,
        revision=revision,
        is_current=True,
        status=status,
        subject_id=subject_id,
        batch_id=batch.id,
        source_row=None,
        department_code=department_code,
        decision_date=decision_date,
        reported_at=utcnow(),
        report_deadline=None,
        on_time=None,
        deadline_estimated=False,
        severity=severity,
        publicity_rule_version=None,
        publicity_start=publicity_start,
        publicity_min_end=None,
        publicity_end=publicity_end,
        quality_score=_quality(cat, clean),
        content_hash=content_hash,
        data=clean,
        pii_cipher=cipher,
        warnings=None,
    )
    session.add(row)
    batch.total += 1
    batch.accepted += 1 if revision == 1 else 0
    batch.revised += 1 if revision > 1 else 0
    session.flush()
    return WrittenRevision(row.id, cat.code, natural_key, revision, changed=True)


def change_status(
    session: Session,
    actor: Actor,
    *,
    record_id: int,
    status: str,
    note: str,
    publicity_end: dt.date | None = None,
) -> WrittenRevision:
    """A new revision of record ``record_id`` (which must be current) with the same content and another status:
    what a repair (``repaired``) or an upheld objection (``revoked``) decided. ``publicity_end`` ends the
    publicity window early (a repair). The keyed content hash is kept: the content did not change, so the source
    department re-importing its file finds the record unchanged and the decision stands; a file with different
    content is new information and becomes a new revision as usual. The caller owns the transaction and audits."""
    if status not in RECORD_STATUSES or status in ("superseded", "active"):
        raise InvalidInput(f"记录状态「{status}」无效", code="invalid_record_status")
    R = CreditRecord
    current = session.scalar(select(R).where(R.id == record_id).with_for_update())
    if current is None or not current.is_current:
        raise InvalidInput("该信息已有更新的版本，请刷新后重试", code="record_not_current")
    batch = service_batch(session, actor, category=current.category, department_code=current.department_code, note=note)
    current.is_current = False
    current.status = "superseded"
    session.flush()
    end = current.publicity_end
    if publicity_end is not None and (end is None or publicity_end < end):
        end = publicity_end
    row = R(
        category=current.category,
        natural_key=current.natural_key,
        revision=current.revision + 1,
        is_current=True,
        status=status,
        subject_id=current.subject_id,
        batch_id=batch.id,
        source_row=None,
        department_code=current.department_code,
        decision_date=current.decision_date,
        reported_at=utcnow(),
        report_deadline=current.report_deadline,
        on_time=current.on_time,
        deadline_estimated=current.deadline_estimated,
        severity=current.severity,
        publicity_rule_version=current.publicity_rule_version,
        publicity_start=current.publicity_start,
        publicity_min_end=current.publicity_min_end,
        publicity_end=end,
        quality_score=current.quality_score,
        content_hash=current.content_hash,
        data=dict(current.data),
        pii_cipher=current.pii_cipher,
        warnings=None,
    )
    session.add(row)
    batch.total += 1
    batch.revised += 1
    session.flush()
    return WrittenRevision(row.id, row.category, row.natural_key, row.revision, changed=True)
