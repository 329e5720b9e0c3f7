"""Disclosure rules (pure functions): which records and which fields the public sees, and in which form.

* Only fields at level 社会公开 (``public``); fields of the policy's masked types (ID numbers, phones) are masked
  even if a catalog marks them public; natural persons' names are masked (张三 → 张*) where the policy says so.
* Free text is scrubbed: anything shaped like a citizen ID number or a mobile number is masked.
* A record is shown only as its current revision, only in a shown status (not after repair, revocation or
  correction) and only inside its publicity window ``[publicity_start, publicity_end)``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from transport_credit.catalog.schema import CategoryDef
from transport_credit.disclosure.schema import DisclosurePolicy
from transport_credit.identifiers.citizen_id import citizen_id_check_char, mask_id_number, mask_name, mask_phone

POLICY_DIR = Path(__file__).resolve().parents[1] / "data" / "disclosure"

# Citizen IDs are found inside any run of digits (and X) of 15+ characters: a run holding an 18-character window
# that is shaped like an ID (region, birth date, sequence) with a valid check character, or exactly a 15-digit old
# ID, is masked whole. Runs are maximal, so IDs glued to other digits are caught too; USCCs contain letters and
# split into shorter runs. Mobiles: runs of exactly 11 digits starting 13–19.
_RUN_RE = re.compile(r"[0-9Xx]{15,}")
_ID18_SHAPE = re.compile(r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]")
_ID15_SHAPE = re.compile(r"[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}")
_MOBILE_RE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9})(?![0-9A-Za-z])")


CHINA_TZ = dt.timezone(dt.timedelta(hours=8))


def china_today() -> dt.date:
    """Today's date in China (UTC+8): publicity periods are calendar days there, whatever the server's zone."""
    return dt.datetime.now(CHINA_TZ).date()


@functools.cache
def load_policy(path: Path | None = None) -> DisclosurePolicy:
    """The disclosure policy: the file with the highest version in ``data/disclosure`` unless a path is given."""
    if path is None:
        files = sorted(POLICY_DIR.glob("*.yaml"))
        policies = [DisclosurePolicy.model_validate(yaml.safe_load(f.read_text(encoding="utf-8"))) for f in files]
        if not policies:
            raise FileNotFoundError(f"no disclosure policy in {POLICY_DIR}")
        return max(policies, key=lambda p: p.version)
    return DisclosurePolicy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def _holds_id(run: str) -> bool:
    if len(run) == 15:
        return bool(_ID15_SHAPE.fullmatch(run))
    for i in range(len(run) - 17):
        window = run[i : i + 18].upper()
        if "X" in window[:17]:
            continue
        if _ID18_SHAPE.fullmatch(window) and citizen_id_check_char(window[:17]) == window[17]:
            return True
    return False


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if not _holds_id(run):
        return run
    return mask_id_number(run) if len(run) == 18 else mask_id_number(run, "other")


def scrub_text(value: str) -> str:
    """Mask anything in free text shaped like a citizen ID number or a mobile phone number."""
    value = _RUN_RE.sub(_mask_run, value)
    return _MOBILE_RE.sub(lambda m: mask_phone(m.group(1)), value)


def public_subject_name(policy: DisclosurePolicy, kind: str, name: str) -> str:
    """A subject's name as the public sees it (natural persons: surname only)."""
    display = policy.subject_name.get(kind, "surname")  # type: ignore[call-overload]
    return scrub_text(name) if display == "full" else mask_name(name)


def public_fields(
    policy: DisclosurePolicy, category: CategoryDef, data: Mapping[str, Any], subject_kind: str
) -> dict[str, Any]:
    """The fields of a record the public may see, keyed by the Chinese field name, masked as the policy says."""
    person_fields = set(policy.person_name_fields.get(subject_kind, ["subject_name", "legal_rep"]))  # type: ignore[call-overload]
    masked_types = set(policy.masked_field_types)
    # Personal names also appear inside free text (违法事实: "当事人李四光…"): masked there too, longest first.
    names = sorted(
        {str(data[k]).strip() for k in person_fields if isinstance(data.get(k), str) and len(str(data[k]).strip()) > 1},
        key=len,
        reverse=True,
    )
    out: dict[str, Any] = {}
    for f in category.fields:
        if f.disclosure != "public":
            continue
        value = data.get(f.key)
        if value is None or value == "":
            continue
        if f.type in masked_types:
            text = str(value)
            value = mask_phone(text) if f.type == "phone" else mask_id_number(text)
        elif f.key in person_fields and isinstance(value, str):
            value = mask_name(value)
        elif isinstance(value, str) and f.type != "uscc":
            value = scrub_text(value)
            for name in names:
                value = value.replace(name, mask_name(name))
        out[f.name] = value
    return out


def record_title(policy: DisclosurePolicy, data: Mapping[str, Any], natural_key: str) -> str:
    """The number shown as a record's title (文书号, 编号); the natural key when none is present."""
    for key in policy.title_fields:
        value = data.get(key)
        if value:
            return scrub_text(str(value))
    return scrub_text(natural_key)


def is_publicly_shown(
    policy: DisclosurePolicy,
    *,
    is_current: bool,
    status: str,
    publicity_start: dt.date | None,
    publicity_end: dt.date | None,
    today: dt.date,
) -> bool:
    """Whether a record revision is on public display today."""
    if not is_current or status not in policy.shown_statuses:
        return False
    if publicity_start is not None and publicity_start > today:
        return False
    return publicity_end is None or publicity_end > today
