"""Row outcomes and batch counts, duplicates, idempotency, revisions, on-time reporting, publicity, quality."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ingest_kit import (
    ADMIN,
    XZXK_HEADERS,
    codes,
    counts,
    import_table,
    licence_row,
    penalty_row,
    quarantined,
    stored,
)
from sqlalchemy import select

from transport_credit.calendar.service import build_calendar
from transport_credit.db.uow import Database
from transport_credit.ingest.models import Batch
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.service import record_history, subject_file

OUTCOMES = ("accepted", "warned", "rejected", "unchanged", "revised")


def _total_ok(summary: object) -> None:
    assert sum(getattr(summary, k) for k in OUTCOMES) == summary.total  # type: ignore[attr-defined]


def test_every_outcome_in_one_batch(platform: Database, settings: Settings, tmp_path: Path) -> None:
    first = import_table(platform, settings, tmp_path / "a.csv", [penalty_row(n) for n in (1, 2, 3)])
    assert (first.accepted, first.total) == (3, 3)
    rows = [
        penalty_row(1),  # unchanged
        penalty_row(2, penalty_content="罚款人民币3000元", fine_amount="0.3"),  # revised
        penalty_row(4),  # accepted
        penalty_row(5, fine_amount="80000"),  # warned
        penalty_row(6, decision_date="2025/13/45"),  # rejected
    ]
    summary = import_table(platform, settings, tmp_path / "b.csv", rows)
    assert (summary.unchanged, summary.revised, summary.accepted, summary.warned, summary.rejected) == (1, 1, 1, 1, 1)
    assert summary.total == 5
    _total_ok(summary)
    with platform.read() as session:
        batch = session.scalars(select(Batch).where(Batch.batch_no == summary.batch_no)).one()
        assert [getattr(batch, k) for k in ("total", *OUTCOMES)] == [5, 1, 1, 1, 1, 1]


def test_duplicates_within_a_file(platform: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [
        penalty_row(1),
        penalty_row(2),
        penalty_row(1),  # identical to row 2 of the file → unchanged
        penalty_row(2, penalty_content="罚款人民币9000元"),  # same 决定书文号, other content → rejected
    ]
    summary = import_table(platform, settings, tmp_path / "d.csv", rows)
    assert (summary.total, summary.accepted, summary.unchanged, summary.rejected) == (4, 2, 1, 1)
    _total_ok(summary)
    errors = quarantined(platform)["豫交执罚〔2026〕000002号"]
    assert codes(errors) == {"duplicate_in_file"}
    assert "第 3 行" in errors[0]["message"]  # the first occurrence (file row 3: header is row 1)
    assert stored(platform)["豫交执罚〔2026〕000002号"].data["penalty_content"] == "罚款人民币2000元"


def test_duplicates_across_chunks(platform: Database, settings: Settings, tmp_path: Path) -> None:
    small = settings.model_copy(update={"import_chunk_rows": 100})
    rows = [penalty_row(n) for n in range(1, 151)]
    rows.append(penalty_row(5))  # same as row 5, in the 2nd chunk → unchanged
    rows.append(penalty_row(7, penalty_content="罚款人民币7777元"))  # differs from row 7 → rejected
    rows.extend(penalty_row(n) for n in range(151, 231))
    rows.append(penalty_row(160, remarks="第三块"))  # differs from a row of the 2nd chunk, in the 3rd chunk
    summary = import_table(platform, small, tmp_path / "c.csv", rows)
    assert summary.total == 233
    assert (summary.accepted, summary.unchanged, summary.rejected) == (230, 1, 2)
    _total_ok(summary)
    q = quarantined(platform)
    assert set(q) == {"豫交执罚〔2026〕000007号", "豫交执罚〔2026〕000160号"}
    assert all(codes(e) == {"duplicate_in_file"} for e in q.values())
    recs = stored(platform)
    assert len(recs) == 230
    assert recs["豫交执罚〔2026〕000007号"].data["penalty_content"] == "罚款人民币2000元"
    assert recs["豫交执罚〔2026〕000160号"].data["remarks"] == "无"
    with platform.read() as session:
        assert session.scalar(select(CreditRecord.revision).order_by(CreditRecord.revision.desc()).limit(1)) == 1


def test_oversized_cell(platform: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [penalty_row(1, penalty_content="罚" * 4001), penalty_row(2, legal_rep="王" * 101)]
    summary = import_table(platform, settings, tmp_path / "big.csv", rows)
    assert summary.rejected == 2
    q = quarantined(platform)
    assert codes(q["豫交执罚〔2026〕000001号"]) == {"too_long"}
    assert "4000" in q["豫交执罚〔2026〕000001号"][0]["message"]
    assert codes(q["豫交执罚〔2026〕000002号"]) == {"too_long"}


def test_oversized_cell_over_the_setting(platform: Database, settings: Settings, tmp_path: Path) -> None:
    tight = settings.model_copy(update={"max_cell_chars": 100})
    summary = import_table(platform, tight, tmp_path / "t.csv", [penalty_row(1, remarks="备" * 101)])
    assert summary.rejected == 1
    assert codes(quarantined(platform)["豫交执罚〔2026〕000001号"]) == {"too_long"}


# --- idempotency -----------------------------------------------------------------------------------------------


def test_same_file_twice_changes_nothing(platform: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [penalty_row(n) for n in range(1, 11)] + [penalty_row(11, decision_date="昨天")]
    first = import_table(platform, settings, tmp_path / "same.csv", rows)
    before = counts(platform)
    with platform.unit_of_work() as session:
        from transport_credit.ingest.service import import_file

        second = import_file(session, ADMIN, settings, tmp_path / "same.csv", category="XZCF", department="410000-zfj")
    assert second.already_imported
    assert second.batch_no == first.batch_no
    assert (second.accepted, second.rejected, second.total) == (10, 1, 11)
    after = counts(platform)
    assert after == before


def test_same_rows_in_another_file_are_unchanged(platform: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [penalty_row(n) for n in range(1, 11)]
    import_table(platform, settings, tmp_path / "one.csv", rows)
    before = counts(platform)
    again = import_table(platform, settings, tmp_path / "two.xlsx", list(reversed(rows)))
    assert not again.already_imported
    assert (again.unchanged, again.total, again.new_subjects) == (10, 10, 0)
    after = counts(platform)
    assert after["credit_records"] == before["credit_records"]
    assert after["subjects"] == before["subjects"]
    assert after["batches"] == before["batches"] + 1


def test_whitespace_only_differences_are_unchanged(platform: Database, settings: Settings, tmp_path: Path) -> None:
    import_table(platform, settings, tmp_path / "a.csv", [penalty_row(1)])
    row = {k: f" {v} " if v else v for k, v in penalty_row(1).items()}
    again = import_table(platform, settings, tmp_path / "b.csv", [row])
    assert again.unchanged == 1


# --- revisions -------------------------------------------------------------------------------------------------


def test_revision_history(platform: Database, settings: Settings, tmp_path: Path) -> None:
    first = import_table(platform, settings, tmp_path / "r1.csv", [penalty_row(1), penalty_row(2)])
    changed = penalty_row(1, penalty_content="罚款人民币5000元", fine_amount="0.5")
    second = import_table(platform, settings, tmp_path / "r2.csv", [changed, penalty_row(2)])
    assert (second.revised, second.unchanged, second.accepted) == (1, 1, 0)
    key = "豫交执罚〔2026〕000001号"
    with platform.read() as session:
        revs = list(
            session.scalars(select(CreditRecord).where(CreditRecord.natural_key == key).order_by(CreditRecord.revision))
        )
        assert [(r.revision, r.is_current, r.status) for r in revs] == [(1, False, "superseded"), (2, True, "active")]
        assert revs[0].data["penalty_content"] == "罚款人民币2000元"
        assert revs[1].data["penalty_content"] == "罚款人民币5000元"
        batches = {b.id: b.batch_no for b in session.scalars(select(Batch))}
        assert batches[revs[0].batch_id] == first.batch_no
        assert batches[revs[1].batch_id] == second.batch_no
        history = record_history(session, ADMIN, "XZCF", key)
        assert [(h.revision, h.is_current) for h in history] == [(2, True), (1, False)]
        code = penalty_row(1)["uscc"]
        current_only = subject_file(session, ADMIN, settings, code)
        assert [(r.natural_key, r.revision) for r in current_only.records] == [(key, 2)]
        assert current_only.counts == {"XZCF": 1}
        full = subject_file(session, ADMIN, settings, code, include_history=True)
        assert sorted(r.revision for r in full.records) == [1, 2]
    # Back to the first content: a third revision, not a resurrection of the first.
    third = import_table(platform, settings, tmp_path / "r3.csv", [penalty_row(1)])
    assert third.revised == 1
    assert stored(platform)[key].revision == 3


def test_revision_keeps_subject_and_changes_it(platform: Database, settings: Settings, tmp_path: Path) -> None:
    """A correction that names another subject moves the current revision to that subject."""
    import_table(platform, settings, tmp_path / "s1.csv", [penalty_row(1)])
    other = penalty_row(2)
    moved = penalty_row(1, subject_name=other["subject_name"], uscc=other["uscc"])
    summary = import_table(platform, settings, tmp_path / "s2.csv", [moved])
    assert (summary.revised, summary.new_subjects) == (1, 1)
    with platform.read() as session:
        assert subject_file(session, ADMIN, settings, penalty_row(1)["uscc"]).records == []
        assert len(subject_file(session, ADMIN, settings, other["uscc"]).records) == 1


# --- 双公示 on time, publicity, quality --------------------------------------------------------------------------


def test_on_time_reporting(platform: Database, settings: Settings, tmp_path: Path) -> None:
    today = dt.date.today()
    rows = [penalty_row(1, decision_date=today.strftime("%Y/%m/%d")), penalty_row(2, decision_date="2024/01/05")]
    import_table(platform, settings, tmp_path / "t.csv", rows)
    recs = stored(platform)
    fresh, old = recs["豫交执罚〔2026〕000001号"], recs["豫交执罚〔2026〕000002号"]
    assert fresh.on_time is True
    assert old.on_time is False
    with platform.read() as session:
        cal = build_calendar(session)
    assert fresh.report_deadline == cal.add_workdays(today, 7).date
    assert old.report_deadline == cal.add_workdays(dt.date(2024, 1, 5), 7).date
    assert fresh.report_deadline > today


def test_serious_penalty_publicity(platform: Database, settings: Settings, tmp_path: Path) -> None:
    row = penalty_row(
        1,
        penalty_type="吊销许可证件",
        penalty_content="吊销道路运输经营许可证",
        fine_amount="",
        decision_date="2026/05/01",
        valid_until="2099/12/31",
    )
    general = penalty_row(2, decision_date="2026/05/01")
    minor = penalty_row(3, penalty_type="警告", penalty_content="警告", fine_amount="", decision_date="2026/05/01")
    import_table(platform, settings, tmp_path / "s.csv", [row, general, minor])
    recs = stored(platform)
    serious = recs["豫交执罚〔2026〕000001号"]
    assert serious.severity == "serious"
    assert serious.publicity_start == dt.date(2026, 5, 1)
    assert serious.publicity_end == dt.date(2029, 5, 1)
    assert serious.publicity_min_end == dt.date(2027, 5, 1)
    assert serious.publicity_rule_version == "2026-04"
    g = recs["豫交执罚〔2026〕000002号"]
    assert (g.severity, g.publicity_min_end, g.publicity_end) == ("general", dt.date(2026, 8, 1), dt.date(2027, 5, 1))
    assert recs["豫交执罚〔2026〕000003号"].severity == "minor"


def test_older_rule_set_by_decision_date(platform: Database, settings: Settings, tmp_path: Path) -> None:
    row = penalty_row(1, penalty_type="吊销许可证件", decision_date="2025/05/01", valid_until="2099/12/31")
    import_table(platform, settings, tmp_path / "o.csv", [row])
    rec = stored(platform)["豫交执罚〔2026〕000001号"]
    assert rec.publicity_rule_version == "2019"
    assert (rec.publicity_min_end, rec.publicity_end) == (dt.date(2025, 11, 1), dt.date(2028, 5, 1))


def test_licence_publicity_ends_with_validity(platform: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [licence_row(1), licence_row(2, valid_until="2099/12/31")]
    summary = import_table(
        platform, settings, tmp_path / "x.csv", rows, XZXK_HEADERS, category="行政许可", department="410000-ghc"
    )
    assert summary.accepted == 2
    recs = stored(platform, "XZXK")
    one = recs["豫交许〔2026〕000001号"]
    assert one.publicity_end == dt.date.fromisoformat(licence_row(1)["valid_until"])
    assert one.publicity_start == dt.date.fromisoformat(licence_row(1)["decision_date"])
    assert recs["豫交许〔2026〕000002号"].publicity_end == dt.date(2099, 12, 31)
    assert one.severity is None


def test_quality_score(platform: Database, settings: Settings, tmp_path: Path) -> None:
    full = penalty_row(1, confiscated_amount="0", license_revoked="无", publicity_until="2027/01/01")
    sparse = {
        k: v
        for k, v in penalty_row(2).items()
        if k not in {"legal_rep", "fine_amount", "remarks", "region_code", "domain", "subdomain"}
    }
    summary = import_table(platform, settings, tmp_path / "q.csv", [full, sparse, penalty_row(3)])
    recs = stored(platform)
    hi, lo, mid = (recs[f"豫交执罚〔2026〕00000{n}号"] for n in (1, 2, 3))
    assert 0 < lo.quality_score < mid.quality_score < hi.quality_score <= 1
    assert lo.quality_score <= 0.6
    assert codes(lo.warnings or []) == {"low_quality"}
    assert "60%" in (lo.warnings or [])[0]["message"]
    assert summary.warned == 1
    assert not mid.warnings


@pytest.mark.parametrize("dept", ["410000-zfj", "410000-jgc"])
def test_source_department_recorded(platform: Database, settings: Settings, tmp_path: Path, dept: str) -> None:
    import_table(platform, settings, tmp_path / "s.csv", [penalty_row(1)], department=dept)
    rec = stored(platform)["豫交执罚〔2026〕000001号"]
    assert rec.department_code == dept
    assert rec.source_row == 2
