"""Sharing with other platforms (信用信息共享交换): targets as data, and the pure rules of a package.

A package for a target is the full set of its categories' records in force (``full``, once), or everything that
changed since the target's previous package (``increment``, monthly): each changed record's current revision,
as an ``upsert`` when it is in force and a ``withdraw`` when it was repaired, revoked or removed (so repairs and
revocations propagate). Records are append-only revisions with increasing ids, so a package is the id range
``(from_record_id, to_record_id]`` of the target's categories; the next increment starts where the last ended.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from transport_credit.catalog.schema import CategoryDef
from transport_credit.common.datafiles import load_yaml_model
from transport_credit.common.errors import NotFound
from transport_credit.lists.cases import CASE_KIND_LABELS

FORMAT_VERSION = "transport-credit-exchange/1"
PackageKind = Literal["full", "increment"]
Operation = Literal["upsert", "withdraw"]
WITHDRAWN_STATUSES = frozenset({"repaired", "revoked", "removed"})
KIND_LABELS = {"full": "全量", "increment": "增量"}
OPERATION_LABELS = {"upsert": "新增或更新", "withdraw": "撤回"}
# The columns every CSV file of a package starts with (the record's own fields follow).
CSV_FIXED = (
    "op",
    "withdraw_reason",
    "category",
    "natural_key",
    "revision",
    "record_id",
    "subject_kind",
    "subject_name",
    "subject_uscc",
    "subject_id_number",
    "decision_date",
    "publicity_start",
    "publicity_end",
    "department_code",
    "reported_at",
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ReceiptFormat(_Strict):
    """How a receiver writes its acknowledgement (回执): the names it gives the three columns (any one of each) and
    the words of its result column. A line names a record the package sent by its ``record_id``."""

    record_id: tuple[str, ...] = ("record_id", "记录编号", "记录ID")
    result: tuple[str, ...] = ("result", "处理结果", "结果", "状态")
    reason: tuple[str, ...] = ("reason", "原因", "失败原因", "退回原因", "错误信息")
    accepted: tuple[str, ...] = ("成功", "入库", "已入库", "通过", "接收", "accepted", "ok", "success")
    rejected: tuple[str, ...] = ("失败", "退回", "不通过", "拒收", "rejected", "error", "failed")


class Target(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str
    categories: tuple[str, ...] = Field(min_length=1)
    disclosure: tuple[Literal["public", "shared"], ...] = ("public", "shared")
    personal_ids: Literal["clear", "masked"] = "masked"
    format: Literal["jsonl", "csv"] = "jsonl"
    field_names: dict[str, dict[str, str]] = Field(default_factory=dict)  # category → field key → target's name
    receipt: ReceiptFormat = ReceiptFormat()
    # 联合奖惩典型案例: seed 000 asks for the quarter's cases to be 同步给“信用交通”“信用河南”网站. The package then
    # carries the cases published since the last package (op upsert) and those withdrawn that it had sent (withdraw).
    cases: bool = False


class TargetsDocument(_Strict):
    kind: Literal["exchange_targets"]
    name: str
    version: str
    province: str | None = None
    targets: tuple[Target, ...] = Field(min_length=1)


def _data_dir() -> Path:
    return Path(str(resources.files("transport_credit") / "data" / "exchange"))


def load_document(path: Path) -> TargetsDocument:
    return load_yaml_model(path, TargetsDocument, "共享交换配置文件", "exchange_file_invalid")


def merge_targets(docs: Iterable[TargetsDocument], province: str | None) -> dict[str, Target]:
    """National targets, then the province's file: a target of the same code is replaced, new ones are added."""
    merged: dict[str, Target] = {}
    ordered = sorted(docs, key=lambda d: d.province is not None)
    for d in ordered:
        if d.province is None or d.province == province:
            merged.update({t.code: t for t in d.targets})
    return merged


@functools.cache
def targets(province: str | None = None) -> dict[str, Target]:
    return merge_targets((load_document(p) for p in sorted(_data_dir().glob("*.yaml"))), province)


def target(province: str | None, code: str) -> Target:
    found = targets(province).get(code)
    if found is None:
        names = "、".join(f"{t.code}（{t.name}）" for t in targets(province).values())
        raise NotFound(f"未知的共享交换对象「{code}」，可选：{names}", code="unknown_exchange_target")
    return found


# --- rows ------------------------------------------------------------------------------------------------------


def operation(status: str) -> Operation:
    """``upsert`` for a record in force, ``withdraw`` for one repaired, revoked or removed."""
    if status == "active":
        return "upsert"
    if status in WITHDRAWN_STATUSES:
        return "withdraw"
    raise ValueError(f"a {status} revision is never exchanged")


def shared_fields(category: CategoryDef, t: Target) -> list[tuple[str, str]]:
    """(field key, name in the package) of the fields the target receives, in catalog order."""
    names = t.field_names.get(category.code, {})
    return [(f.key, names.get(f.key, f.key)) for f in category.fields if f.disclosure in t.disclosure]


@dataclass(frozen=True)
class SourceRow:
    """A record revision with its subject, as read for a package (personal fields already chosen clear/masked)."""

    record_id: int
    category: str
    natural_key: str
    revision: int
    status: str
    decision_date: dt.date | None
    publicity_start: dt.date | None
    publicity_end: dt.date | None
    department_code: str
    reported_at: dt.datetime
    data: Mapping[str, Any]
    subject_kind: str
    subject_name: str
    subject_uscc: str | None
    subject_id_number: str | None


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def package_row(row: SourceRow, fields: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """One line of a package: the operation, the record's identity and provenance, its subject, and its shared
    fields (a withdrawal carries no fields: the receiver only needs to know which record leaves)."""
    op = operation(row.status)
    return {
        "op": op,
        "withdraw_reason": row.status if op == "withdraw" else None,
        "category": row.category,
        "natural_key": row.natural_key,
        "revision": row.revision,
        "record_id": row.record_id,
        "subject": {
            "kind": row.subject_kind,
            "name": row.subject_name,
            "uscc": row.subject_uscc,
            "id_number": row.subject_id_number,
        },
        "decision_date": _iso(row.decision_date),
        "publicity_start": _iso(row.publicity_start),
        "publicity_end": _iso(row.publicity_end),
        "department_code": row.department_code,
        "reported_at": _iso(row.reported_at),
        "data": {} if op == "withdraw" else {name: row.data[key] for key, name in fields if key in row.data},
    }


def csv_values(line: Mapping[str, Any], field_names: Sequence[str]) -> list[str]:
    """A package line as a CSV row: the fixed columns, then the category's fields (empty when absent)."""
    subject = line["subject"]
    fixed = {
        **{k: line[k] for k in CSV_FIXED if k in line},
        "subject_kind": subject["kind"],
        "subject_name": subject["name"],
        "subject_uscc": subject["uscc"],
        "subject_id_number": subject["id_number"],
    }
    data = line["data"]
    return [cell(fixed.get(k)) for k in CSV_FIXED] + [cell(data.get(name)) for name in field_names]


def cell(value: Any) -> str:
    return "" if value is None else str(value)


CASE_CATEGORY = "DXAL"  # 典型案例: the lines' category in a package (not a catalog category)
CASE_FIELDS = (
    "op",
    "category",
    "case_id",
    "title",
    "kind",
    "domain",
    "region_code",
    "subject_name",
    "summary",
    "body",
    "published_at",
    "url",
)


@dataclass(frozen=True)
class CaseRow:
    case_id: int
    title: str
    kind: str
    domain: str | None
    region_code: str | None
    subject_name: str | None
    summary: str
    body: str
    published_at: dt.datetime | None


def case_line(row: CaseRow, op: Operation, base_url: str | None) -> dict[str, Any]:
    """One typical case in a package: what the receiving website publishes (a withdrawal carries only its id)."""
    if op == "withdraw":
        return {"op": op, "category": CASE_CATEGORY, "case_id": row.case_id, "withdraw_reason": "withdrawn"}
    return {
        "op": op,
        "category": CASE_CATEGORY,
        "case_id": row.case_id,
        "title": row.title,
        "kind": CASE_KIND_LABELS.get(row.kind, row.kind),
        "domain": row.domain,
        "region_code": row.region_code,
        "subject_name": row.subject_name,
        "summary": row.summary,
        "body": row.body,
        "published_at": _iso(row.published_at),
        "url": f"{base_url.rstrip('/')}/cases/{row.case_id}" if base_url else None,
    }


def file_name(t: Target, category: str | None = None) -> str:
    return f"{category}.csv" if t.format == "csv" else "records.jsonl"


def cases_file_name(t: Target) -> str:
    return f"{CASE_CATEGORY}.csv" if t.format == "csv" else "typical_cases.jsonl"


def package_dir_name(target_code: str, sequence: int, kind: str, period: str) -> str:
    return f"{target_code}-{sequence:05d}-{kind}-{period}"


def period_of(day: dt.date) -> str:
    """The month a package reports (YYYY-MM)."""
    return f"{day:%Y-%m}"


# --- receipts (回执) -------------------------------------------------------------------------------------------

ReceiptOutcome = Literal["accepted", "rejected"]


def _norm(text: str) -> str:
    return "".join(text.split()).lower().lstrip("\ufeff")


def receipt_columns(fmt: ReceiptFormat, header: Sequence[str]) -> dict[str, int]:
    """Column index of ``record_id``, ``result`` and (if present) ``reason`` in a receipt's header row; a
    :class:`ValueError` naming what is missing when the record id or the result cannot be found."""
    cells = [_norm(h) for h in header]
    found: dict[str, int] = {}
    for key, accepted_names in (("record_id", fmt.record_id), ("result", fmt.result), ("reason", fmt.reason)):
        wanted = {_norm(n) for n in accepted_names}
        hit = next((i for i, n in enumerate(cells) if n in wanted), None)
        if hit is not None:
            found[key] = hit
    missing = [
        "/".join(names[:3]) for key, names in (("record_id", fmt.record_id), ("result", fmt.result)) if key not in found
    ]
    if missing:
        raise ValueError("、".join(missing))
    return found


def receipt_outcome(fmt: ReceiptFormat, value: str) -> ReceiptOutcome | None:
    """What a receipt line's result says: ``accepted``, ``rejected``, or ``None`` for words the format does not
    know (such a line is reported, never guessed)."""
    v = _norm(value)
    if v in {_norm(w) for w in fmt.accepted}:
        return "accepted"
    if v in {_norm(w) for w in fmt.rejected}:
        return "rejected"
    return None
