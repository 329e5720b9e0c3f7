"""Subjects found by every identifier, their credit files, and what officials see of personal data."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))

from ingest_kit import (
    ADMIN,
    citizen_id,
    import_table,
    penalty_row,
    person_penalty_row,
)

from transport_credit.bootstrap import initialize
from transport_credit.common.actor import ROLE_VIEWER, Actor
from transport_credit.common.errors import InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.settings import Settings
from transport_credit.subjects.service import find_subject, record_history, search_subjects, subject_file

VIEWER = Actor("v", "account", department_code="410000-zfj", roles=frozenset({ROLE_VIEWER}))
PID = citizen_id("410305", dt.date(1988, 8, 8), 51)


@pytest.fixture
def filled(db: Database, settings: Settings, tmp_path: Path) -> Database:
    initialize(db, settings)
    rows = [
        penalty_row(1, reg_no="410100000012345", org_code="MA0000001"),
        penalty_row(2, uscc=penalty_row(1)["uscc"], subject_name=penalty_row(1)["subject_name"]),
        person_penalty_row(3, PID),
    ]
    summary = import_table(db, settings, tmp_path / "f.csv", rows)
    assert summary.accepted == 3
    return db


@pytest.mark.parametrize(
    "code",
    [
        penalty_row(1)["uscc"],
        penalty_row(1)["uscc"].lower(),
        " ".join(penalty_row(1)["uscc"]),
        "410100000012345",
        "ma0000001",
    ],
)
def test_find_organisation_by_any_identifier(filled: Database, settings: Settings, code: str) -> None:
    with filled.read() as session:
        subject = find_subject(session, settings, code)
        assert subject is not None
        assert subject.uscc == penalty_row(1)["uscc"]


def test_organisation_file(filled: Database, settings: Settings) -> None:
    with filled.read() as session:
        f = subject_file(session, VIEWER, settings, penalty_row(1)["uscc"])
    assert (f.kind, f.kind_label, f.name) == ("org", "法人及非法人组织", penalty_row(1)["subject_name"])
    assert f.counts == {"XZCF": 2}
    assert f.aliases == {"reg_no": ["410100000012345"], "org_code": ["MA0000001"]}
    assert {r.natural_key for r in f.records} == {"豫交执罚〔2026〕000001号", "豫交执罚〔2026〕000002号"}
    assert f.legal_representative == "王伟"
    assert f.region_code == "410100"


def test_person_file_by_id_number(filled: Database, settings: Settings) -> None:
    for code in (PID, PID.lower(), f" {PID} "):
        with filled.read() as session:
            f = subject_file(session, VIEWER, settings, code)
        assert f.kind == "person"
        assert f.uscc is None
        assert f.id_masked
        assert PID not in f.id_masked
        assert f.region_code == "410305"
        (rec,) = f.records
        assert PID not in str(rec.fields)


def test_unknown_and_empty_codes(filled: Database, settings: Settings) -> None:
    with filled.read() as session:
        with pytest.raises(NotFound):
            subject_file(session, VIEWER, settings, "91410100MA00000099")
        with pytest.raises(InvalidInput):
            subject_file(session, VIEWER, settings, "  ")
        assert find_subject(session, settings, citizen_id("410305", dt.date(1988, 8, 8), 52)) is None


def test_roles_required(filled: Database, settings: Settings) -> None:
    nobody = Actor("n", "account", department_code="410000-zfj")
    with filled.read() as session:
        with pytest.raises(PermissionDenied):
            subject_file(session, nobody, settings, penalty_row(1)["uscc"])
        with pytest.raises(PermissionDenied):
            record_history(session, nobody, "XZCF", "豫交执罚〔2026〕000001号")


def test_record_history_unknown(filled: Database) -> None:
    with filled.read() as session, pytest.raises(NotFound):
        record_history(session, ADMIN, "XZCF", "不存在")


def test_search(filled: Database) -> None:
    with filled.read() as session:
        hits = search_subjects(session, VIEWER, "顺达1号")
        assert [h.uscc for h in hits] == [penalty_row(1)["uscc"]]
        by_code = search_subjects(session, VIEWER, penalty_row(1)["uscc"][:8].lower())
        assert penalty_row(1)["uscc"] in {h.uscc for h in by_code}
        with pytest.raises(InvalidInput):
            search_subjects(session, VIEWER, "顺")
