"""Acknowledgements (回执) from the receiving platforms and the records they send back (退回) for correction (整改).

A receiver answers a package with a receipt file (CSV in UTF-8 or GB18030, XLSX, or JSON Lines) naming records by
the ``record_id`` the package gave them, each with a result (taken in or sent back) and, for a record sent back,
the reason. The column names and result words are the target's data (``rules.ReceiptFormat``). A receipt may
list every record or only those sent back: records it does not name count as taken in.

Importing a receipt is all or nothing: a line naming a record the package did not send, or a result the format
does not know, refuses the whole file with its problems listed by line (nothing is written). The file is read as a
stream and checked a thousand lines at a time; for the lines taken in only the record ids are kept. Each record sent
back becomes a rejection assigned to the record's source department. It is settled when a newer revision of the
record exists (a correction, or a repair, revocation or removal): the next increment carries that revision.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from transport_credit.audit.events import record as audit
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.cells import spreadsheet_text
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.exchange import rules
from transport_credit.exchange.models import ExchangePackage, ExchangeReceipt, ExchangeRejection
from transport_credit.exchange.service import package_by_sequence
from transport_credit.ingest.readers import FileRefused, detect_encoding, detect_format, open_rows
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings

MAX_REPORTED_PROBLEMS = 50
_SNIFF = 1 << 20  # bytes read to recognise the format and encoding (as the import does)
NO_REASON = "（回执未说明原因）"
_LOOKUP = 1000


@dataclass(frozen=True)
class ReceiptView:
    id: int
    package_id: int
    target: str
    sequence: int
    file_name: str
    file_sha256: str
    lines: int
    accepted: int
    rejected: int
    created_by: str
    created_at: dt.datetime
    already_imported: bool = False


@dataclass(frozen=True)
class RejectionView:
    id: int
    target: str
    target_name: str
    sequence: int
    period: str
    record_id: int
    category: str
    natural_key: str
    department_code: str
    reason: str
    corrected_by: int | None  # the newer revision that settles it; None: still to be corrected

    @property
    def settled(self) -> bool:
        return self.corrected_by is not None


def _view(r: ExchangeReceipt, p: ExchangePackage, *, already: bool = False) -> ReceiptView:
    return ReceiptView(
        r.id,
        p.id,
        p.target,
        p.sequence,
        r.file_name,
        r.file_sha256,
        r.lines,
        r.accepted,
        r.rejected,
        r.created_by,
        r.created_at,
        already,
    )


def _rows(path: Path, stream: IO[bytes]) -> Generator[list[str], None, None]:
    """Every row of the receipt as cell text (header included), read as it goes."""
    head = stream.read(_SNIFF)
    stream.seek(0)
    if not head.strip():
        raise FileRefused("回执文件为空", code="empty_file")
    if detect_format(path, head) == "csv":
        text = io.TextIOWrapper(stream, encoding=detect_encoding(head), newline="")
        try:
            yield from csv.reader(text)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FileRefused("回执文件无法按 CSV 读取（编码或引号有误）", code="bad_csv") from exc
        finally:
            text.detach()  # the caller closes the file
        return
    yield from open_rows(path, stream).rows


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_RECORD_ID = re.compile(r"[0-9]{1,18}")


@dataclass
class _Reading:
    """What a pass over the receipt found. Only the ids are kept for the lines taken in (a full package's receipt
    can list millions), the reason too for those sent back."""

    lines: int = 0
    accepted: dict[int, int] = field(default_factory=dict)  # record id → line
    rejected: dict[int, tuple[int, str]] = field(default_factory=dict)  # record id → (line, reason)
    records: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # sent back: (category, key, department)
    problems: list[dict[str, object]] = field(default_factory=list)  # the first MAX_REPORTED_PROBLEMS found
    problem_count: int = 0

    def problem(self, line: int, code: str, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append({"line": line, "code": code, "message": message})


_Parsed = tuple[int, int, "rules.ReceiptOutcome", str]  # line, record id, outcome, reason


def _read(session: Session, package: ExchangePackage, t: rules.Target, source: Iterator[list[str]]) -> _Reading:
    """One pass over the receipt's rows: each line parsed, and checked against the package a chunk at a time."""
    fmt = t.receipt
    rows = enumerate(source, start=1)
    header = next((row for _, row in rows if any(c.strip() for c in row)), None)
    if header is None:
        raise FileRefused("回执文件为空", code="empty_file")
    try:
        cols = rules.receipt_columns(fmt, header)
    except ValueError as exc:
        raise FileRefused(f"回执缺少列：{exc}", code="receipt_columns_missing") from exc
    reading = _Reading()

    def cell(row: Sequence[str], key: str) -> str:
        i = cols.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    chunk: list[_Parsed] = []
    for number, row in rows:
        if not any(c.strip() for c in row):
            continue
        reading.lines += 1
        raw_id, raw_result = cell(row, "record_id").translate(_FULLWIDTH_DIGITS), cell(row, "result")
        outcome = rules.receipt_outcome(fmt, raw_result)
        if not _RECORD_ID.fullmatch(raw_id):
            reading.problem(number, "bad_record_id", f"记录编号「{raw_id[:40]}」不是数字")
        elif outcome is None:
            reading.problem(number, "unknown_result", f"无法识别的处理结果「{raw_result[:40]}」")
        else:
            chunk.append((number, int(raw_id), outcome, cell(row, "reason")[:2000]))
        if len(chunk) >= _LOOKUP:
            _check(session, package, t, chunk, reading)
            chunk = []
    _check(session, package, t, chunk, reading)
    return reading


def _check(
    session: Session, package: ExchangePackage, t: rules.Target, chunk: list[_Parsed], reading: _Reading
) -> None:
    """Record a chunk of parsed lines: each must name a record the package sent, and one record one result."""
    if not chunk:
        return
    sent = _sent_records(session, package, t, sorted({rid for _, rid, _, _ in chunk}))
    for line, rid, outcome, reason in chunk:
        earlier = reading.accepted.get(rid) if outcome == "rejected" else reading.rejected.get(rid, (None, ""))[0]
        if rid not in sent:
            reading.problem(line, "not_in_package", f"记录编号 {rid} 不在本交换包中")
        elif earlier is not None:
            reading.problem(line, "conflicting_result", f"记录编号 {rid} 在第 {earlier} 行的处理结果与本行不同")
        elif outcome == "accepted":
            reading.accepted.setdefault(rid, line)
        else:
            reading.rejected.setdefault(rid, (line, reason))
            reading.records[rid] = sent[rid]


def import_receipt(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    target: str,
    sequence: int,
    path: Path,
    file_name: str | None = None,
) -> ReceiptView:
    """Record the receipt at ``path`` for the target's package ``sequence`` (the caller commits). The same file
    again returns the receipt already recorded; a different file for a package that has one is refused. The file is
    read as a stream, its lines checked against the package a thousand at a time."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    package = package_by_sequence(session, settings, target, sequence)
    return _import(session, actor, settings, package, path, file_name)


def import_receipt_for(
    session: Session, actor: Actor, settings: Settings, *, package_id: int, path: Path, file_name: str | None = None
) -> ReceiptView:
    """:func:`import_receipt` for the package with the id ``package_id`` (the console's row)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    package = session.get(ExchangePackage, package_id)
    if package is None:
        raise NotFound("未找到该交换包", code="package_not_found")
    return _import(session, actor, settings, package, path, file_name)


def _import(
    session: Session, actor: Actor, settings: Settings, package: ExchangePackage, path: Path, file_name: str | None
) -> ReceiptView:
    t = rules.target(settings.province, package.target)
    sequence = package.sequence
    with path.open("rb") as stream:
        digest = _sha256(stream)
        existing = session.scalar(select(ExchangeReceipt).where(ExchangeReceipt.package_id == package.id))
        if existing is not None:
            if existing.file_sha256 == digest:
                return _view(existing, package, already=True)
            raise Conflict(
                f"第 {sequence} 号交换包已导入回执（{existing.file_name}），不能再导入另一份", code="receipt_exists"
            )
        with contextlib.closing(_rows(path, stream)) as source:  # ended while the file is open, even on a refusal
            reading = _read(session, package, t, source)
    if reading.problem_count:
        problems = sorted(reading.problems, key=lambda p: int(str(p["line"])))
        shown = "；".join(f"第 {p['line']} 行：{p['message']}" for p in problems[:5])
        more = f"等 {reading.problem_count} 处" if reading.problem_count > 5 else ""
        raise InvalidInput(
            f"回执有误，未导入：{shown}{more}",
            code="receipt_invalid",
            details={"problems": problems, "count": reading.problem_count},
        )
    back = sorted(reading.rejected.items())
    receipt = ExchangeReceipt(
        package_id=package.id,
        file_name=(file_name or path.name)[:255],
        file_sha256=digest,
        lines=reading.lines,
        accepted=package.rows - len(back),
        rejected=len(back),
        created_by=actor.label[:120],
        created_at=utcnow(),
    )
    session.add(receipt)
    session.flush()
    session.add_all(
        ExchangeRejection(
            receipt_id=receipt.id,
            package_id=package.id,
            record_id=rid,
            category=reading.records[rid][0],
            natural_key=reading.records[rid][1],
            department_code=reading.records[rid][2],
            reason=reason or NO_REASON,
        )
        for rid, (_, reason) in back
    )
    audit(
        session,
        actor,
        "exchange.receipt",
        "exchange_package",
        f"{package.target}#{package.sequence}",
        {"file_sha256": digest, "lines": reading.lines, "rejected": len(back)},
    )
    return _view(receipt, package)


def _sent_records(
    session: Session, package: ExchangePackage, t: rules.Target, ids: list[int]
) -> dict[int, tuple[str, str, str]]:
    """Of ``ids``, the records the package can have sent (its range and the target's categories): id → (category,
    natural key, source department)."""
    R = CreditRecord
    found: dict[int, tuple[str, str, str]] = {}
    for start in range(0, len(ids), _LOOKUP):
        chunk = ids[start : start + _LOOKUP]
        stmt = select(R.id, R.category, R.natural_key, R.department_code).where(
            R.id.in_(chunk),
            R.id > package.from_record_id,
            R.id <= package.to_record_id,
            R.category.in_(t.categories),
        )
        found.update({rid: (cat, key, dept) for rid, cat, key, dept in session.execute(stmt)})
    return found


def receipts_by_package(session: Session, actor: Actor, package_ids: Sequence[int]) -> dict[int, ReceiptView]:
    """The receipts of the given packages (for the package list)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    if not package_ids:
        return {}
    stmt = (
        select(ExchangeReceipt, ExchangePackage)
        .join(ExchangePackage, ExchangePackage.id == ExchangeReceipt.package_id)
        .where(ExchangeReceipt.package_id.in_(list(package_ids)))
    )
    return {p.id: _view(r, p) for r, p in session.execute(stmt)}


def _corrected_by(current: Any) -> ColumnElement[bool]:
    """Join condition: ``current`` is the record's current revision and newer than the one sent back."""
    X = ExchangeRejection
    return and_(
        current.category == X.category,
        current.natural_key == X.natural_key,
        current.is_current.is_(True),
        current.id > X.record_id,
    )


def list_rejections(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    target: str | None = None,
    department_code: str | None = None,
    include_settled: bool = False,
    limit: int = 500,
) -> list[RejectionView]:
    """Records sent back, newest package first, each with the revision that settles it (if any). The credit office
    and viewers see every department's; a data officer sees the records of their own department."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER, ROLE_DATA_OFFICER)
    if not actor.has_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER):
        department_code = actor.department_code or "-"
    X, P = ExchangeRejection, ExchangePackage
    current = aliased(CreditRecord)
    stmt = (
        select(X, P.target, P.sequence, P.period, current.id)
        .join(P, P.id == X.package_id)
        .outerjoin(current, _corrected_by(current))
        .order_by(P.id.desc(), X.record_id)
        .limit(max(1, min(limit, 5000)))
    )
    if target:
        stmt = stmt.where(P.target == rules.target(settings.province, target).code)
    if department_code:
        stmt = stmt.where(X.department_code == department_code)
    if not include_settled:
        stmt = stmt.where(current.id.is_(None))
    known = rules.targets(settings.province)
    return [
        RejectionView(
            x.id,
            tgt,
            known[tgt].name if tgt in known else tgt,
            seq,
            period,
            x.record_id,
            x.category,
            x.natural_key,
            x.department_code,
            x.reason,
            newer,
        )
        for x, tgt, seq, period, newer in session.execute(stmt)
    ]


def _open_counts(session: Session, department_code: str | None = None) -> dict[str, int]:
    X = ExchangeRejection
    current = aliased(CreditRecord)
    stmt = (
        select(X.department_code, func.count())
        .outerjoin(current, _corrected_by(current))
        .where(current.id.is_(None))
        .group_by(X.department_code)
    )
    if department_code is not None:
        stmt = stmt.where(X.department_code == department_code)
    return {dept: int(n) for dept, n in session.execute(stmt)}


def open_rejection_counts(session: Session, actor: Actor) -> dict[str, int]:
    """Department code → records sent back and not yet corrected (the credit office's overview)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER)
    return _open_counts(session)


def open_rejections_of(session: Session, department_code: str | None) -> int:
    """Records sent back and not yet corrected, of one department or (``None``) all: the work list's count, scoped
    by the work list like its other counts."""
    return sum(_open_counts(session, department_code).values())


REJECTION_HEADERS = (
    "接收平台",
    "交换包",
    "所属月份",
    "记录编号",
    "类别",
    "业务编号",
    "信息提供单位",
    "退回原因",
    "状态",
    "更正后的记录编号",
)


def rejections_xlsx(items: Sequence[RejectionView], department_names: Mapping[str, str]) -> bytes:
    """The records sent back as a workbook, for the 数据质量通报 to the departments that correct them. Text received
    from other platforms is written as text, never as a formula."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "退回记录"
    ws.append(list(REJECTION_HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for x in items:
        ws.append(
            [
                x.target_name,
                f"第 {x.sequence} 号",
                x.period,
                x.record_id,
                x.category,
                spreadsheet_text(x.natural_key),
                department_names.get(x.department_code, x.department_code),
                spreadsheet_text(x.reason),
                "已更正" if x.settled else "待更正",
                x.corrected_by,
            ]
        )
    for column, width in zip("ABCDEFGHIJ", (26, 10, 10, 12, 8, 28, 26, 40, 8, 16), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
