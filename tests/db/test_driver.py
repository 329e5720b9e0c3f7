"""Driver statements (db/driver.py): the same rows as SQLAlchemy's own execution, on the real database.

On PostgreSQL a driver statement takes its own route (``$n`` SQL on a raw cursor, pipelines); on SQLite it runs
through the session, so there these tests check the shared behaviour and CI's PostgreSQL run checks the route."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from transport_credit.db.driver import DriverStatement, run_all
from transport_credit.db.uow import Database
from transport_credit.subjects.models import Subject

S = Subject.__table__


def _add_subjects(db: Database, n: int) -> None:
    with db.unit_of_work() as s:
        s.execute(
            insert(S),
            [
                {"kind": "org" if i % 3 else "person", "name": f"企业{i}", "region_code": f"41{i % 4:02d}00"}
                for i in range(1, n + 1)
            ],
        )


def test_rows_equal_sqlalchemy_with_literal_lists_repeated_and_literal_execute_parameters(db: Database) -> None:
    _add_subjects(db, 12)
    stmt = (
        select(S.c.kind, func.count())
        .where(
            S.c.kind.in_(["org", "person"]),  # a literal list: expanded into the text once
            S.c.region_code.like(bindparam("prefix", type_=String())),
            S.c.id >= bindparam("low", type_=Integer()),
            S.c.id <= bindparam("low", type_=Integer()) + 20,  # the same name twice
        )
        .group_by(S.c.kind)
        .order_by(S.c.kind)
        .offset(bindparam("fence", 0, type_=Integer(), literal_execute=True))
    )
    driver = DriverStatement(stmt)
    cases = [  # subjects 1…12: person when i % 3 == 0, region 4101 when i % 4 == 1
        ({"prefix": "4101%", "low": 1}, [("org", 2), ("person", 1)]),  # 1, 5 / 9
        ({"prefix": "41%", "low": 5}, [("org", 5), ("person", 3)]),  # 5, 7, 8, 10, 11 / 6, 9, 12
        ({"prefix": "4199%", "low": 1}, []),
    ]
    with db.read() as s:
        for params, expected in cases:
            assert [tuple(r) for r in s.execute(stmt, params)] == expected
            assert driver.run(s, params) == expected


def test_dates_datetimes_booleans_and_integer_lists_bind_as_sqlalchemy_binds_them(
    db: Database, db_backend: str
) -> None:
    _add_subjects(db, 6)
    ids: list[int] = [2, 4, 6]
    if db_backend == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        in_ids = S.c.id == any_(bindparam("ids", type_=ARRAY(Integer())))
        ids_param: object = ids
    else:
        each = func.json_each(bindparam("ids", type_=String())).table_valued("value")
        in_ids = S.c.id.in_(select(literal_column("value")).select_from(each))
        ids_param = orjson.dumps(ids).decode()
    stmt = select(
        S.c.id,
        bindparam("day", type_=Date()),
        bindparam("at", type_=DateTime()),
        bindparam("flag", type_=Boolean()),
    ).where(in_ids)
    params = {"ids": ids_param, "day": dt.date(2025, 12, 31), "at": dt.datetime(2026, 1, 2, 3, 4, 5), "flag": True}
    with db.read() as s:
        expected = sorted(tuple(r) for r in s.execute(stmt, params))
        assert sorted(DriverStatement(stmt).run(s, params)) == expected
    assert expected == [(i, dt.date(2025, 12, 31), dt.datetime(2026, 1, 2, 3, 4, 5), True) for i in ids]


def test_run_all_sees_earlier_writes_returns_last_rows_and_commits_with_the_caller(db: Database) -> None:
    _add_subjects(db, 3)
    rename = DriverStatement(update(S).where(S.c.id == bindparam("sid", type_=Integer())).values(name="改名"))
    drop = DriverStatement(delete(S).where(S.c.id == bindparam("gone", type_=Integer())))
    names = DriverStatement(select(S.c.id, S.c.name).order_by(S.c.id))
    with db.unit_of_work() as s:
        rows = run_all(s, [(rename, {"sid": 1}), (drop, {"gone": 3}), (names, {})])
    assert rows == [(1, "改名"), (2, "企业2")]
    with db.read() as s:
        assert [tuple(r) for r in s.execute(select(S.c.id, S.c.name).order_by(S.c.id))] == rows


def test_a_failing_statement_raises_and_the_owner_rolls_everything_back(db: Database) -> None:
    _add_subjects(db, 2)
    rename = DriverStatement(update(S).where(S.c.id == bindparam("sid", type_=Integer())).values(name="改名"))
    clash = DriverStatement(insert(S).values(id=bindparam("dup", type_=Integer()), kind="org", name="重复"))
    names = DriverStatement(select(S.c.name).order_by(S.c.id))
    with pytest.raises(IntegrityError), db.unit_of_work() as s:
        run_all(s, [(rename, {"sid": 1}), (clash, {"dup": 2}), (names, {})])
    with db.read() as s:
        assert list(s.scalars(select(S.c.name).order_by(S.c.id))) == ["企业1", "企业2"]
