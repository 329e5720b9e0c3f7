"""Fixtures of the lists tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lists_kit import PERSON_ID, import_table, penalty_row, person_penalty_row

from transport_credit.bootstrap import initialize
from transport_credit.db.uow import Database
from transport_credit.settings import Settings


@pytest.fixture
def platform(db: Database, settings: Settings) -> Database:
    initialize(db, settings)
    return db


@pytest.fixture
def filled(platform: Database, settings: Settings, tmp_path: Path) -> Database:
    """Subjects 1–3 (organisations) and a person, with penalties:

    - org 1: 5 超限运输 penalties this year (meets overload_repeat_year: > 3 a year)
    - org 2: one 超限运输 penalty (meets nothing)
    - org 3: 指使超限运输 fined 3 万元 (meets overload_instruct_fine)
    - the person: one 超限运输 penalty
    """
    rows = [penalty_row(1, decision_no=f"豫交执罚〔2026〕1-{i}号") for i in range(5)]
    rows.append(penalty_row(2))
    rows.append(penalty_row(3, violation_type="指使超限运输", fine_amount="3"))
    rows.append(person_penalty_row(4, PERSON_ID))
    summary = import_table(platform, settings, tmp_path / "penalties.csv", rows)
    assert summary.accepted + summary.warned == len(rows), summary
    return platform
