"""Cell values as offices write them: dates, amounts, identifiers; each row's outcome and Chinese messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ingest_kit import (
    ADMIN,
    XZCF_HEADERS,
    all_text,
    citizen_id,
    codes,
    days_ago,
    import_table,
    penalty_row,
    person_penalty_row,
    quarantined,
    run_import,
    stored,
    table,
    uscc,
    write_xlsx,
)
from sqlalchemy import select

from transport_credit.db.uow import Database
from transport_credit.ingest.service import list_quarantine
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject, SubjectAlias

NO = "豫交执罚〔2026〕000001号"


def _one(db: Database, settings: Settings, tmp_path: Path, **overrides: str) -> tuple[str, object]:
    """Import one row; ('stored', record) or ('rejected', errors)."""
    summary = import_table(db, settings, tmp_path / "one.csv", [penalty_row(1, **overrides)])
    assert summary.total == 1
    rec = stored(db).get(NO)
    if rec is not None:
        return "stored", rec
    return "rejected", quarantined(db)[NO]


# --- dates -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "iso"),
    [
        ("2025/3/5", "2025-03-05"),
        ("2025/03/05", "2025-03-05"),
        ("2025-03-05", "2025-03-05"),
        ("20250305", "2025-03-05"),
        ("2025年3月5日", "2025-03-05"),
        ("2025.03.05", "2025-03-05"),
        (" 2025-03-05 ", "2025-03-05"),
        ("2025-03-05 14:30:00", "2025-03-05"),
        ("45000", "2023-03-15"),  # an Excel serial number exported as text
    ],
)
def test_decision_date_formats(platform: Database, settings: Settings, tmp_path: Path, cell: str, iso: str) -> None:
    outcome, rec = _one(platform, settings, tmp_path, decision_date=cell, valid_until="2099/12/31")
    assert outcome == "stored", rec
    assert rec.data["decision_date"] == iso  # type: ignore[attr-defined]
    assert rec.decision_date == dt.date.fromisoformat(iso)  # type: ignore[attr-defined]


def test_long_term_valid_until(platform: Database, settings: Settings, tmp_path: Path) -> None:
    outcome, rec = _one(platform, settings, tmp_path, valid_until="2099/12/31")
    assert outcome == "stored"
    assert rec.data["valid_until"] == "2099-12-31"  # type: ignore[attr-defined]


def test_excel_date_cells(platform: Database, settings: Settings, tmp_path: Path) -> None:
    """Numeric serials and real date cells in an .xlsx."""
    cells: list[list[object]] = table(XZCF_HEADERS, [penalty_row(1), penalty_row(2), penalty_row(3)])  # type: ignore[assignment]
    col = list(XZCF_HEADERS).index("decision_date")
    until = list(XZCF_HEADERS).index("valid_until")
    cells[1][col] = 45000  # 2023-03-15
    cells[2][col] = 45000.0
    cells[3][col] = dt.datetime(2025, 3, 5)
    cells[3][until] = dt.date(2099, 12, 31)
    summary = run_import(platform, settings, write_xlsx(tmp_path / "d.xlsx", cells))
    assert summary.accepted == 3, quarantined(platform)
    recs = stored(platform)
    assert recs["豫交执罚〔2026〕000001号"].data["decision_date"] == "2023-03-15"
    assert recs["豫交执罚〔2026〕000002号"].data["decision_date"] == "2023-03-15"
    assert recs["豫交执罚〔2026〕000003号"].data["decision_date"] == "2025-03-05"
    assert recs["豫交执罚〔2026〕000003号"].data["valid_until"] == "2099-12-31"


@pytest.mark.parametrize("cell", ["2025/13/45", "2025-02-30", "明年", "2025/3", "0"])
def test_invalid_dates_are_rejected_in_chinese(
    platform: Database, settings: Settings, tmp_path: Path, cell: str
) -> None:
    outcome, errors = _one(platform, settings, tmp_path, decision_date=cell)
    assert outcome == "rejected"
    err = next(e for e in errors if e["code"] == "invalid_date")  # type: ignore[attr-defined]
    assert err["field"] == "decision_date"
    assert "处罚决定日期" in err["message"]
    assert "日期无法识别" in err["message"]
    assert cell in err["message"]


def test_future_decision_date(platform: Database, settings: Settings, tmp_path: Path) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=3)
    outcome, errors = _one(platform, settings, tmp_path, decision_date=tomorrow.strftime("%Y/%m/%d"))
    assert outcome == "rejected"
    assert codes(errors) == {"future_date"}  # type: ignore[arg-type]
    assert "晚于今天" in errors[0]["message"]  # type: ignore[index]


def test_valid_until_before_decision(platform: Database, settings: Settings, tmp_path: Path) -> None:
    outcome, errors = _one(platform, settings, tmp_path, decision_date="2025/06/01", valid_until="2025/01/01")
    assert outcome == "rejected"
    assert codes(errors) == {"date_order"}  # type: ignore[arg-type]


# --- amounts ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [("0.5", 0.5), ("1,200", 1200.0), ("1.5万元", 1.5), ("2万", 2.0), ("１.５", 1.5), ("0", 0.0), ("", None)],
)
def test_amounts(platform: Database, settings: Settings, tmp_path: Path, cell: str, value: float | None) -> None:
    outcome, rec = _one(platform, settings, tmp_path, fine_amount=cell)
    assert outcome == "stored", rec
    assert rec.data.get("fine_amount") == value  # type: ignore[attr-defined]  # empty fields are absent
    assert not rec.warnings  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cell", "code"), [("-1", "negative_amount"), ("-0.5万元", "negative_amount"), ("一千", "invalid_amount")]
)
def test_bad_amounts_are_rejected(platform: Database, settings: Settings, tmp_path: Path, cell: str, code: str) -> None:
    outcome, errors = _one(platform, settings, tmp_path, fine_amount=cell)
    assert outcome == "rejected"
    assert codes(errors) == {code}  # type: ignore[arg-type]
    assert "罚款金额" in errors[0]["message"]  # type: ignore[index]


def test_huge_amount_is_a_warning(platform: Database, settings: Settings, tmp_path: Path) -> None:
    summary = import_table(platform, settings, tmp_path / "w.csv", [penalty_row(1, fine_amount="50000")])
    assert (summary.warned, summary.accepted, summary.rejected) == (1, 0, 0)
    rec = stored(platform)[NO]
    assert codes(rec.warnings or []) == {"amount_unit_suspect"}
    assert "万元" in (rec.warnings or [])[0]["message"]
    assert rec.severity == "serious"  # ≥ 5 万元


# --- identifiers -----------------------------------------------------------------------------------------------


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@pytest.mark.parametrize(
    "transform",
    [str.lower, _fullwidth, lambda s: f" {s[:6]} {s[6:]} ", lambda s: _fullwidth(s.lower())],
    ids=["lower", "fullwidth", "spaces", "fullwidth-lower"],
)
def test_uscc_is_normalised(platform: Database, settings: Settings, tmp_path: Path, transform: object) -> None:
    code = uscc(7)
    assert any(c.isalpha() for c in code)
    outcome, rec = _one(platform, settings, tmp_path, uscc=transform(code))  # type: ignore[operator]
    assert outcome == "stored", rec
    assert rec.data["uscc"] == code  # type: ignore[attr-defined]
    with platform.read() as session:
        assert session.scalar(select(Subject.uscc)) == code


def test_pilot_uscc_is_accepted_with_warning(platform: Database, settings: Settings, tmp_path: Path) -> None:
    summary = import_table(platform, settings, tmp_path / "p.csv", [penalty_row(1, uscc="91350100M0001TGQXM")])
    assert (summary.warned, summary.rejected) == (1, 0)
    rec = stored(platform)[NO]
    assert codes(rec.warnings or []) == {"uscc_checksum"}
    assert "人工核实" in (rec.warnings or [])[0]["message"]
    with platform.read() as session:
        assert session.scalar(select(Subject.uscc)) == "91350100M0001TGQXM"


@pytest.mark.parametrize("cell", ["ABC", "91410100MA0000000", "91410100MA00000001X", "9141010OMA0000001Z"])
def test_malformed_uscc_is_rejected(platform: Database, settings: Settings, tmp_path: Path, cell: str) -> None:
    outcome, errors = _one(platform, settings, tmp_path, uscc=cell)
    assert outcome == "rejected"
    assert "uscc_malformed" in codes(errors)  # type: ignore[arg-type]
    assert "统一社会信用代码" in next(e["message"] for e in errors if e["code"] == "uscc_malformed")  # type: ignore[attr-defined]


def test_missing_uscc_for_an_organisation(platform: Database, settings: Settings, tmp_path: Path) -> None:
    outcome, errors = _one(platform, settings, tmp_path, uscc="")
    assert outcome == "rejected"
    assert "missing_mandatory" in codes(errors) or "subject_unidentified" in codes(errors)  # type: ignore[arg-type]


def test_person_id_is_protected_everywhere(platform: Database, settings: Settings, tmp_path: Path) -> None:
    """A natural person: subject found by keyed hash, ID stored masked; the clear ID appears in no table."""
    good = citizen_id("410102", dt.date(1985, 3, 5), 123)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")  # wrong check character
    rows = [
        person_penalty_row(1, good.lower() if good.endswith("X") else good),
        person_penalty_row(2, bad),
    ]
    summary = import_table(platform, settings, tmp_path / "person.csv", rows)
    assert (summary.accepted, summary.rejected) == (1, 1)
    rec = stored(platform)[NO]
    assert rec.data["id_number"] != good
    assert "*" in rec.data["id_number"]
    assert rec.pii_cipher is not None
    with platform.read() as session:
        subject = session.scalars(select(Subject)).one()
        assert (subject.kind, subject.uscc) == ("person", None)
        assert subject.id_masked
        assert good not in subject.id_masked
        assert "*" in subject.id_masked
        assert subject.person_key
        assert good not in subject.person_key
        text = all_text(
            session, ["credit_records", "subjects", "subject_aliases", "quarantine_rows", "batches", "audit_log"]
        )
    assert good not in text
    assert bad not in text
    assert good[6:14] not in text.replace(dt.date(1985, 3, 5).isoformat(), "")  # not even the birth date digits
    # The officials of the department see the rejected row's raw cells, decrypted.
    with platform.read() as session:
        _, items = list_quarantine(session, ADMIN, settings)
    assert items[0].raw is not None
    assert bad in items[0].raw.values()
    assert codes(items[0].errors) == {"id_checksum"}
    assert bad not in items[0].errors[0]["message"]


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("41010219850305", "id_malformed"),
        ("41010219851305123X", "id_malformed"),  # month 13
        ("4101021985030512A4", "id_malformed"),
        (citizen_id("410102", dt.date(1990, 1, 1), 7)[:-1] + "Z", "id_malformed"),
    ],
)
def test_bad_citizen_ids(platform: Database, settings: Settings, tmp_path: Path, id_number: str, code: str) -> None:
    summary = import_table(platform, settings, tmp_path / "bad.csv", [person_penalty_row(1, id_number)])
    assert summary.rejected == 1
    errors = quarantined(platform)[NO]
    assert code in codes(errors)
    assert id_number not in str(errors)


def test_checksum_ids(platform: Database, settings: Settings, tmp_path: Path) -> None:
    good = citizen_id("410102", dt.date(1990, 1, 1), 7)
    bad = good[:-1] + next(c for c in "0123456789X" if c != good[-1])
    summary = import_table(platform, settings, tmp_path / "c.csv", [person_penalty_row(1, bad)])
    assert summary.rejected == 1
    assert codes(quarantined(platform)[NO]) == {"id_checksum"}


def test_person_without_id_is_rejected(platform: Database, settings: Settings, tmp_path: Path) -> None:
    summary = import_table(platform, settings, tmp_path / "n.csv", [person_penalty_row(1, "")])
    assert summary.rejected == 1
    assert {"missing_mandatory", "subject_unidentified"} & codes(quarantined(platform)[NO])


def test_same_person_twice_is_one_subject(platform: Database, settings: Settings, tmp_path: Path) -> None:
    pid = citizen_id("410305", dt.date(1979, 12, 31), 45)
    rows = [person_penalty_row(1, pid), person_penalty_row(2, pid.lower())]
    summary = import_table(platform, settings, tmp_path / "pp.csv", rows)
    assert (summary.accepted, summary.new_subjects) == (2, 1)


def test_individual_business_placeholder_needs_reg_no(platform: Database, settings: Settings, tmp_path: Path) -> None:
    placeholder = "00000000000000000X"
    rows = [
        penalty_row(1, subject_kind="个体工商户", subject_name="郑州王伟汽车修理部", uscc=placeholder),
        penalty_row(
            2, subject_kind="个体工商户", subject_name="郑州李强货运部", uscc=placeholder, reg_no="410100600123456"
        ),
    ]
    headers = dict(XZCF_HEADERS)
    summary = import_table(platform, settings, tmp_path / "ib.csv", rows, headers)
    assert (summary.accepted + summary.warned, summary.rejected) == (1, 1)
    errors = quarantined(platform)[NO]
    assert codes(errors) == {"reg_no_required"}
    assert "工商注册号" in errors[0]["message"]
    with platform.read() as session:
        subject = session.scalars(select(Subject)).one()
        assert subject.kind == "individual_business"
        assert subject.uscc is None
        alias = session.scalars(select(SubjectAlias)).one()
        assert (alias.kind, alias.value, alias.subject_id) == ("reg_no", "410100600123456", subject.id)
    # The same business again (by its 工商注册号) is the same subject.
    again = import_table(
        platform,
        settings,
        tmp_path / "ib2.csv",
        [
            penalty_row(
                3, subject_kind="个体工商户", subject_name="郑州李强货运部", uscc=placeholder, reg_no="410100600123456"
            )
        ],
    )
    assert again.new_subjects == 0


def test_old_identifiers_become_aliases(platform: Database, settings: Settings, tmp_path: Path) -> None:
    row = penalty_row(1, reg_no="410100000012345", org_code="MA0000001")
    summary = import_table(platform, settings, tmp_path / "al.csv", [row])
    assert summary.accepted == 1
    with platform.read() as session:
        aliases = {(a.kind, a.value) for a in session.scalars(select(SubjectAlias))}
    assert aliases == {("reg_no", "410100000012345"), ("org_code", "MA0000001")}


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"subject_name": ""}, "missing_mandatory", "subject_name"),
        ({"penalty_type": "罚没"}, "invalid_enum", "penalty_type"),
        ({"subject_kind": "外星人"}, "invalid_enum", "subject_kind"),
        ({"violation_facts": "违" * 5001}, "too_long", "violation_facts"),
        ({"remarks": "备" * 4001}, "too_long", "remarks"),
    ],
)
def test_field_errors(
    platform: Database, settings: Settings, tmp_path: Path, overrides: dict[str, str], code: str, field: str
) -> None:
    outcome, errors = _one(platform, settings, tmp_path, **overrides)
    assert outcome == "rejected"
    assert (field, code) in {(e["field"], e["code"]) for e in errors}  # type: ignore[attr-defined]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in errors)  # type: ignore[attr-defined]


def test_enum_aliases_are_canonicalised(platform: Database, settings: Settings, tmp_path: Path) -> None:
    outcome, rec = _one(
        platform, settings, tmp_path, subject_kind="企业", penalty_type="吊销经营许可证", domain="运输服务"
    )
    assert outcome == "stored", rec
    data = rec.data  # type: ignore[attr-defined]
    assert (data["subject_kind"], data["penalty_type"], data["domain"]) == (
        "法人及非法人组织",
        "吊销许可证件",
        "道路运输",
    )
    assert rec.severity == "serious"  # type: ignore[attr-defined]


def test_days_ago_helper_is_past() -> None:
    assert days_ago(1) < dt.date.today()
