"""What every CLI command needs: settings, the database, the CLI actor, and one place that turns errors into
Chinese messages and exit codes (no tracebacks for user errors)."""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError

from transport_credit.catalog.models import CatalogDocument
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_ADMIN, Actor
from transport_credit.common.errors import CreditError, InvalidInput
from transport_credit.db.engine import make_engine
from transport_credit.db.uow import Database
from transport_credit.settings import Settings, get_settings

P = ParamSpec("P")
R = TypeVar("R")

DATE_FORMATS = ["%Y-%m-%d"]  # typer's datetime options: a wrong date is refused with a clear message (exit 2)
JsonOption = Annotated[bool, typer.Option("--json", help="以 JSON 输出（供脚本使用）")]

EXIT_ERROR = 1  # a user error (CreditError) or a failed check (audit verify)
NOT_INITIALISED = "数据库尚未初始化，请先运行 tcredit init"


class CliError(Exception):
    """An error the CLI reports itself (message in Chinese) with an exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def fail(message: str, exit_code: int = EXIT_ERROR) -> typer.Exit:
    typer.secho(f"错误：{message}", err=True, fg=typer.colors.RED)
    return typer.Exit(exit_code)


def handled(fn: Callable[P, R]) -> Callable[P, R]:
    """Report ``CreditError`` (and the CLI's own errors) as ``错误：…`` on stderr with a non-zero exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CreditError as exc:
            raise fail(exc.message) from None
        except CliError as exc:
            raise fail(exc.message, exc.exit_code) from None
        except OperationalError as exc:
            raise fail(f"无法访问数据库：{exc.orig or exc}") from None

    return wrapper


def settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "；".join(f"{'.'.join(str(p) for p in e['loc']) or '配置'}: {e['msg']}" for e in exc.errors())
        raise CliError(f"配置无效（TRANSPORT_CREDIT_*）：{problems}") from None


def cli_actor() -> Actor:
    """Whoever runs the CLI on the server acts as administrator (they can read the database anyway)."""
    try:
        name = getpass.getuser() or "cli"
    except (KeyError, OSError):
        name = "cli"
    return Actor(name=name, kind="cli", roles=frozenset({ROLE_ADMIN}))


def is_initialised(db: Database) -> bool:
    """The schema exists and a catalog has been loaded (``tcredit init`` ran)."""
    if not inspect(db.engine).has_table(CatalogDocument.__tablename__):
        return False
    with db.read() as session:
        return session.scalar(select(CatalogDocument.id).where(CatalogDocument.active.is_(True)).limit(1)) is not None


@contextmanager
def database(cfg: Settings, *, require_init: bool = True) -> Iterator[Database]:
    """The platform database; refuses with ``请先运行 tcredit init`` when it was never initialised."""
    db = Database(make_engine(cfg.effective_database_url))
    try:
        if require_init and not is_initialised(db):
            raise CliError(NOT_INITIALISED)
        yield db
    finally:
        db.engine.dispose()


def category_code(session: Any, value: str) -> str:
    """The catalog code of a category given by its code (any case) or its name (行政处罚)."""
    catalog = active_catalog(session)
    for cat in catalog.categories():
        if value in (cat.code, cat.name) or value.upper() == cat.code:
            return cat.code
    raise InvalidInput(f"信用信息目录中没有类别「{value}」", code="unknown_category")
