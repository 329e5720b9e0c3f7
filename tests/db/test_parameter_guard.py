"""The guard on every statement's parameters (``db/engine.py``): U+0000 in text, integers beyond 64 bits, in the
shapes SQLAlchemy passes parameters in."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from transport_credit.common.errors import InvalidInput
from transport_credit.db.engine import _parameter_problem
from transport_credit.db.uow import Database


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        (None, None),
        ({}, None),
        ({"name": "顺达", "n": 1, "when": None}, None),
        ({"name": "顺\x00达"}, "nul"),
        (("顺达", 1, b"\x00"), None),  # bytes are binary data, not text
        (("顺达", 1, "a\x00"), "nul"),
        ([("a", 1), ("b", 2)], None),  # executemany, qmark
        ([{"v": "a"}, {"v": "b\x00"}], "nul"),  # executemany, named
        ((1, "a", 2, "b\x00"), "nul"),  # a multi-row INSERT's flat sequence
        ({"codes": ["91410100MA0000000X"] * 3}, None),  # one array parameter (values_in)
        ({"codes": ["91410100MA0000000X", "\x00"]}, "nul"),
        ({"ids": [1, 2, 3]}, None),
        ({"nested": [[1, "x"], [2, "y\x00"]]}, "nul"),
        ({"offset": 2**63 - 1, "low": -(2**63)}, None),
        ({"offset": 2**63}, "range"),
        ((1, -(2**63) - 1), "range"),
        ({"ids": [1, 10**30]}, "range"),
        ({"flag": True, "score": 1e300}, None),  # booleans and floats bind as they are
    ],
)
def test_parameter_problem(parameters: Any, problem: str | None) -> None:
    assert _parameter_problem(parameters) == problem


@pytest.mark.parametrize(
    ("value", "code"), [("顺达\x00", "nul_character"), (2**64, "number_out_of_range")], ids=["nul", "int"]
)
def test_such_a_statement_is_refused_on_either_database(db: Database, value: object, code: str) -> None:
    with pytest.raises(InvalidInput) as caught, db.read() as session:
        session.execute(text("SELECT :q"), {"q": value})
    assert caught.value.code == code
    with db.read() as session:  # the connection is fine afterwards
        assert session.execute(text("SELECT :q"), {"q": "顺达"}).scalar_one() == "顺达"
