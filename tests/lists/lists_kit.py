"""Shared helpers of the lists tests: a platform with penalties imported through the real pipeline."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))

from ingest_kit import citizen_id, import_table, penalty_row, person_penalty_row, uscc

from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor

OFFICE = Actor("信用办张三", "account", department_code="410000-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))
OFFICER = Actor("执法局报送员", "account", department_code="410000-zfj", roles=frozenset({ROLE_DATA_OFFICER}))
VIEWER = Actor("查询员", "account", department_code="410000-ysj", roles=frozenset({ROLE_VIEWER}))
PERSON_ID = citizen_id("410305", seq=77)

__all__ = [
    "OFFICE",
    "OFFICER",
    "PERSON_ID",
    "VIEWER",
    "citizen_id",
    "import_table",
    "penalty_row",
    "person_penalty_row",
    "uscc",
]
