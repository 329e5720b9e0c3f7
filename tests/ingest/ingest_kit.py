"""Shared helpers of the collection (归集) tests: valid rows, real files, the database's row counts.

Rows are dicts keyed by catalog field key; writers turn them into the files offices send.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from transport_credit.audit.models import AuditEntry
from transport_credit.catalog.loader import load_document
from transport_credit.common.actor import ROLE_ADMIN, ROLE_DATA_OFFICER, Actor
from transport_credit.db.uow import Database
from transport_credit.identifiers.uscc import uscc_check_char
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.ingest.pipeline import BatchSummary
from transport_credit.ingest.service import import_file
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject, SubjectAlias

ZFJ = "410000-zfj"  # 河南省交通运输厅执法局: a source of 行政处罚
ZFJ_NAME = "河南省交通运输厅执法局"
ZFJ_USCC = "11410000MB00010080"
GHC = "410000-ghc"  # 规划处: a source of 行政许可 only
JGC = "410000-jgc"  # 建管处: a source of both 行政许可 and 行政处罚

ADMIN = Actor("tester", "cli", roles=frozenset({ROLE_ADMIN}))
OFFICER = Actor("officer", "account", department_code=ZFJ, roles=frozenset({ROLE_DATA_OFFICER}))

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def citizen_id(region: str = "410102", birth: dt.date = dt.date(1985, 3, 5), seq: int = 123) -> str:
    """A citizen ID number with a correct GB 11643 check character (computed here, independently of the code)."""
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def uscc(n: int, region: str = "410100", body: str = "91") -> str:
    """The ``n``-th valid USCC of a region (deterministic)."""
    org = f"MA{n:07d}"
    return body + region + org + uscc_check_char(body + region + org)


def _fields(category: str) -> list[tuple[str, str]]:
    doc = load_document(Path(__file__).parents[2] / "src/transport_credit/data/catalog/national.yaml").document
    cat = next(c for c in doc.categories if c.code == category)  # type: ignore[union-attr]
    return [(f.key, f.name) for f in cat.fields]


XZCF_HEADERS: dict[str, str] = dict(_fields("XZCF"))  # field key → standard header
XZXK_HEADERS: dict[str, str] = dict(_fields("XZXK"))


def days_ago(n: int) -> dt.date:
    return dt.date.today() - dt.timedelta(days=n)


def penalty_row(n: int = 1, **overrides: str) -> dict[str, str]:
    """A valid, complete 行政处罚 row for an organisation (decided 30 days ago)."""
    decided = days_ago(30)
    row = {
        "subject_name": f"郑州顺达{n}号物流有限公司",
        "subject_kind": "法人及非法人组织",
        "uscc": uscc(n),
        "legal_rep": "王伟",
        "decision_no": f"豫交执罚〔2026〕{n:06d}号",
        "violation_type": "超限运输",
        "violation_facts": "当事人驾驶货运车辆超限运输，经调查属实。",
        "penalty_basis": "《公路安全保护条例》第六十四条",
        "penalty_type": "罚款",
        "penalty_content": "罚款人民币2000元",
        "fine_amount": "0.2",
        "decision_date": decided.strftime("%Y/%m/%d"),
        "valid_until": (decided + dt.timedelta(days=365)).strftime("%Y/%m/%d"),
        "authority": ZFJ_NAME,
        "authority_uscc": ZFJ_USCC,
        "source_unit": ZFJ_NAME,
        "source_unit_uscc": ZFJ_USCC,
        "remarks": "无",
        "region_code": "410100",
        "domain": "道路运输",
        "subdomain": "道路货物运输",
    }
    row.update(overrides)
    return row


def person_penalty_row(n: int, id_number: str, **overrides: str) -> dict[str, str]:
    return penalty_row(
        n,
        subject_name="张三",
        subject_kind="自然人",
        uscc="",
        legal_rep="",
        id_type="01",
        id_number=id_number,
        **overrides,
    )


def licence_row(n: int = 1, **overrides: str) -> dict[str, str]:
    """A valid 行政许可 row."""
    decided = days_ago(20)
    row = {
        "subject_name": f"洛阳通达{n}号运输有限公司",
        "subject_kind": "法人及非法人组织",
        "uscc": uscc(n, "410300"),
        "legal_rep": "李娜",
        "doc_name": "道路运输经营许可决定书",
        "decision_no": f"豫交许〔2026〕{n:06d}号",
        "license_type": "普通",
        "certificate_name": "道路运输经营许可证",
        "license_no": f"410300{n:08d}",
        "license_content": "从事道路普通货物运输经营",
        "decision_date": decided.isoformat(),
        "valid_from": decided.isoformat(),
        "valid_until": (decided + dt.timedelta(days=4 * 365)).isoformat(),
        "authority": "河南省交通运输厅",
        "authority_uscc": ZFJ_USCC,
        "status": "有效",
        "source_unit": "河南省交通运输厅",
        "source_unit_uscc": ZFJ_USCC,
        "region_code": "410300",
        "domain": "道路运输",
        "subdomain": "道路货物运输",
    }
    row.update(overrides)
    return row


def table(headers: Mapping[str, str], rows: Iterable[Mapping[str, str]]) -> list[list[str]]:
    """Header row plus data rows as cell lists (missing keys are empty cells)."""
    out = [list(headers.values())]
    out.extend([row.get(k, "") for k in headers] for row in rows)
    return out


def write_csv(path: Path, cells: Sequence[Sequence[str]], encoding: str = "gb18030") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(cells)
    return path


def write_xlsx(path: Path, cells: Sequence[Sequence[object]], *, title: str | None = None) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(cells[0]))
    for row in cells:
        ws.append(list(row))
    wb.save(path)
    return path


def write_jsonl(path: Path, headers: Mapping[str, str], rows: Iterable[Mapping[str, str]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps({headers[k]: v for k, v in row.items() if k in headers}, ensure_ascii=False) + "\n")
    return path


def run_import(
    db: Database,
    settings: Settings,
    path: Path,
    *,
    category: str = "行政处罚",
    department: str = ZFJ,
    actor: Actor = ADMIN,
    **kwargs: Any,
) -> BatchSummary:
    with db.unit_of_work() as session:
        return import_file(session, actor, settings, path, category=category, department=department, **kwargs)


COUNTED = {
    "batches": Batch,
    "credit_records": CreditRecord,
    "subjects": Subject,
    "subject_aliases": SubjectAlias,
    "quarantine_rows": QuarantineRow,
    "audit_log": AuditEntry,
}


def counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in COUNTED.items()}


def records(session: Session, **where: Any) -> list[CreditRecord]:
    stmt = select(CreditRecord).filter_by(**where).order_by(CreditRecord.natural_key, CreditRecord.revision)
    return list(session.scalars(stmt))


def current(session: Session, natural_key: str, category: str = "XZCF") -> CreditRecord:
    return session.scalars(
        select(CreditRecord).where(
            CreditRecord.category == category,
            CreditRecord.natural_key == natural_key,
            CreditRecord.is_current.is_(True),
        )
    ).one()


def all_text(session: Session, tables: Iterable[str]) -> str:
    """Every value of every row of ``tables`` as text (binary columns decoded leniently)."""
    parts: list[str] = []
    for name in tables:
        for row in session.execute(text(f"SELECT * FROM {name}")):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    parts.append(bytes(value).decode("latin-1"))
                else:
                    parts.append(str(value))
    return "\n".join(parts)


def codes(items: Iterable[Mapping[str, str]]) -> set[str]:
    return {i["code"] for i in items}


def import_table(
    db: Database,
    settings: Settings,
    path: Path,
    rows: Iterable[Mapping[str, str]],
    headers: Mapping[str, str] = XZCF_HEADERS,
    **kwargs: Any,
) -> BatchSummary:
    """Write ``rows`` to ``path`` (CSV in GB18030, or XLSX by suffix) and import it."""
    cells = table(headers, rows)
    if path.suffix == ".xlsx":
        write_xlsx(path, cells)
    else:
        write_csv(path, cells)
    return run_import(db, settings, path, **kwargs)


def quarantined(db: Database) -> dict[str, list[dict[str, str]]]:
    """Natural key → errors of the open quarantine rows."""
    with db.read() as session:
        rows = session.execute(select(QuarantineRow.natural_key, QuarantineRow.errors)).all()
    return {str(k): list(e) for k, e in rows}


def stored(db: Database, category: str = "XZCF") -> dict[str, CreditRecord]:
    """Natural key → current record (detached, attributes loaded)."""
    with db.read() as session:
        out = {}
        for r in session.scalars(
            select(CreditRecord).where(CreditRecord.category == category, CreditRecord.is_current.is_(True))
        ):
            session.expunge(r)
            out[r.natural_key] = r
        return out
