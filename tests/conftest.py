"""Test fixtures: a real database per test, SQLite by default, PostgreSQL when TEST_DATABASE_URL is set.

SQLite: the schema is migrated once per session into a template file, copied for each test.
PostgreSQL: each worker gets its own schema, migrated once; tables are truncated between tests.
If TEST_DATABASE_URL is set but the server cannot be reached, the tests skip on a developer machine and fail in
CI (CI=true).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from transport_credit.auth import keys, passwords
from transport_credit.db import migrate
from transport_credit.db.engine import make_engine
from transport_credit.db.registry import Base
from transport_credit.db.uow import Database
from transport_credit.settings import Settings, get_settings

# Shared machines are noisy: no per-example deadline, and slow data generation is not a failure.
hypothesis_settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
hypothesis_settings.load_profile("default")

PG_URL = os.environ.get("TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_url() -> str:
    assert PG_URL
    url = PG_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@pytest.fixture(scope="session")
def db_backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """Migrate once per session: a template SQLite file, or a PostgreSQL schema for this worker."""
    if not PG_URL:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        engine.dispose()
        yield str(path)
        return
    schema = f"t_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(_pg_url())
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the server is down
        admin.dispose()
        if IN_CI:
            raise
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL not reachable: {exc}")
    engine = make_engine(_pg_url(), connect_args={"options": f"-csearch_path={schema}"})
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# The models' tables plus the search bigrams (migration b1a2c3d4e504); not the static subject_name_positions.
_RESET_TABLES = [*(t.name for t in Base.metadata.sorted_tables), "subject_name_bigrams"]
_can_skip_triggers: bool | None = None


def _empty_pg_schema(engine: Engine) -> None:
    """Empty every table and restart the sequences. ``DELETE`` with triggers and foreign keys off (replica role)
    takes about 10 ms on these small tables; ``TRUNCATE … RESTART IDENTITY`` took 200–250 ms a test, since it
    gives every table and index a new file and catalog rows, which bloat the catalog when autovacuum is off (as
    on the CI server). Without the right to set the replica role, ``TRUNCATE`` it is."""
    global _can_skip_triggers
    if _can_skip_triggers is not False:
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text("; ".join(f'DELETE FROM "{t}"' for t in _RESET_TABLES)))
                sequences = conn.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
                ).scalars()
                restarts = [f"setval('\"{name}\"', 1, false)" for name in sequences]
                if restarts:
                    conn.execute(text("SELECT " + ", ".join(restarts)))
            _can_skip_triggers = True
            return
        except DBAPIError:
            if _can_skip_triggers:
                raise
            _can_skip_triggers = False
    with engine.begin() as conn:
        names = ", ".join(f'"{t}"' for t in _RESET_TABLES)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(_template: str, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty, migrated database for this test."""
    if not PG_URL:
        path = tmp_path / "test.db"
        shutil.copyfile(_template, path)
        yield f"sqlite:///{path}"
        return
    engine = make_engine(_pg_url(), connect_args={"options": f"-csearch_path={_template}"})
    try:
        _empty_pg_schema(engine)
    finally:
        engine.dispose()
    yield _pg_url() + ("&" if "?" in _pg_url() else "?") + f"options=-csearch_path%3D{_template}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Database:
    return Database(engine)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-for-the-test-suite-0123",  # type: ignore[arg-type]
        pii_key="test-pii-key-for-the-test-suite-0123456",  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """Without pytest-xdist running, a single 'master' worker."""
    return str(getattr(request.config, "workerinput", {}).get("workerid", "master"))


@pytest.fixture
def cheap_hashing() -> Iterator[None]:
    """Production argon2 parameters take ~0.2 s a hash; suites that create many accounts and keys use this."""
    previous = passwords.get_hasher()
    passwords.set_hasher(PasswordHasher.from_parameters(CHEAPEST))
    keys.verified_keys.clear()
    yield
    passwords.set_hasher(previous)
    keys.verified_keys.clear()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Iterator[Path]:
    """Point the CLI's settings (environment variables) at the test database; returns the data dir."""
    data_dir = tmp_path / "var"
    monkeypatch.setenv("TRANSPORT_CREDIT_DATABASE_URL", database_url)
    monkeypatch.setenv("TRANSPORT_CREDIT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TRANSPORT_CREDIT_ENV", "test")
    monkeypatch.setenv("TRANSPORT_CREDIT_PROVINCE", "henan")
    monkeypatch.setenv("TRANSPORT_CREDIT_PII_KEY", "test-pii-key-for-the-test-suite-0123456")
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()
