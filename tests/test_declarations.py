"""信用信息自主申报 on the real database: a company declares an award on the website; the catalog's rules check it
(nothing written by the check); the credit office adopts it as a 表彰奖励 record through the import pipeline, or
rejects it; the public credit file shows the adopted record with its origin; rights, conflicts, personal data."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent / "ingest"))
sys.path.insert(0, str(Path(__file__).parent / "lists"))

from ingest_kit import import_table, penalty_row, person_penalty_row, uscc
from lists_kit import OFFICE, OFFICER, PERSON_ID, VIEWER

from transport_credit.audit.models import AuditEntry
from transport_credit.bootstrap import initialize
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.disclosure import service as disclosure
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.portal import declarations
from transport_credit.portal.models import CreditDeclaration
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

AWARD = {
    "decision_no": "豫交表〔2026〕18号",
    "award_name": "2025年度诚信道路运输企业",
    "award_level": "",
    "award_content": "在道路货物运输诚信经营考核中成绩优异",
    "decision_date": "2026-03-15",
    "authority": "河南省交通运输厅",
    "domain": "道路运输",
}


@pytest.fixture
def platform(db: Database, settings: Settings, tmp_path: Path) -> Database:
    """A company (penalty 1) and a person (penalty 2) known to the platform."""
    initialize(db, settings)
    import_table(db, settings, tmp_path / "p.csv", [penalty_row(1), person_penalty_row(2, PERSON_ID)])
    return db


def _company(db: Database) -> int:
    with db.read() as s:
        found = s.scalar(select(Subject.id).where(Subject.uscc == uscc(1)))
    assert found is not None
    return found


def _submit(db: Database, settings: Settings, subject_id: int, **changes: str) -> CreditDeclaration:
    with db.unit_of_work() as s:
        d = declarations.submit_declaration(
            s,
            settings,
            subject_id=subject_id,
            category="BZJL",
            fields={**AWARD, **changes},
            applicant_name="王经理",
            contact="13812345678",
            statement="表彰文件见河南省交通运输厅官网通知公告栏目。",
        )
        s.expunge(d)
    return d


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as s:
        return (
            int(s.scalar(select(func.count()).select_from(CreditRecord)) or 0),
            int(s.scalar(select(func.count()).select_from(Batch)) or 0),
            int(s.scalar(select(func.count()).select_from(QuarantineRow)) or 0),
        )


def test_a_declaration_is_checked_by_the_catalog_and_adopted_as_a_record(
    platform: Database, settings: Settings
) -> None:
    db = platform
    company = _company(db)
    before = _counts(db)
    d = _submit(db, settings, company)
    assert d.tracking_no.startswith("ZB")
    assert d.status == "received"
    assert _counts(db) == before  # the check wrote nothing: no record, batch or quarantine row
    assert d.contact_masked != "13812345678"
    assert b"13812345678" not in d.contact_cipher  # the phone number is encrypted
    with db.read() as s:
        assert declarations.declaration_status(s, d.tracking_no.lower()).id == d.id

    with db.unit_of_work() as s:
        adopted = declarations.adopt_declaration(s, OFFICE, settings, d.id, reply="经核实，表彰信息属实，予以采纳。")
        record_id = adopted.record_id
    assert record_id is not None
    with db.read() as s:
        record = s.get(CreditRecord, record_id)
        assert record is not None
        assert (record.category, record.natural_key, record.subject_id) == ("BZJL", AWARD["decision_no"], company)
        assert record.department_code == OFFICE.department_code
        assert "主体自主申报" in record.data["remarks"]
        assert record.data["source_unit"] == "河南省交通运输厅法规处（信用办）"
        public = disclosure.public_subject(s, company, per_section=10)
        titles = [r.title for _code, _name, records in public.sections for r in records]
        assert AWARD["decision_no"] in titles  # on the public credit file
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.target_id == d.tracking_no)))
        assert actions == {"portal.declaration.adopt"}
        text = " ".join(str(e.details) for e in s.scalars(select(AuditEntry)))
        assert "13812345678" not in text  # never in the audit log
    with db.unit_of_work() as s, pytest.raises(Conflict):
        declarations.reject_declaration(s, OFFICE, d.id, reply="重复处理的尝试。")


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"decision_date": "2026-13-40"}, "decision_date", "日期无法识别"),
        ({"award_name": ""}, "award_name", "表彰奖励名称"),
        ({"domain": "航空运输"}, "domain", "行业领域"),
        ({"authority_uscc": "91410100MA0000001"}, "authority_uscc", "统一社会信用代码"),
    ],
)
def test_bad_fields_get_the_catalogs_chinese_messages_and_nothing_is_stored(
    platform: Database, settings: Settings, changes: dict[str, str], field: str, words: str
) -> None:
    before = _counts(platform)
    with pytest.raises(InvalidInput) as err:
        _submit(platform, settings, _company(platform), **changes)
    assert err.value.code == "invalid_declaration"
    assert field in err.value.details
    assert words in err.value.details[field]
    assert _counts(platform) == before
    with platform.read() as s:
        assert s.scalar(select(func.count()).select_from(CreditDeclaration)) == 0


def test_applicant_statement_subject_and_category_are_checked(platform: Database, settings: Settings) -> None:
    db = platform
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as err:
        declarations.submit_declaration(
            s,
            settings,
            subject_id=_company(db),
            category="BZJL",
            fields=AWARD,
            applicant_name="王",
            contact="12345",
            statement="太短",
        )
    assert set(err.value.details) == {"applicant_name", "contact", "statement"}
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as err:
        declarations.submit_declaration(
            s,
            settings,
            subject_id=_company(db),
            category="XZCF",  # a penalty cannot be self-declared
            fields=AWARD,
            applicant_name="王经理",
            contact="13812345678",
            statement="表彰文件见河南省交通运输厅官网。",
        )
    assert err.value.code == "category_not_declarable"
    with db.read() as s:
        person = s.scalar(select(Subject.id).where(Subject.kind == "person"))
    assert person is not None
    with pytest.raises(InvalidInput) as err:
        _submit(db, settings, person)
    assert err.value.code == "subject_not_declarable"
    with pytest.raises(NotFound):
        _submit(db, settings, 999_999)


def test_information_already_on_record_is_not_declared_again(platform: Database, settings: Settings) -> None:
    db = platform
    first = _submit(db, settings, _company(db))
    with db.unit_of_work() as s:
        declarations.adopt_declaration(s, OFFICE, settings, first.id, reply="经核实，予以采纳。")
    with pytest.raises(InvalidInput) as err:
        _submit(db, settings, _company(db))
    assert "平台已有该文号" in err.value.details["decision_no"]


def test_rejection_and_rights(platform: Database, settings: Settings) -> None:
    db = platform
    d = _submit(db, settings, _company(db))
    for actor in (OFFICER, VIEWER):
        with db.unit_of_work() as s, pytest.raises(PermissionDenied):
            declarations.adopt_declaration(s, actor, settings, d.id, reply="经核实，予以采纳。")
    with db.read() as s:
        assert [x.id for x in declarations.list_declarations(s, VIEWER, "open")] == [d.id]  # viewers may read
        with pytest.raises(PermissionDenied):
            declarations.list_declarations(s, OFFICER)
    with db.unit_of_work() as s, pytest.raises(InvalidInput):
        declarations.reject_declaration(s, OFFICE, d.id, reply="")  # a reason is required
    with db.unit_of_work() as s:
        rejected = declarations.reject_declaration(s, OFFICE, d.id, reply="未能在表彰单位官网查到该文件。")
        assert rejected.status == "rejected"
    with db.read() as s:
        assert declarations.list_declarations(s, OFFICE, "open") == []
        assert [x.id for x in declarations.list_declarations(s, OFFICE, "closed")] == [d.id]
        assert s.scalar(select(func.count()).where(CreditRecord.category == "BZJL")) == 0


def test_the_deadline_is_in_working_days(platform: Database, settings: Settings) -> None:
    with platform.unit_of_work() as s:
        d = declarations.submit_declaration(
            s,
            settings,
            subject_id=_company(platform),
            category="BZJL",
            fields=AWARD,
            applicant_name="王经理",
            contact="0371-12345678",
            statement="表彰文件见河南省交通运输厅官网通知公告栏目。",
            today=dt.date(2026, 9, 30),  # the day before the National Day holiday
        )
        assert d.decide_due > dt.date(2026, 10, 14)  # 10 working days, the holiday not counted
