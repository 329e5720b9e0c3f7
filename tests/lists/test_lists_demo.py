"""The demo step of the lists issue leaves entries in every state, checks with feedback and published cases."""

from __future__ import annotations

from pathlib import Path

from lists_kit import import_table, penalty_row

from transport_credit.db.uow import Database
from transport_credit.demo.lists import build_lists_demo
from transport_credit.settings import Settings


def test_demo_step(platform: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [penalty_row(n) for n in range(1, 15)]
    rows += [penalty_row(1, decision_no=f"豫交执罚〔2026〕X-{i}号") for i in range(4)]  # org 1 meets a criterion
    import_table(platform, settings, tmp_path / "p.csv", rows)
    report = build_lists_demo(platform, settings)
    assert {"proposed", "notified", "listed", "removed", "rejected"} <= set(report.states)
    assert report.checks >= 3
    assert report.effects >= 2
    assert report.cases == 2
