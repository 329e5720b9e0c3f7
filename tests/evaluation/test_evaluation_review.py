"""信用评价后评估: the share of a model's score rules that found anything in a run (指标利用率) and the grades' move
against the previous periodic run — tables for the pure rules, then real runs whose review must agree with the
per-subject explanations, and the console's run page."""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
from pathlib import Path

import pytest
from evaluation_kit import OFFICE, VIEWER, licence, penalty, subject
from fastapi.testclient import TestClient
from sqlalchemy import select

from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_VIEWER, SYSTEM, Actor
from transport_credit.common.errors import NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.evaluation import review, service
from transport_credit.evaluation.models import EvaluationResult
from transport_credit.server import create_app
from transport_credit.settings import Settings

TODAY = dt.date(2026, 11, 20)
GRADES = ("AA", "A", "B")
LABELS = {"AA": "AA级", "A": "A级", "B": "B级"}


@pytest.mark.parametrize(
    ("codes", "applied", "used", "rate"),
    [
        (["a", "b", "c", "d"], {"a": 3, "c": 1}, 2, 0.5),
        (["a", "b"], {"a": 1, "b": 2, "z": 9}, 2, 1.0),  # an override's code is not a score rule
        (["a", "b"], {"a": 0}, 0, 0.0),
        ([], {}, 0, None),
    ],
)
def test_rule_use(codes: list[str], applied: dict[str, int], used: int, rate: float | None) -> None:
    assert review.rule_use(codes, applied) == (used, rate)


def test_grade_shifts() -> None:
    shifts = review.grade_shifts(GRADES, LABELS, {"AA": 6, "A": 3, "B": 1}, {"AA": 4, "A": 4, "B": 2}, 0.1)
    by = {s.grade: s for s in shifts}
    assert [s.label for s in shifts] == ["AA级", "A级", "B级"]
    assert (by["AA"].share, by["AA"].previous_share) == (0.6, 0.4)
    assert by["AA"].change == pytest.approx(0.2)
    assert by["AA"].flagged
    assert by["A"].change == pytest.approx(-0.1)
    assert by["A"].flagged  # exactly the alert
    assert by["B"].change == pytest.approx(-0.1)
    first = review.grade_shifts(GRADES, LABELS, {"AA": 2}, None, 0.1)
    assert [(s.count, s.share, s.previous_count, s.change, s.flagged) for s in first] == [
        (2, 1.0, None, None, False),
        (0, 0.0, None, None, False),
        (0, 0.0, None, None, False),
    ]
    empty = review.grade_shifts(GRADES, LABELS, {}, {}, 0.1)
    assert {s.share for s in empty} == {None}


def test_the_shipped_review_rules() -> None:
    rules = review.review_rules()
    assert (rules.rule_use_target, rules.shift_alert) == (0.7, 0.1)


def _firms(db: Database, n: int) -> None:
    rng = random.Random(5)
    with db.unit_of_work() as s:
        for i in range(n):
            firm = subject(s, 500 + i)
            licence(s, firm.id, dt.date(2020, 5, 1), "道路运输", "道路货物运输")
            for _ in range(rng.randint(0, 4)):
                penalty(
                    s,
                    firm.id,
                    dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 700)),
                    penalty_type=rng.choice(["罚款", "警告", "吊销许可证件"]),
                    fine=rng.choice([None, 0.2, 5]),
                    violation=rng.choice(["超限运输", "客运车辆超员"]),
                    severity=rng.choice(["minor", "general", "serious"]),
                    domain="道路运输",
                    subdomain="道路货物运输",
                    valid_until=None,
                )


def test_a_run_review_agrees_with_the_explanations(platform: Database, settings: Settings) -> None:
    _firms(platform, 30)
    with platform.unit_of_work() as s:
        first = service.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2024", today=TODAY)
        second = service.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2025", today=TODAY)
    with platform.read() as s:
        got = review.run_review(s, VIEWER, settings, second.run_id)
        # the same counts, subject by subject, from the explanation of each result
        expected: dict[str, tuple[int, int]] = {}
        for sid in s.scalars(select(EvaluationResult.subject_id).where(EvaluationResult.run_id == second.run_id)):
            for hit in service.subject_hits(s, second.run_id, sid):
                if hit.rule_kind in ("deduction", "bonus"):
                    n, m = expected.get(hit.rule_code, (0, 0))
                    expected[hit.rule_code] = (n + 1, m + hit.match_count)
        model = service.get_model(s, VIEWER, settings, "road_transport_enterprise").model
        earlier = review.run_review(s, VIEWER, settings, first.run_id)
    assert [r.code for r in got.rules] == [r.code for r in model.rules]
    assert {r.code: (r.subjects, r.matches) for r in got.rules if r.subjects} == expected
    assert got.used == len(expected)
    assert got.use_rate == pytest.approx(len(expected) / len(model.rules))
    assert got.met is (got.use_rate >= 0.7)
    assert {r.code for r in got.unused} == {r.code for r in model.rules} - set(expected)
    assert {g.grade: g.count for g in got.grades if g.count} == second.grade_counts
    assert (got.previous_run_id, got.previous_period) == (first.run_id, "2024")
    assert {g.grade: g.previous_count for g in got.grades if g.previous_count} == first.grade_counts
    assert (earlier.previous_run_id, {g.change for g in earlier.grades}) == (None, {None})
    with platform.read() as s:
        with pytest.raises(NotFound):
            review.run_review(s, VIEWER, settings, 999_999)
        with pytest.raises(PermissionDenied):
            review.run_review(s, Actor("nobody", "account"), settings, second.run_id)


def test_the_run_page_shows_the_review(platform: Database, settings: Settings, cheap_hashing: None) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
    from console_kit import PASSWORD, login

    _firms(platform, 12)
    with platform.unit_of_work() as s:
        run = service.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2025", today=TODAY)
        auth.create_account(s, SYSTEM, "viewer", "查询员", PASSWORD, "410100-jtj", [ROLE_VIEWER])
    with TestClient(create_app(settings, platform), base_url="http://testserver") as client:
        login(client, "viewer")
        page = client.get(f"/console/evaluation/runs/{run.run_id}")
        assert page.status_code == 200
        assert "评价后评估" in page.text
        match = re.search(r"评价指标利用率</dt><dd[^>]*>(\d+)%（(\d+)/(\d+) 项指标有命中）", page.text)
        assert match is not None
        with platform.read() as s:
            got = review.run_review(s, VIEWER, settings, run.run_id)
        assert (int(match.group(2)), int(match.group(3))) == (got.used, len(got.rules))
        assert "目标 70%" in page.text
        assert "无上一周期的评价" in page.text
        assert 'id="rule-hits"' in page.text
