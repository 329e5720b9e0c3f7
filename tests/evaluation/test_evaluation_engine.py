"""The set-based engine on the real database (SQLite, and PostgreSQL with TEST_DATABASE_URL): equal to the pure
reference rules subject by subject, periodic and dynamic runs, explanations, XYPJ records, reproducible periods."""

from __future__ import annotations

import datetime as dt
import gc
import random

import pytest
from evaluation_kit import OFFICE, OFFICER, VIEWER, licence, penalty, record, records_of, subject
from sqlalchemy import func, select, text

from transport_credit.audit.models import AuditEntry
from transport_credit.audit.verify import verify as verify_chain
from transport_credit.common.errors import InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.evaluation import service
from transport_credit.evaluation.loader import resolve_model
from transport_credit.evaluation.models import EvaluationHits, EvaluationPopulation, EvaluationResult
from transport_credit.evaluation.rules import evaluate_subject
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings

TODAY = dt.date(2026, 11, 20)
MULTI = frozenset({"penalty_type", "fine_amount"}) - {"fine_amount"}


def _random_firms(db: Database, n: int, seed: int, domain: str, subdomain: str) -> list[int]:
    rng = random.Random(seed)
    ids = []
    with db.unit_of_work() as s:
        for i in range(n):
            firm = subject(s, seed * 1000 + i, region=rng.choice(["410102", "410105", "410302", "411302"]))
            ids.append(firm.id)
            licence(s, firm.id, dt.date(2020, 5, 1), domain, subdomain)
            for _ in range(rng.randint(0, 6)):
                day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 720))
                kind = rng.random()
                if kind < 0.7:
                    penalty(
                        s,
                        firm.id,
                        day,
                        penalty_type=rng.choice(["罚款", "警告", "罚款；没收违法所得", "吊销许可证件", "通报批评"]),
                        fine=rng.choice([None, 0.2, 1, 5, 7.5]),
                        violation=rng.choice(["超限运输", "违法分包", "未按规定办理施工许可", "客运车辆超员"]),
                        severity=rng.choice(["minor", "general", "general", "serious"]),
                        domain=domain,
                        subdomain=subdomain,
                        valid_until=rng.choice([None, "2025-06-30", "2099-12-31"]),
                    )
                elif kind < 0.85:
                    record(s, firm.id, "XYCN", day, {"fulfilment": rng.choice(["已履约", "未履约"]), "domain": domain})
                elif kind < 0.93:
                    record(s, firm.id, "HMD", day, {"domain": domain}, publicity=(day, day + dt.timedelta(days=365)))
                else:
                    status = rng.choice(["active", "removed"])
                    record(
                        s,
                        firm.id,
                        "HEIMD",
                        day,
                        {"domain": domain},
                        status=status,
                        publicity=(day, day + dt.timedelta(days=rng.choice([30, 700]))),
                    )
    return ids


@pytest.mark.parametrize(
    ("code", "domain", "subdomain"),
    [("highway_construction", "公路建设", "公路施工"), ("road_transport_enterprise", "道路运输", "道路货物运输")],
)
def test_engine_equals_reference_rules(
    platform: Database, settings: Settings, code: str, domain: str, subdomain: str
) -> None:
    ids = _random_firms(platform, 40, 3, domain, subdomain)
    with platform.unit_of_work() as s:
        first = service.run_evaluation(s, OFFICE, settings, code, "2024", today=TODAY)
        second = service.run_evaluation(s, OFFICE, settings, code, "2025", today=TODAY)
    assert first.subject_count == second.subject_count == 40
    with platform.read() as s:
        model = resolve_model(s, code).model
        multi = service.multi_value_fields(s)
        base = {
            r.subject_id: r.grade_level
            for r in s.scalars(select(EvaluationResult).where(EvaluationResult.run_id == first.run_id))
        }
        for sid in ids:
            res = s.scalar(
                select(EvaluationResult).where(
                    EvaluationResult.run_id == second.run_id, EvaluationResult.subject_id == sid
                )
            )
            assert res is not None
            expected = evaluate_subject(
                model,
                records_of(s, sid),
                window=(dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
                as_of=dt.date(2025, 12, 31),
                base_level=base[sid],
                multi_fields=multi,
            )
            got = (res.score, res.deducted, res.bonus, res.score_grade, res.grade, res.adjustment, res.record_count)
            want = (
                expected.score,
                expected.deducted,
                expected.bonus,
                expected.score_grade,
                expected.grade,
                expected.adjustment,
                expected.record_count,
            )
            assert got == want, sid
            hits = {
                (h.rule_code, h.rule_kind, h.match_count, h.points, h.record_ids)
                for h in service.subject_hits(s, second.run_id, sid)
            }
            assert hits == {
                (h.rule_code, h.rule_kind, h.match_count, h.points, tuple(sorted(h.record_ids))) for h in expected.hits
            }
        # the work table is emptied; only the newest period is current
        assert s.scalar(select(func.count()).select_from(EvaluationPopulation)) == 0
        current = s.scalars(select(EvaluationResult.run_id).where(EvaluationResult.is_current.is_(True))).all()
        assert set(current) == {second.run_id}


def test_periodic_run_leaves_the_transaction_as_it_found_it(platform: Database, settings: Settings) -> None:
    """A periodic run on PostgreSQL stages its selects in temporary tables and raises work_mem / turns JIT off for
    its statements: afterwards the caller's transaction has no stage tables and its own settings back."""
    _random_firms(platform, 12, 5, "道路运输", "道路货物运输")
    pg = platform.dialect == "postgresql"
    with platform.unit_of_work() as s:
        if pg:
            s.execute(text("SET LOCAL work_mem = '3MB'"))
            s.execute(text("SET LOCAL jit = on"))
        run = service.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2025", today=TODAY)
        assert run.subject_count == 12
        if pg:
            assert s.scalar(text("SELECT current_setting('work_mem')")) == "3MB"
            assert s.scalar(text("SELECT current_setting('jit')")) == "on"
            # the work table writes no WAL (migration b1a2c3d4e506)
            persistence = "SELECT relpersistence FROM pg_class WHERE oid = 'evaluation_population'::regclass"
            assert s.scalar(text(persistence)) == "u"
            # the stage tables (unlogged, so parallel workers can read them) are gone again
            temp = "SELECT count(*) FROM pg_class WHERE relname LIKE 'tc\\_eval%'"
        else:
            temp = "SELECT count(*) FROM sqlite_temp_master"
        assert s.scalar(text(temp)) == 0
        # the rows went through the stages into the real tables
        assert s.scalar(select(func.count()).where(EvaluationResult.run_id == run.run_id)) == 12
        assert s.scalar(select(func.count()).where(EvaluationHits.run_id == run.run_id)) > 0


def test_fixed_dataset_gives_fixed_grades(platform: Database, settings: Settings) -> None:
    """The same grades on every database (the suite runs on SQLite and PostgreSQL)."""
    _random_firms(platform, 25, 11, "道路运输", "道路货物运输")
    with platform.unit_of_work() as s:
        run = service.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2025", today=TODAY)
    assert run.grade_counts == EXPECTED_FIXED


EXPECTED_FIXED: dict[str, int] = {"AA": 13, "A": 4, "B": 3, "C": 2, "D": 3}


def test_newcomer_rise_cap_and_reproducible_past_period(platform: Database, settings: Settings) -> None:
    with platform.unit_of_work() as s:
        firm = subject(s, 1)
        licence(s, firm.id, dt.date(2020, 1, 1), "公路建设", "公路施工")
        penalty(s, firm.id, dt.date(2024, 3, 1), fine=8, domain="公路建设", subdomain="公路施工")
        for m in (4, 5, 6):
            penalty(s, firm.id, dt.date(2024, m, 1), fine=8, domain="公路建设", subdomain="公路施工")
        fid = firm.id
    with platform.unit_of_work() as s:
        r2024 = service.run_evaluation(s, OFFICE, settings, "highway_construction", "2024", today=TODAY)
        r2025 = service.run_evaluation(s, OFFICE, settings, "highway_construction", "2025", today=TODAY)
    with platform.read() as s:
        ex = service.explain(s, VIEWER, settings, fid)
    assert len(ex) == 1
    # 2024: 4 × (3 + 5) + 5 = 37 → 63 → C; 2025 clean (100 → AA) but one level a year → B
    assert (ex[0].period, ex[0].score, ex[0].score_grade, ex[0].grade, ex[0].previous_grade) == (
        "2025",
        100.0,
        "AA",
        "B",
        "C",
    )
    assert ex[0].adjustment == "rise_cap"
    assert "最多上升1级" in (ex[0].adjustment_text or "")
    with platform.unit_of_work() as s:
        again = service.run_evaluation(s, OFFICE, settings, "highway_construction", "2024", today=TODAY)
        grades = dict(
            s.execute(
                select(EvaluationResult.run_id, EvaluationResult.grade).where(EvaluationResult.subject_id == fid)
            ).all()
        )
    assert grades[again.run_id] == grades[r2024.run_id] == "C"
    assert again.model_version == r2024.model_version
    with platform.read() as s:
        cur = s.scalar(
            select(EvaluationResult).where(EvaluationResult.subject_id == fid, EvaluationResult.is_current.is_(True))
        )
        assert cur is not None
        assert cur.run_id == r2025.run_id
    # dynamic re-evaluation: the latest period's window (2025), capped against the earlier period's latest run
    # (the 2024 re-run, C → at most B; capped against 2025's B it would be A); previous_grade is the grade it had
    with platform.unit_of_work() as s:
        [dyn] = service.reevaluate_subjects(s, OFFICER, settings, [fid], as_of=TODAY, models=["highway_construction"])
    with platform.read() as s:
        ex = service.explain(s, VIEWER, settings, fid)
    assert (dyn.kind, dyn.period, dyn.window_start, dyn.window_end) == (
        "dynamic",
        "2025",
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )
    assert (ex[0].run_kind, ex[0].grade, ex[0].previous_grade, ex[0].adjustment) == ("dynamic", "B", "B", "rise_cap")


def test_dynamic_serious_penalty_sets_d_and_is_explained_and_published(platform: Database, settings: Settings) -> None:
    with platform.unit_of_work() as s:
        firm = subject(s, 2)
        licence(s, firm.id, dt.date(2020, 1, 1), "公路建设", "公路施工")
        fid = firm.id
    with platform.unit_of_work() as s:
        run = service.run_evaluation(s, OFFICE, settings, "highway_construction", "2025", today=TODAY, publish=True)
        assert run.published == 1
    since = dt.datetime.now(dt.UTC)
    with platform.unit_of_work() as s:
        pen = penalty(
            s,
            fid,
            dt.date(2026, 11, 19),
            penalty_type="降低资质等级",
            severity="serious",
            domain="公路建设",
            subdomain="公路施工",
            valid_until="2027-11-19",
        )
        pen_id = pen.id
    with platform.unit_of_work() as s:
        runs = service.reevaluate_changed(s, OFFICER, settings, since=since, as_of=TODAY)
    assert [(r.model_code, r.kind, r.grade_counts, r.published) for r in runs] == [
        ("highway_construction", "dynamic", {"D": 1}, 1)
    ]
    with platform.read() as s:
        ex = service.explain(s, VIEWER, settings, fid, model_code="highway_construction")[0]
        assert (ex.grade, ex.previous_grade, ex.adjustment, ex.run_kind) == ("D", "A", "override:HCO2", "dynamic")
        assert "严重失信" in (ex.adjustment_text or "")
        override = [h for h in ex.hits if h.rule_kind == "override"]
        assert [r["id"] for r in override[0].records] == [pen_id]
        xypj = s.scalars(select(CreditRecord).where(CreditRecord.category == "XYPJ").order_by(CreditRecord.id)).all()
        assert [(r.revision, r.is_current, r.status, r.data["grade"]) for r in xypj] == [
            (1, False, "superseded", "A"),
            (2, True, "active", "D"),
        ]
        assert xypj[1].natural_key == f"highway_construction-2025-{fid}"
        assert xypj[1].data["evaluation_model"].startswith("公路施工企业信用评价")
        res = s.scalar(select(EvaluationResult).where(EvaluationResult.is_current.is_(True)))
        assert res is not None
        assert res.record_id == xypj[1].id
        # the publication and the run are audited in that order, in one append that keeps the chain valid
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(2)).all()
        assert [(e.action, e.target_id) for e in reversed(entries)] == [
            ("evaluation.publish", str(runs[0].run_id)),
            ("evaluation.dynamic", str(runs[0].run_id)),
        ]
        assert entries[1].details["records"] == 1
        assert entries[0].details["published"] == 1
        assert verify_chain(s).ok


def test_cycle_model_for_drivers(platform: Database, settings: Settings) -> None:
    with platform.unit_of_work() as s:
        d = subject(s, 3, kind="person")
        licence(s, d.id, dt.date(2021, 3, 15), "道路运输", "道路货物运输")
        penalty(s, d.id, dt.date(2025, 3, 1), severity="general")  # previous cycle
        penalty(s, d.id, dt.date(2025, 4, 1), severity="general")  # 3 points
        penalty(s, d.id, dt.date(2025, 5, 1), penalty_type="警告", violation="超载", severity="minor")  # 5 + 1
        did = d.id
    with platform.unit_of_work() as s:
        run = service.run_evaluation(s, OFFICE, settings, "road_driver", "2025-12-31", today=TODAY)
    assert run.grade_counts == {"AA": 1}
    with platform.read() as s:
        ex = service.explain(s, VIEWER, settings, did)[0]
    assert (ex.deducted, ex.score, ex.grade, ex.grade_label) == (9.0, 11.0, "AA", "AA级（合格）")


def test_bad_input_and_permissions(platform: Database, settings: Settings) -> None:
    with platform.unit_of_work() as s:
        with pytest.raises(InvalidInput) as err:
            service.run_evaluation(s, OFFICE, settings, "highway_construction", "20x5", today=TODAY)
        assert err.value.code == "invalid_period"
        with pytest.raises(InvalidInput) as err:
            service.run_evaluation(s, OFFICE, settings, "highway_construction", "2026", today=TODAY)
        assert err.value.code == "period_not_ended"
        with pytest.raises(NotFound):
            service.run_evaluation(s, OFFICE, settings, "nope", "2025", today=TODAY)
        with pytest.raises(PermissionDenied):
            service.run_evaluation(s, VIEWER, settings, "highway_construction", "2025", today=TODAY)
        with pytest.raises(NotFound):
            service.explain(s, VIEWER, settings, 999_999)


def test_national_composite_from_provincial_files(platform: Database, settings: Settings) -> None:
    with platform.unit_of_work() as s:
        a = subject(s, 10)
        b = subject(s, 11)
        for f in (a, b):
            licence(s, f.id, dt.date(2020, 1, 1), "公路建设", "公路施工")
        penalty(s, a.id, dt.date(2025, 2, 1), penalty_type="吊销许可证件", domain="公路建设", subdomain="公路施工")
        ua, ub = a.uscc, b.uscc
    with platform.unit_of_work() as s:
        service.run_evaluation(s, OFFICE, settings, "highway_construction", "2025", today=TODAY)
        csv_bytes = f"统一社会信用代码,企业名称,信用等级\n{ua},甲,D\n{ub},乙,AA\n".encode("gb18030")
        assert (
            service.import_provincial_grades(
                s,
                OFFICE,
                model_code="highway_construction",
                period="2025",
                province_code="320000",
                content=csv_bytes,
                file_name="jiangsu.csv",
            )
            == 2
        )
        with pytest.raises(InvalidInput) as err:
            service.import_provincial_grades(
                s,
                OFFICE,
                model_code="highway_construction",
                period="2025",
                province_code="330000",
                content="统一社会信用代码,企业名称,信用等级\nBAD,丙,E\n".encode(),
                file_name="zj.csv",
            )
        assert err.value.code == "provincial_file_invalid"
    with platform.read() as s:
        rows = {
            r.uscc: r for r in service.composite(s, VIEWER, settings, model_code="highway_construction", period="2025")
        }
    assert (rows[ua].d_count, rows[ua].national_grade) == (2, "D")
    assert rows[ub].national_grade is None
    assert rows[ub].provincial == {"320000": "AA", "410000": "A"}


def test_grade_distribution_by_region(platform: Database, settings: Settings) -> None:
    _random_firms(platform, 12, 5, "道路运输", "道路货物运输")
    with platform.unit_of_work() as s:
        service.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2025", today=TODAY)
    with platform.read() as s:
        dist = service.grade_distribution(s, VIEWER, "road_transport_enterprise")
        zz = service.grade_distribution(s, VIEWER, "road_transport_enterprise", region_code="410100")
    assert sum(dist["total"].values()) == 12
    assert set(zz["by_region"]) <= {"410100"}
    assert sum(sum(v.values()) for v in dist["by_region"].values()) == 12


def test_bulk_publication_links_every_result(platform: Database, settings: Settings) -> None:
    """More results than the row-wise threshold go through the bulk path (COPY / executemany + id map)."""
    with platform.unit_of_work() as s:
        for n in range(service.SMALL_PUBLISH + 10):
            firm = subject(s, 5000 + n)
            licence(s, firm.id, dt.date(2020, 1, 1), "道路运输", "道路货物运输")
    with platform.unit_of_work() as s:
        run = service.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2025", today=TODAY)
        # automatic collection off: the only full collection is the one the bulk publication runs at its end
        full_before = gc.get_stats()[2]["collections"]
        gc.disable()
        try:
            assert service.publish_run(s, OFFICE, settings, run.run_id) == service.SMALL_PUBLISH + 10
        finally:
            gc.enable()
        assert gc.get_stats()[2]["collections"] == full_before + 1
    with platform.read() as s:
        pairs = s.execute(
            select(EvaluationResult.subject_id, CreditRecord.subject_id, CreditRecord.natural_key)
            .join(CreditRecord, CreditRecord.id == EvaluationResult.record_id)
            .where(EvaluationResult.run_id == run.run_id)
        ).all()
    assert len(pairs) == service.SMALL_PUBLISH + 10
    assert all(a == b and key == f"road_transport_enterprise-2025-{a}" for a, b, key in pairs)
