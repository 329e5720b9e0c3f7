"""双随机 draws: allocation from a table of cases, reproducibility, stratification by grade, conflicts of interest,
results, publication and 信用关联度 — on the real database."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from evaluation_kit import OFFICE, OFFICER, VIEWER, licence, penalty, subject
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from transport_credit.audit.models import AuditEntry
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.evaluation import service as evaluation
from transport_credit.settings import Settings
from transport_credit.supervision import service
from transport_credit.supervision.draw import DrawError, DrawInputs, allocate, draw

ORDER = ["AA", "A", "B", "C", "D", "未评价"]
RATIOS = {"AA": 0.03, "A": 0.05, "B": 0.1, "C": 0.3, "D": 0.6, "未评价": 0.1}


@pytest.mark.parametrize(
    ("size", "counts", "expected"),
    [
        (10, {"AA": 100, "D": 10}, {"AA": 3, "D": 7}),  # 3 : 6 weights
        (5, {"A": 100}, {"A": 5}),
        (20, {"AA": 5, "D": 2}, {"AA": 5, "D": 2}),  # more than the population: everybody
        (4, {"D": 2, "A": 100}, {"D": 1, "A": 3}),  # 1.2 : 5 weights
        (10, {"D": 2, "A": 10}, {"D": 2, "A": 8}),  # a full stratum passes the rest on
        (3, {"AA": 1, "A": 1, "B": 1, "C": 1}, {"C": 1, "B": 1, "A": 1}),  # largest weights first
        (0, {"A": 3}, {}),
    ],
)
def test_allocation(size: int, counts: dict[str, int], expected: dict[str, int]) -> None:
    got = {g: n for g, n in allocate(size, counts, RATIOS, ORDER).items() if n}
    assert got == expected


@given(st.integers(1, 60), st.dictionaries(st.sampled_from(ORDER), st.integers(0, 40), min_size=1))
def test_allocation_properties(size: int, counts: dict[str, int]) -> None:
    alloc = allocate(size, counts, RATIOS, ORDER)
    assert sum(alloc.values()) == min(size, sum(counts.values()))
    assert all(0 <= alloc[g] <= counts.get(g, 0) for g in ORDER)


def _inputs(conflicts: list[tuple[int, int]] | None = None, size: int = 12) -> DrawInputs:
    population = [(i, ORDER[i % 6]) for i in range(1, 61)]
    return DrawInputs(size, 2, ORDER, RATIOS, population, [101, 102, 103, 104], conflicts or [])


def test_draw_is_reproducible_and_seed_dependent() -> None:
    a = draw(_inputs(), "seed-1")
    assert draw(_inputs(), "seed-1") == a
    assert draw(_inputs(), "seed-2") != a
    # the order of the inputs does not matter
    shuffled = _inputs()
    shuffled = DrawInputs(12, 2, ORDER, RATIOS, list(reversed(shuffled.population)), [104, 103, 102, 101], [])
    assert draw(shuffled, "seed-1") == a


def test_draw_respects_conflicts_and_balances_load() -> None:
    conflicts = [(101, s) for s in range(1, 61)] + [(102, 7)]
    _, items = draw(_inputs(conflicts, size=30), "x")
    assert all(101 not in it.inspector_ids for it in items)
    assert all(102 not in it.inspector_ids for it in items if it.subject_id == 7)
    load = Counter(i for it in items for i in it.inspector_ids)
    assert max(load.values()) - min(load.values()) <= 2
    with pytest.raises(DrawError):
        draw(_inputs([(i, s) for i in (101, 102, 103) for s in range(1, 61)]), "x")


def _district(db: Database, settings: Settings) -> None:
    """60 road transport firms in 郑州 graded AA…D, 5 in 洛阳; inspectors in 郑州 and 洛阳."""
    with db.unit_of_work() as s:
        for i in range(65):
            firm = subject(s, 500 + i, region="410102" if i < 60 else "410302")
            licence(s, firm.id, dt.date(2020, 1, 1), "道路运输", "道路货物运输")
            # i % 5 serious penalties in 2025: 0 → AA … 4 → D
            for k in range(i % 5):
                penalty(s, firm.id, dt.date(2025, 2 + k, 1), severity="serious", fine=0.1)
        for n in range(6):
            service.add_inspector(
                s,
                OFFICER,
                code=f"ZF{n:04d}",
                name=f"执法员{n}",
                department_code="410100-jtj",
                region_code="410100",
                domains=["道路运输"],
            )
        service.add_inspector(
            s,
            OFFICER,
            code="ZF9000",
            name="洛阳执法员",
            department_code="410300-jtj",
            region_code="410300",
            domains=["道路运输"],
        )
        evaluation.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2025", today=dt.date(2026, 3, 1))


def test_task_draw_stratified_reproducible_audited(platform: Database, settings: Settings) -> None:
    _district(platform, settings)
    with platform.unit_of_work() as s:
        task = service.create_task(
            s,
            OFFICER,
            settings,
            name="2026年第一批道路运输双随机抽查",
            domain="道路运输",
            region_code="410100",
            size=12,
            task_date=dt.date(2026, 3, 2),
            seed="abc",
        )
        tid = task.id
    with platform.read() as s:
        view = service.task_detail(s, VIEWER, tid)
        assert len(view.items) == 12
        assert all(i["region_code"].startswith("4101") for i in view.items)  # 郑州 only
        drawn = Counter(i["grade"] for i in view.items)
        # every grade has 12 firms; the worse the grade, the more are drawn
        assert drawn["D"] > drawn["B"] >= drawn["AA"]
        assert view.task.strata["D"]["population"] == 12
        assert all(len(i["inspectors"]) == 2 for i in view.items)
        assert "洛阳执法员" not in {n for i in view.items for n in i["inspectors"]}
        assert service.verify_draw(s, VIEWER, tid) == {
            "task_id": tid,
            "seed": "abc",
            "inputs_sha256": view.task.inputs_sha256,
            "inputs_intact": True,
            "same": True,
            "items": 12,
        }
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "supervision.draw")).one()
        assert entry.details["seed"] == "abc"
        assert entry.details["inputs_sha256"] == view.task.inputs_sha256
        first = [(i["subject_id"], i["inspectors"]) for i in view.items]
    # the same seed on the same inputs draws the same subjects; the inspectors who just inspected a subject are
    # not sent again (recently inspected conflict), so the second task differs only where it must
    with platform.unit_of_work() as s:
        again = service.create_task(
            s,
            OFFICER,
            settings,
            name="复核",
            domain="道路运输",
            region_code="410100",
            size=12,
            task_date=dt.date(2026, 3, 3),
            seed="abc",
        )
        second = service.task_detail(s, VIEWER, again.id)
        for it in second.items:
            earlier = dict(first).get(it["subject_id"])
            if earlier:
                assert not set(earlier) & set(it["inspectors"])


def test_results_publication_and_linkage(platform: Database, settings: Settings) -> None:
    _district(platform, settings)
    with platform.unit_of_work() as s:
        task = service.create_task(
            s,
            OFFICER,
            settings,
            name="抽查",
            domain="道路运输",
            region_code="410100",
            size=5,
            task_date=dt.date(2026, 3, 2),
            seed="s",
        )
        tid = task.id
    with platform.unit_of_work() as s:
        items = service.task_detail(s, VIEWER, tid).items
        with pytest.raises(Conflict) as err:
            service.publish_task(s, OFFICER, tid)
        assert err.value.code == "results_incomplete"
        with pytest.raises(InvalidInput):
            service.record_result(s, OFFICER, items[0]["id"], result="很好", inspected_on=dt.date(2026, 3, 5))
        for n, it in enumerate(items):
            result = "发现问题已责令整改" if n == 0 else "未发现问题"
            service.record_result(s, OFFICER, it["id"], result=result, inspected_on=dt.date(2026, 3, 5))
        service.publish_task(s, OFFICER, tid)
    with platform.unit_of_work() as s, pytest.raises(Conflict):
        service.record_result(s, OFFICER, items[0]["id"], result="未发现问题", inspected_on=dt.date(2026, 3, 6))
    with platform.read() as s:
        public = service.public_results(s, tid)
        assert len(public["items"]) == 5
        assert public["items"][0]["result"] == "发现问题已责令整改"
        link = service.credit_linkage(s, VIEWER)
        assert link["inspections"] == 5
        assert link["linkage_rate"] == 1.0
        assert sum(v["problems"] for v in link["by_grade"].values()) == 1


def test_task_bad_input(platform: Database, settings: Settings) -> None:
    _district(platform, settings)
    with platform.unit_of_work() as s:
        for kwargs, code in [
            ({"size": 0}, "invalid_size"),
            ({"region_code": "4101"}, "invalid_region"),
            ({"region_code": "420100"}, "empty_population"),
            ({"name": " "}, "task_name_required"),
        ]:
            args = {
                "name": "t",
                "domain": "道路运输",
                "region_code": "410100",
                "size": 3,
                "task_date": dt.date(2026, 3, 2),
            } | kwargs
            with pytest.raises(InvalidInput) as err:
                service.create_task(s, OFFICER, settings, **args)  # type: ignore[arg-type]
            assert err.value.code == code
        with pytest.raises(NotFound):
            service.create_task(
                s,
                OFFICER,
                settings,
                name="t",
                domain="港口",
                region_code="410100",
                size=3,
                task_date=dt.date(2026, 3, 2),
            )
        with pytest.raises(PermissionDenied):
            service.create_task(
                s,
                VIEWER,
                settings,
                name="t",
                domain="道路运输",
                region_code="410100",
                size=3,
                task_date=dt.date(2026, 3, 2),
            )
        with pytest.raises(Conflict):
            service.add_inspector(
                s, OFFICER, code="ZF0001", name="重复", department_code="x", region_code="410100", domains=[]
            )
        with pytest.raises(NotFound):
            service.public_results(s, 12345)
