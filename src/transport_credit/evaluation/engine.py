"""The set-based evaluation engine: a model file compiled into a few SQL statements over ``credit_records``.

A run is, whatever the number of subjects:

1. **population** — one ``INSERT … SELECT``: the subjects of the model's kinds with a matching record, and their
   window (constant for annual and rolling periods; per subject for certificate cycles, computed column-wise with
   Polars from each subject's first record and bulk inserted);
2. **score rules** — one statement for the whole family of deduction and bonus rules: the population joined to
   the current records of the rules' categories once, one id list per rule, then one row per subject into
   ``evaluation_hits``: the sums the grade needs and, as JSON, each applied rule's count, points (capped) and
   record ids (the explanation);
3. **overrides** — one statement per override (black list → lowest grade, serious dishonesty → D …), one
   ``evaluation_hits`` row per subject it applies to;
4. **results** — one ``INSERT … SELECT`` computing score, score grade (bands), newcomer grade, rise cap,
   escalation and override as SQL ``CASE`` expressions, joined to the previous period's results;
5. the previous current results of these subjects stop being current; the work rows are deleted.

A periodic run on PostgreSQL stages its heavy selects in temporary tables (``run_insert``: ``CREATE TABLE AS``
gets parallel workers, ``INSERT … SELECT`` never does). Dynamic re-evaluation runs the same statements with the
population restricted to the given subjects. Nothing
loops over subjects in Python; the same compiled plan could be emitted for another SQL engine (Spark SQL, DuckDB).
The reference semantics are :func:`transport_credit.evaluation.rules.evaluate_subject`; tests check both agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
import polars as pl
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    case,
    cast,
    column,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    table,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

from transport_credit.db.base import table_of, utcnow
from transport_credit.db.dialect import bulk_insert_frame, values_in
from transport_credit.db.driver import DriverStatement, run_all
from transport_credit.evaluation.models import (
    EvaluationHits,
    EvaluationPopulation,
    EvaluationResult,
    EvaluationRun,
)
from transport_credit.evaluation.rules import add_months, period_window
from transport_credit.evaluation.schema import Condition, EvaluationModelDef, RecordMatch
from transport_credit.records.models import CreditRecord
from transport_credit.subjects.models import Subject

RECORDS: Table = table_of(CreditRecord)
P: Table = table_of(EvaluationPopulation)
H: Table = table_of(EvaluationHits)
E: Table = table_of(EvaluationResult)
SUBJECTS: Table = table_of(Subject)
RUNS: Table = table_of(EvaluationRun)
R = RECORDS.c
S = SUBJECTS.c


@dataclass(frozen=True)
class Plan:
    """What a run needs besides the model: its period, window, as-of date and the subjects to evaluate."""

    period: str
    as_of: dt.date
    window_start: dt.date
    window_end: dt.date
    subject_ids: Sequence[int] | None = None
    region_code: str | None = None


def plan_periodic(model: EvaluationModelDef, period: str, as_of: dt.date | None = None) -> Plan:
    start, end = period_window(model, period)
    return Plan(period=period, as_of=as_of or end, window_start=start, window_end=end)


# ---------------------------------------------------------------------------------------------------------------
# Conditions compiled to SQL (same semantics as rules.condition_holds / rules.matches)


@dataclass(frozen=True)
class Cols:
    """Where conditions read a record's values: the table itself, or a subquery that extracted them once."""

    category: ColumnElement[Any]
    status: ColumnElement[Any]
    severity: ColumnElement[Any]
    department_code: ColumnElement[Any]
    fields: dict[str, ColumnElement[Any]]  # data key → its text (extracted once per record)


def _table_cols() -> Cols:
    return Cols(R.category, R.status, R.severity, R.department_code, {})


def _field_text(name: str, cols: Cols) -> ColumnElement[Any]:
    if name == "severity":
        return cols.severity
    if name == "department_code":
        return cols.department_code
    if name in cols.fields:
        return cols.fields[name]
    expr: ColumnElement[Any] = R.data[name].as_string()
    return expr


def _field_number(name: str, cols: Cols) -> ColumnElement[Any]:
    if name in cols.fields:
        return cast(cols.fields[name], Float)
    expr: ColumnElement[Any] = R.data[name].as_float()
    return expr


def condition_sql(cond: Condition, multi_fields: frozenset[str], cols: Cols | None = None) -> ColumnElement[bool]:
    cols = cols or _table_cols()
    parts: list[ColumnElement[bool]] = []
    text_ = _field_text(cond.field, cols)
    if cond.any_of is not None:
        if cond.field in multi_fields:
            parts.append(or_(*[text_.contains(v, autoescape=True) for v in cond.any_of]))
        else:
            parts.append(text_.in_(cond.any_of))
    if cond.contains_any is not None:
        parts.append(or_(*[text_.contains(v, autoescape=True) for v in cond.contains_any]))
    if cond.gte is not None or cond.lt is not None:
        number = _field_number(cond.field, cols)
        if cond.gte is not None:
            parts.append(number >= cond.gte)
        if cond.lt is not None:
            parts.append(number < cond.lt)
    return and_(*parts)


def match_sql(
    match: RecordMatch, multi_fields: frozenset[str], *, with_category: bool = True, cols: Cols | None = None
) -> ColumnElement[bool]:
    cols = cols or _table_cols()
    parts: list[ColumnElement[bool]] = []
    if with_category:
        parts.append(cols.category.in_(match.categories))
    parts.append(cols.status.in_(match.statuses))
    if match.severity_in is not None:
        parts.append(cols.severity.in_(match.severity_in))
    parts.extend(condition_sql(c, multi_fields, cols) for c in match.where)
    return and_(*parts)


def _group_ids(session: Session, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Comma-separated ids (NULLs skipped), the same text on both dialects."""
    if session.get_bind().dialect.name == "postgresql":
        return func.string_agg(cast(column, String), ",")
    return func.group_concat(column, ",")


def id_count(ids: ColumnElement[Any]) -> ColumnElement[Any]:
    """How many ids a comma-separated id list holds (0 for NULL: no matching record)."""
    return func.coalesce(func.length(ids) - func.length(func.replace(ids, ",", "")) + 1, 0)


def _round4(session: Session, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Round to 4 decimals on both dialects (PostgreSQL rounds NUMERIC, not double precision)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.round(cast(value, Numeric), 4), Float)
    return func.round(cast(value, Float), 4)


def _min(session: Session, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    """The smaller of two values: LEAST on PostgreSQL, the two-argument scalar min() on SQLite (a CASE would repeat
    its operands, and SQLite flattens nested subqueries, so the repetition would compound)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.least(a, b)
    return func.min(a, b)


def _max(session: Session, a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.greatest(a, b)
    return func.max(a, b)


# ---------------------------------------------------------------------------------------------------------------
# The run: the model compiled once into parameterised statements, executed with the run's values


def _in_subjects(session: Session, column: ColumnElement[Any]) -> ColumnElement[bool]:
    """``column IN (:subject_ids)`` as one named parameter (an array on PostgreSQL, JSON text on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("subject_ids", type_=ARRAY(Integer())))
    each = func.json_each(bindparam("subject_ids", type_=String())).table_valued("value")
    return column.in_(select(literal_column("value")).select_from(each))


@dataclass(frozen=True)
class Stage:
    """How a bulk PostgreSQL run splits a statement built on one aggregate: the aggregate first, into the temporary
    table ``name`` (a CTE or a derived table is computed by one process, a table of its own in parallel), then
    ``rows``, the statement's select written over that table."""

    name: str
    aggregate: Any
    rows: Any


@dataclass(frozen=True)
class InsertSelect:
    """``INSERT INTO table (columns) SELECT …``, kept apart so a bulk run on PostgreSQL can stage the rows."""

    table: Table
    columns: tuple[str, ...]
    select: Any
    stage: Stage | None = None  # how a bulk PostgreSQL run splits it

    @cached_property
    def stmt(self) -> Any:
        return insert(self.table).from_select(list(self.columns), self.select)

    @cached_property
    def driver(self) -> DriverStatement:
        return DriverStatement(self.stmt)


class _CreateStage(Executable, ClauseElement):
    """``CREATE UNLOGGED TABLE name (columns) AS <select>`` (PostgreSQL).

    Unlogged, not temporary: PostgreSQL's parallel workers cannot read a temporary table (it lives in the leader's
    local buffers), so every statement over a temporary stage ran in one process. An unlogged table writes no WAL
    either; ``run_insert`` drops it again within the run's transaction, and a rolled-back run takes it along (DDL
    is transactional). Two bulk runs at the same moment queue on the name until the first commits."""

    inherit_cache = False  # built per bulk run; the select inside is what matters

    def __init__(self, name: str, columns: Sequence[str], select: Any) -> None:
        self.name = name
        self.columns = columns
        self.select = select


@compiles(_CreateStage, "postgresql")
def _compile_stage(element: _CreateStage, compiler: Any, **kw: Any) -> str:
    head = f"CREATE UNLOGGED TABLE {element.name} ({', '.join(element.columns)}) AS "
    return head + str(compiler.process(element.select, **kw))


STAGE = "tc_eval_stage"
STAGE_AGG = "tc_eval_agg"
STAGE_HITS = "tc_eval_hits"
# Settings of a bulk run on PostgreSQL (this transaction only, restored after the run): sorts and hashes over a
# whole province's records fit in memory instead of spilling to disk, and no JIT compilation (these statements
# run once; compiling their expressions cost 0.1–0.5 s each and saved less).
BULK_SETTINGS = {"work_mem": "256MB", "jit": "off"}


def run_insert(session: Session, statement: InsertSelect, params: dict[str, Any], *, bulk: bool) -> None:
    """Execute ``statement``. In a bulk PostgreSQL run its heavy select runs as ``CREATE TABLE AS`` into a stage
    table first (``_CreateStage``): PostgreSQL never gives ``INSERT … SELECT`` a parallel plan, but does give one
    to ``CREATE TABLE AS``, and that select (scans and joins over every record) is most of the work. The rows then go
    to the real table in subject order: the parallel workers deliver them interleaved, and at a province's size
    the indexes on (…, subject_id) no longer fit in shared buffers, so random-order inserts keep evicting and
    re-reading leaves."""
    if not bulk:
        statement.driver.run(session, params)
        return
    if statement.stage is not None:
        stage = statement.stage
        names = [c.name for c in stage.aggregate.selected_columns]
    else:  # the whole select is staged, under neutral column names (its own may repeat)
        names = [f"c{i}" for i in range(len(statement.columns))]
        stage = Stage(STAGE, statement.select, table(STAGE, *[column(n) for n in names]).select())
    session.execute(_CreateStage(stage.name, names, stage.aggregate), params)
    session.execute(text(f"ANALYZE {stage.name}"))  # its real size, for the plan of the statement over it
    rows = stage.rows.subquery("r")
    subject = rows.c[statement.columns.index("subject_id")]
    ordered = select(*rows.c).order_by(subject)
    session.execute(insert(statement.table).from_select(list(statement.columns), ordered), params)
    session.execute(text(f"DROP TABLE {stage.name}"))


def _set_local(session: Session, settings: dict[str, str]) -> dict[str, str]:
    """Set PostgreSQL run-time settings for the rest of the transaction; returns their previous values."""
    previous = {}
    for name, value in settings.items():
        previous[name] = str(session.scalar(text("SELECT current_setting(:n)"), {"n": name}))
        session.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    return previous


@dataclass(frozen=True)
class Compiled:
    """The statements of one model on one dialect for one kind of population filter."""

    population: InsertSelect
    score_rules: InsertSelect | None
    overrides: tuple[InsertSelect, ...]
    results: InsertSelect
    retire: DriverStatement  # the subjects' earlier current results stop being current
    clear: DriverStatement  # the run's population rows are deleted
    counts: DriverStatement  # per grade: results, changed grades, escalations
    rule_lows: tuple[int | None, ...]  # window_months of each rule (None: the period)


_COMPILED: dict[tuple[str, str, str, str, bool, bool, frozenset[str]], Compiled] = {}


def compiled(
    session: Session, model: EvaluationModelDef, multi_fields: frozenset[str], *, by_subject: bool, by_region: bool
) -> Compiled:
    """The model's statements, built once per process (SQLAlchemy then reuses their compiled SQL)."""
    dialect = session.get_bind().dialect.name
    key = (model.code, model.version, model.model_dump_json(), dialect, by_subject, by_region, multi_fields)
    hit = _COMPILED.get(key)
    if hit is None:
        hit = Compiled(
            population=_population_stmt(session, model, multi_fields, by_subject=by_subject, by_region=by_region),
            score_rules=_score_rules_stmt(session, model, multi_fields, by_subject=by_subject),
            overrides=tuple(
                _override_stmt(session, model, i, multi_fields, by_subject=by_subject)
                for i in range(len(model.overrides))
            ),
            results=_results_stmt(session, model, by_subject=by_subject),
            retire=_retire_stmt(session, model, by_subject=by_subject),
            clear=DriverStatement(delete(P).where(P.c.run_id == bindparam("run_id", type_=Integer()))),
            counts=_counts_stmt(),
            rule_lows=tuple(r.window_months for r in model.rules),
        )
        if len(_COMPILED) > 256:
            _COMPILED.clear()
        _COMPILED[key] = hit
    return hit


def execute(
    session: Session,
    model: EvaluationModelDef,
    run: EvaluationRun,
    plan: Plan,
    *,
    multi_fields: frozenset[str],
    base_run_id: int | None,
    make_current: bool,
) -> Outcome:
    """Evaluate the plan's subjects into ``evaluation_results`` of ``run`` (flushed, the caller commits)."""
    c = compiled(
        session, model, multi_fields, by_subject=plan.subject_ids is not None, by_region=bool(plan.region_code)
    )
    params: dict[str, Any] = {
        "run_id": run.id,
        "window_start": plan.window_start,
        "window_end": plan.window_end,
        "as_of": plan.as_of,
        "as_of_text": plan.as_of.isoformat(),
        "base_run_id": base_run_id if base_run_id is not None else -1,
        "model_version": run.model_version,
        "period": plan.period,
        "valid_until": add_months(plan.window_end, model.period.validity_months),
        "computed_at": utcnow(),
        "make_current": make_current,
    }
    if plan.region_code:
        params["region_prefix"] = region_prefix(plan.region_code) + "%"
    if plan.subject_ids is not None:
        ids = [int(i) for i in plan.subject_ids]
        params["subject_ids"] = ids if session.get_bind().dialect.name == "postgresql" else orjson.dumps(ids).decode()
    lows = [add_months(plan.window_end, -m) + dt.timedelta(days=1) if m else plan.window_start for m in c.rule_lows]
    for i, lo in enumerate(lows):
        params[f"low_{i}"] = lo
    params["join_low"] = min([plan.window_start, *lows])
    for i, o in enumerate(model.overrides):
        if o.min_months is not None:
            params[f"o_since_{i}"] = add_months(plan.as_of, -o.min_months)
    bulk = plan.subject_ids is None and session.get_bind().dialect.name == "postgresql"
    if model.period.kind == "cycle":
        _cycle_population(session, model, run.id, plan, multi_fields)
    # only the run and the subject list: other keys of ``params`` named like columns would become SET clauses
    retire: dict[str, Any] = {"this_run": run.id}
    if plan.subject_ids is not None:
        retire["subject_ids"] = params["subject_ids"]
    if bulk:
        counts = _execute_bulk(session, c, params, retire if make_current else None, cycle=model.period.kind == "cycle")
    else:
        # one round of statements (a pipeline on PostgreSQL): the dynamic path runs thousands of times a day
        steps: list[tuple[DriverStatement, dict[str, Any]]] = []
        if model.period.kind != "cycle":
            steps.append((c.population.driver, params))
        steps += [(s.driver, params) for s in (c.score_rules, *c.overrides, c.results) if s is not None]
        if make_current:
            steps.append((c.retire, retire))
        steps += [(c.clear, {"run_id": run.id}), (c.counts, {"run_id": run.id})]
        counts = run_all(session, steps)
    run.grade_counts = {g: int(n) for g, n, _, _ in counts}
    run.subject_count = sum(run.grade_counts.values())
    run.finished_at = utcnow()
    session.flush()
    return Outcome(changed=sum(int(c or 0) for _, _, c, _ in counts), escalated=sum(int(e or 0) for *_, e in counts))


def _execute_bulk(
    session: Session, c: Compiled, params: dict[str, Any], retire: dict[str, Any] | None, *, cycle: bool
) -> list[tuple[Any, ...]]:
    """A periodic run on PostgreSQL: heavy selects staged (``run_insert``), fresh statistics between the steps,
    the run's own settings (``BULK_SETTINGS``) restored at the end."""
    saved = _set_local(session, BULK_SETTINGS)
    if not cycle:
        run_insert(session, c.population, params, bulk=True)
    # Fresh statistics of the work tables, so PostgreSQL plans the joins for their real size (the planner would
    # otherwise reuse estimates from a small dynamic run, or none at all). Cheap next to the run.
    session.execute(text("ANALYZE evaluation_population"))
    if c.score_rules is not None:
        run_insert(session, c.score_rules, params, bulk=True)
    for stmt in c.overrides:
        run_insert(session, stmt, params, bulk=True)
    session.execute(text("ANALYZE evaluation_hits"))
    run_insert(session, c.results, params, bulk=True)
    if retire is not None:
        c.retire.run(session, retire)
    c.clear.run(session, {"run_id": params["run_id"]})
    session.execute(text("ANALYZE evaluation_results"))
    _set_local(session, saved)
    return c.counts.run(session, {"run_id": params["run_id"]})


def _retire_stmt(session: Session, model: EvaluationModelDef, *, by_subject: bool) -> DriverStatement:
    run_id = bindparam("this_run", type_=Integer())  # not "run_id": an UPDATE reserves column names for SET
    in_run: ColumnElement[bool] = (
        _in_subjects(session, E.c.subject_id)
        if by_subject
        else E.c.subject_id.in_(select(P.c.subject_id).where(P.c.run_id == run_id))
    )
    return DriverStatement(
        update(E)
        .where(E.c.model_code == model.code, E.c.is_current == true(), E.c.run_id != run_id, in_run)
        .values(is_current=False)
    )


def _counts_stmt() -> DriverStatement:
    changed = or_(E.c.previous_grade.is_(None), E.c.previous_grade != E.c.grade)
    return DriverStatement(
        select(
            E.c.grade,
            func.count(),
            func.sum(case((changed, 1), else_=0)),
            func.sum(case((E.c.adjustment == "escalation", 1), else_=0)),
        )
        .where(E.c.run_id == bindparam("run_id", type_=Integer()))
        .group_by(E.c.grade)
    )


@dataclass(frozen=True)
class Outcome:
    """What a run changed: results whose grade differs from the subject's previous current grade (or that have
    none), and results escalated (连续两期较差). A dynamic run with neither has nothing to publish or warn about."""

    changed: int
    escalated: int


def _population_conds(
    session: Session,
    model: EvaluationModelDef,
    multi_fields: frozenset[str],
    *,
    by_subject: bool,
    by_region: bool,
    until: ColumnElement[Any],
) -> list[ColumnElement[bool]]:
    pop = model.population
    has_record = exists(
        select(literal(1)).where(
            R.subject_id == S.id,
            R.category.in_(pop.match.categories),
            R.is_current == true(),
            R.decision_date <= until,
            match_sql(pop.match, multi_fields, with_category=False),
        )
    )
    conds: list[ColumnElement[bool]] = [S.kind.in_(pop.subject_kinds), has_record]
    if by_region:
        conds.append(S.region_code.like(bindparam("region_prefix", type_=String())))
    if by_subject:
        conds.append(_in_subjects(session, S.id))
    return conds


def _population_stmt(
    session: Session, model: EvaluationModelDef, multi_fields: frozenset[str], *, by_subject: bool, by_region: bool
) -> InsertSelect:
    conds = _population_conds(
        session,
        model,
        multi_fields,
        by_subject=by_subject,
        by_region=by_region,
        until=bindparam("window_end", type_=Date()),
    )
    sel = select(
        bindparam("run_id", type_=Integer()),
        S.id,
        bindparam("window_start", type_=Date()),
        bindparam("window_end", type_=Date()),
    ).where(*conds)
    return InsertSelect(P, ("run_id", "subject_id", "window_start", "window_end"), sel)


def _cycle_population(
    session: Session, model: EvaluationModelDef, run_id: int, plan: Plan, multi_fields: frozenset[str]
) -> None:
    """Certificate cycles: the anchor is each subject's first population record; windows computed column-wise."""
    pop = model.population
    conds: list[ColumnElement[bool]] = []
    params: dict[str, Any] = {}
    if plan.region_code:
        conds.append(S.region_code.startswith(region_prefix(plan.region_code)))
    if plan.subject_ids is not None:
        conds.append(values_in(session, S.id, list(plan.subject_ids), Integer()))
    first = (
        select(S.id.label("subject_id"), func.min(R.decision_date).label("anchor"))
        .select_from(RECORDS.join(SUBJECTS, R.subject_id == S.id))
        .where(
            S.kind.in_(pop.subject_kinds),
            R.category.in_(pop.match.categories),
            R.is_current == true(),
            R.decision_date <= plan.as_of,
            match_sql(pop.match, multi_fields, with_category=False),
            *conds,
        )
        .group_by(S.id)
    )
    rows = session.execute(first, params).all()
    if not rows:
        return
    frame = pl.DataFrame(
        {"subject_id": [r[0] for r in rows], "anchor": [r[1] for r in rows]},
        schema={"subject_id": pl.Int64, "anchor": pl.Date},
    )
    frame = cycle_windows(frame, plan.as_of, model.period.months).select(
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        "subject_id",
        pl.col("window_start").dt.to_string("%Y-%m-%d"),
        pl.lit(plan.as_of.isoformat()).alias("window_end"),
    )
    bulk_insert_frame(session, P, frame)


def cycle_windows(frame: pl.DataFrame, as_of: dt.date, months: int) -> pl.DataFrame:
    """Add ``window_start``: the start of the ``months``-long cycle from ``anchor`` that contains ``as_of``."""
    elapsed = (as_of.year - pl.col("anchor").dt.year()) * 12 + (as_of.month - pl.col("anchor").dt.month())
    k = (elapsed // months).clip(lower_bound=0)
    start = pl.col("anchor").dt.offset_by(pl.format("{}mo", (k * months).cast(pl.String)))
    earlier = pl.col("anchor").dt.offset_by(pl.format("{}mo", ((k - 1).clip(lower_bound=0) * months).cast(pl.String)))
    return frame.with_columns(pl.when(start > pl.lit(as_of)).then(earlier).otherwise(start).alias("window_start"))


def region_prefix(region_code: str) -> str:
    """410100 → 4101 (a city and its counties), 410000 → 41, 410102 → 410102."""
    if region_code.endswith("0000"):
        return region_code[:2]
    if region_code.endswith("00"):
        return region_code[:4]
    return region_code


HIT_COLUMNS = ("run_id", "subject_id", "source", "deducted", "bonus", "matched", "applied", "tag_points", "hits")


def _run_rows(session: Session, column: ColumnElement[Any], by_subject: bool) -> list[ColumnElement[bool]]:
    """The population rows of the run; for a dynamic run also the subject list itself, so the planner knows the
    run is small (PostgreSQL's statistics of the work table may describe a large periodic run)."""
    conds = [P.c.run_id == bindparam("run_id", type_=Integer())]
    if by_subject:
        conds.append(_in_subjects(session, column))
    return conds


def _score_rules_stmt(
    session: Session, model: EvaluationModelDef, multi_fields: frozenset[str], *, by_subject: bool = False
) -> InsertSelect | None:
    """One statement for the family of score rules: one pass over the population's records."""
    rules = model.rules
    if not rules:
        return None
    categories = sorted({c for r in rules for c in r.match.categories})
    statuses = sorted({s for r in rules for s in r.match.statuses})
    cycle = model.period.kind == "cycle"
    join_low: ColumnElement[Any] = P.c.window_start if cycle else bindparam("join_low", type_=Date())
    joined = P.join(
        RECORDS,
        and_(
            R.subject_id == P.c.subject_id,
            R.category.in_(categories),
            R.is_current == true(),
            R.status.in_(statuses),
            R.decision_date <= P.c.window_end,
            R.decision_date >= join_low,
        ),
    )
    # One row per (subject, record) with the values the rules test extracted ONCE. On PostgreSQL one
    # ``json_to_record`` call parses each record's JSON once for all the keys, a plain function scan the planner
    # can run in parallel workers. SQLite extracts key by key, and OFFSET 0 keeps it from inlining the
    # extractions into every condition below (an optimisation fence).
    keys = sorted({c.field for r in rules for c in r.match.where} - {"severity", "department_code"})
    pg = session.get_bind().dialect.name == "postgresql"
    source: Any = joined
    extracted: list[Any] = [R.data[k].as_string().label(f"d_{n}") for n, k in enumerate(keys)]
    if pg and keys:
        fields = (
            func.json_to_record(R.data)
            .table_valued(*[column(k, String) for k in keys])
            .render_derived(name="x", with_types=True)
        )
        source = joined.join(fields, true())
        extracted = [fields.c[k].label(f"d_{n}") for n, k in enumerate(keys)]
    per_record = (
        select(
            P.c.subject_id,
            P.c.window_start,
            R.id,
            R.category,
            R.status,
            R.severity,
            R.department_code,
            R.decision_date,
            *extracted,
        )
        .select_from(source)
        .where(*_run_rows(session, P.c.subject_id, by_subject))
    )
    if not pg:
        per_record = per_record.limit(-1).offset(0)
    rec = per_record.subquery("rec")
    cols = Cols(
        rec.c.category,
        rec.c.status,
        rec.c.severity,
        rec.c.department_code,
        {k: rec.c[f"d_{n}"] for n, k in enumerate(keys)},
    )
    # One row per subject: for each rule, the id list of its matching records (an aggregate FILTER clause: the
    # condition is tested once, no CASE to build and skip). Then one hit row per subject (``_score_rows``), each
    # rule's count read off its id list. (A count aggregate per rule as well would test every condition twice; on
    # PostgreSQL 15 this aggregate runs in one process, string_agg having no parallel form before 16.)
    columns: list[Any] = [rec.c.subject_id]
    for i, rule in enumerate(rules):
        low = rec.c.decision_date >= (rec.c.window_start if cycle else bindparam(f"low_{i}", type_=Date()))
        cond = and_(low, match_sql(rule.match, multi_fields, cols=cols))
        columns.append(_group_ids(session, rec.c.id).filter(cond).label(f"i{i}"))
    aggregate = select(*columns).group_by(rec.c.subject_id)
    staged = table(STAGE_AGG, *[column(c.name) for c in aggregate.selected_columns])
    stage = Stage(STAGE_AGG, aggregate, _score_rows(session, model, staged))
    return InsertSelect(H, HIT_COLUMNS, _score_rows(session, model, aggregate.subquery("agg")), stage=stage)


def _score_rows(session: Session, model: EvaluationModelDef, agg: Any) -> Any:
    """One ``rules`` row per subject with an applied rule, from ``agg`` (the id list of each rule per subject):
    each rule's count (read off its id list) and points (capped; NULL when the rule does not apply), then the
    sums the grade needs and the applied rules as JSON."""
    per_rule: list[Any] = []
    for i, rule in enumerate(model.rules):
        count = id_count(agg.c[f"i{i}"])
        raw = literal(rule.points, Float) if rule.per == "once" else count * literal(rule.points, Float)
        points = _min(session, raw, literal(rule.cap, Float)) if rule.cap is not None else raw
        applies = count >= max(rule.min_count, 1)
        per_rule += [count.label(f"c{i}"), case((applies, cast(points, Float)), else_=null()).label(f"p{i}")]
    ids = [agg.c[f"i{i}"].label(f"i{i}") for i in range(len(model.rules))]
    if session.get_bind().dialect.name == "postgresql":
        # counts and points once per row, in a LATERAL subquery fenced by OFFSET 0: PostgreSQL would otherwise
        # inline them into each of their uses below, re-counting every id list several times (the score rows of a
        # 1,000,000-subject run took 12.5 s unfenced, 6.5 s fenced, with the JSON built by json_build_object)
        x = select(*per_rule).correlate(agg).offset(_fence(session)).lateral("x")
        q = select(agg.c.subject_id, *ids, *x.c).select_from(agg.join(x, true())).subquery("q")
    else:  # LIMIT -1 OFFSET 0: SQLite does not flatten the subquery, so the counts are computed once a row
        q = select(agg.c.subject_id, *ids, *per_rule).limit(-1).offset(0).subquery("q")

    def total(value: str, kind: str | None = None, tag: str | None = None) -> ColumnElement[Any]:
        """The sum over the applied rules (of a kind, of a tag) of their points (``p``), counts (``c``) or 1."""
        out: ColumnElement[Any] = literal(0.0, Float) if value == "p" else literal(0, Integer)
        for i, r in enumerate(model.rules):
            if (kind is None or r.kind == kind) and (tag is None or r.tag == tag):
                term = literal(1, Integer) if value == "1" else q.c[f"{value}{i}"]
                out = out + case((q.c[f"p{i}"].isnot(None), term), else_=0)
        return out

    tags = sorted({r.tag for r in model.rules if r.tag})
    # The JSON is written as text: json_build_object / json_strip_nulls on PostgreSQL cost twice as much a row
    # (6.5 → 3.5 s for the score rows of 1,000,000 subjects). Codes and kinds are JSON-encoded here; counts, points
    # and id lists are digits. Each applied rule contributes '"code":[…],' and the last comma is trimmed.
    body: ColumnElement[Any] = literal("", Text)
    for i, r in enumerate(model.rules):
        entry = (
            literal(f"{orjson.dumps(r.code).decode()}:[{orjson.dumps(r.kind).decode()},", Text)
            + cast(q.c[f"c{i}"], Text)
            + ","
            + cast(q.c[f"p{i}"], Text)
            + ',"'
            + q.c[f"i{i}"]
            + '"],'
        )  # NULL when the rule did not apply (its points are NULL)
        body = body + func.coalesce(entry, "")
    hits = "{" + func.rtrim(body, ",") + "}"
    sel = select(
        bindparam("run_id", type_=Integer()),
        q.c.subject_id,
        literal("rules", String),
        cast(total("p", kind="deduction"), Float),
        cast(total("p", kind="bonus"), Float),
        total("c"),
        total("1"),
        json_object(session, [(t, total("p", tag=t)) for t in tags]) if tags else null(),
        hits,
    )
    return sel.where(or_(*[q.c[f"p{i}"].isnot(None) for i in range(len(model.rules))]))


def _hit_entry(
    session: Session, kind: str, count: ColumnElement[Any], points: ColumnElement[Any], ids: ColumnElement[Any]
) -> ColumnElement[Any]:
    """``[kind, match count, points, "ids"]``, a JSON array."""
    items = (literal(kind, String), count, points, ids)
    if session.get_bind().dialect.name == "postgresql":
        return func.json_build_array(*items)
    return func.json_array(*items)


def json_object(session: Session, pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    """A JSON object as text from (key, value) pairs."""
    flat: list[Any] = []
    for key, value in pairs:
        flat += [literal(key, String), value]
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.json_build_object(*flat), Text)
    return func.json_object(*flat)


def json_number(session: Session, doc: ColumnElement[Any], key: str) -> ColumnElement[Any]:
    """The number under ``key`` of a JSON object held as text (NULL when absent)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(cast(doc, JSON).op("->>")(literal(key, String)), Float)
    return cast(func.json_extract(doc, literal("$." + key, String)), Float)


def _fence(session: Session) -> Any:
    """``OFFSET 0`` on PostgreSQL: keeps a subquery's expressions computed once per row (see _results_select)."""
    if session.get_bind().dialect.name == "postgresql":
        return bindparam("fence", 0, type_=Integer(), literal_execute=True)
    return None


def _override_stmt(
    session: Session, model: EvaluationModelDef, index: int, multi_fields: frozenset[str], *, by_subject: bool = False
) -> InsertSelect:
    o = model.overrides[index]
    as_of = bindparam("as_of", type_=Date())
    if o.active == "publicity":
        active: ColumnElement[bool] = and_(
            func.coalesce(R.publicity_start, R.decision_date) <= as_of,
            or_(R.publicity_end.is_(None), R.publicity_end >= as_of),
        )
    else:
        recent = R.decision_date > bindparam(f"o_since_{index}", type_=Date())
        active = (
            or_(recent, R.data[o.until_field].as_string() >= bindparam("as_of_text", type_=String()))
            if o.until_field
            else recent
        )
    ids = _group_ids(session, R.id)
    per_subject = (
        select(P.c.subject_id, func.count().label("n"), ids.label("ids"))
        .select_from(
            P.join(
                RECORDS,
                and_(R.subject_id == P.c.subject_id, R.category.in_(o.match.categories), R.is_current == true()),
            )
        )
        .where(
            *_run_rows(session, P.c.subject_id, by_subject),
            R.decision_date <= as_of,
            match_sql(o.match, multi_fields),
            active,
        )
        .group_by(P.c.subject_id)
        .subquery("o")
    )
    entry = _hit_entry(session, "override", per_subject.c.n, literal(0.0, Float), per_subject.c.ids)
    sel = select(
        bindparam("run_id", type_=Integer()),
        per_subject.c.subject_id,
        literal(o.code, String),
        literal(0.0, Float),
        literal(0.0, Float),
        per_subject.c.n,
        literal(0, Integer),
        null(),
        json_object(session, [(o.code, entry)]),
    )
    return InsertSelect(H, HIT_COLUMNS, sel)


RESULT_COLUMNS = (
    "run_id",
    "model_code",
    "model_version",
    "period",
    "subject_id",
    "region_code",
    "score",
    "deducted",
    "bonus",
    "tag_points",
    "record_count",
    "score_grade",
    "grade",
    "grade_level",
    "previous_grade",
    "previous_level",
    "adjustment",
    "valid_until",
    "is_current",
    "computed_at",
)


def _results_stmt(session: Session, model: EvaluationModelDef, *, by_subject: bool = False) -> InsertSelect:
    run_id = bindparam("run_id", type_=Integer())
    tags = sorted({r.tag for r in model.rules if r.tag})
    okeys = {o.code: model.override_level(o) * 100 + (99 - i) for i, o in enumerate(model.overrides)}

    rules_row = H.c.source == "rules"
    hit_cols: list[Any] = [
        H.c.subject_id,
        func.sum(H.c.deducted).label("ded"),
        func.sum(H.c.bonus).label("bon"),
        func.sum(case((rules_row, H.c.matched), else_=0)).label("matched"),
        func.sum(H.c.applied).label("nscore"),
    ]
    for t in tags:
        hit_cols.append(func.sum(json_number(session, H.c.tag_points, t)).label(f"t_{t}"))
    if okeys:
        okey_case = case(*[(H.c.source == code, key) for code, key in okeys.items()], else_=-1)
        hit_cols.append(func.max(okey_case).label("okey"))
    else:
        hit_cols.append(literal(-1, Integer).label("okey"))
    h_where: list[ColumnElement[bool]] = [H.c.run_id == run_id]
    if by_subject:
        h_where.append(_in_subjects(session, H.c.subject_id))
    per_subject = select(*hit_cols).where(*h_where).group_by(H.c.subject_id)
    staged = table(STAGE_HITS, *[column(c.name) for c in per_subject.selected_columns])
    stage = Stage(STAGE_HITS, per_subject, _results_select(session, model, staged, by_subject))
    return InsertSelect(
        E, RESULT_COLUMNS, _results_select(session, model, per_subject.subquery("h"), by_subject), stage
    )


def _results_select(session: Session, model: EvaluationModelDef, h: Any, by_subject: bool) -> Any:
    """The results of the run's population from ``h``, the per-subject sums of its rule hits.

    Each step (score, score grade, newcomer and rise cap, escalation, override) is a subquery over the previous
    one. PostgreSQL would pull them all up into one projection, writing every inner expression out again at each
    of its uses (the final grade would evaluate the score expression dozens of times); OFFSET 0 keeps each step
    computed once per row. (SQLite gets no fence: its min()/max() forms keep the repetition small.)"""
    fence = _fence(session)
    run_id = bindparam("run_id", type_=Integer())
    tags = sorted({r.tag for r in model.rules if r.tag})
    okeys = {o.code: model.override_level(o) * 100 + (99 - i) for i, o in enumerate(model.overrides)}
    base = E.alias("base")
    cur = E.alias("cur")
    q1 = (
        select(
            P.c.subject_id,
            S.region_code,
            func.coalesce(h.c.ded, 0.0).label("ded"),
            func.coalesce(h.c.bon, 0.0).label("bon"),
            func.coalesce(h.c.matched, 0).label("matched"),
            func.coalesce(h.c.nscore, 0).label("nscore"),
            func.coalesce(h.c.okey, -1).label("okey"),
            *[func.coalesce(h.c[f"t_{t}"], 0.0).label(f"t_{t}") for t in tags],
            base.c.grade_level.label("base_level"),
            cur.c.grade.label("prev_grade"),
            cur.c.grade_level.label("prev_level"),
        )
        .select_from(
            P.join(SUBJECTS, S.id == P.c.subject_id)
            .outerjoin(h, h.c.subject_id == P.c.subject_id)
            .outerjoin(
                base,
                and_(
                    base.c.run_id == bindparam("base_run_id", type_=Integer()),
                    base.c.subject_id == P.c.subject_id,
                ),
            )
            .outerjoin(
                cur,
                and_(
                    cur.c.model_code == model.code,
                    cur.c.subject_id == P.c.subject_id,
                    cur.c.is_current == true(),
                    cur.c.run_id != run_id,
                ),
            )
        )
        .where(*_run_rows(session, P.c.subject_id, by_subject))
        .offset(fence)
        .subquery("q1")
    )
    bonus: ColumnElement[Any] = q1.c.bon
    if model.bonus_cap is not None:
        bonus = _min(session, bonus, literal(model.bonus_cap, Float))
    score: ColumnElement[Any] = literal(model.base_score, Float) - q1.c.ded + bonus
    if model.max_score is not None:
        score = _min(session, score, literal(model.max_score, Float))
    score = _max(session, score, literal(model.min_score, Float))
    q2_sel = select(q1, cast(score, Float).label("score"), cast(bonus, Float).label("bonus_capped"))
    q2 = q2_sel.offset(fence).subquery("q2")

    whens = []
    for band in model.bands[:-1]:
        conds: list[ColumnElement[bool]] = []
        if band.min_score is not None:
            conds.append(q2.c.score >= band.min_score)
        if band.max_deducted is not None:
            conds.append(q2.c.ded <= band.max_deducted)
        if band.deducted_below is not None:
            conds.append(q2.c.ded < band.deducted_below)
        for tag, limit in (band.tag_points_below or {}).items():
            conds.append(q2.c[f"t_{tag}"] < limit)
        whens.append((and_(*conds), model.level(band.grade)))
    slevel = case(*whens, else_=model.level(model.bands[-1].grade))
    q3 = select(q2, slevel.label("slevel")).offset(fence).subquery("q3")

    c = model.constraints
    level1: ColumnElement[Any] = q3.c.slevel
    newcomer_applies: ColumnElement[bool] = false()
    if c.newcomer_grade is not None:
        newcomer_applies = and_(q3.c.base_level.is_(None), q3.c.slevel < model.level(c.newcomer_grade))
        level1 = case((newcomer_applies, model.level(c.newcomer_grade)), else_=q3.c.slevel)
    level2 = level1
    rise_applies: ColumnElement[bool] = false()
    if c.max_rise_levels is not None:
        rise_applies = and_(q3.c.base_level.isnot(None), level1 < q3.c.base_level - c.max_rise_levels)
        level2 = case((rise_applies, q3.c.base_level - c.max_rise_levels), else_=level1)
    q4 = (
        select(
            q3,
            level2.label("l2"),
            case((newcomer_applies, 1), else_=0).label("newcomer"),
            case((rise_applies, 1), else_=0).label("risecap"),
        )
        .offset(fence)
        .subquery("q4")
    )
    level3: ColumnElement[Any] = q4.c.l2
    esc_flag: ColumnElement[Any] = literal(0, Integer)
    for esc in c.escalations:
        g, b = model.level(esc.grade), model.level(esc.becomes)
        applies = and_(q4.c.base_level == g, level3 == g)
        esc_flag = case((applies, 1), else_=esc_flag)
        level3 = case((applies, _max(session, level3, literal(b, Integer))), else_=level3)
    q5 = select(q4, level3.label("l3"), esc_flag.label("esc")).offset(fence).subquery("q5")
    olevel: ColumnElement[Any] = (
        case(*[(q5.c.okey == key, key // 100) for key in okeys.values()], else_=-1) if okeys else literal(-1, Integer)
    )
    over_applies = olevel > q5.c.l3
    final = case((over_applies, olevel), else_=q5.c.l3)
    over_code = (
        case(*[(q5.c.okey == key, f"override:{code}") for code, key in okeys.items()], else_=null())
        if okeys
        else null()
    )
    adjustment = case(
        (over_applies, over_code),
        (q5.c.esc == 1, "escalation"),
        (q5.c.risecap == 1, "rise_cap"),
        (q5.c.newcomer == 1, "newcomer"),
        else_=null(),
    )
    q6 = select(q5, final.label("level"), adjustment.label("adjustment")).offset(fence).subquery("q6")

    def grade_of(level: ColumnElement[Any]) -> ColumnElement[Any]:
        return case(*[(level == i, g) for i, g in enumerate(model.grades)], else_=model.grades[-1])

    tag_total: ColumnElement[Any] = literal(0.0, Float)
    for t in tags:
        tag_total = tag_total + q6.c[f"t_{t}"]
    sel = select(
        run_id,
        literal(model.code, String),
        bindparam("model_version", type_=String()),
        bindparam("period", type_=String()),
        q6.c.subject_id,
        q6.c.region_code,
        _round4(session, q6.c.score),
        _round4(session, q6.c.ded),
        _round4(session, q6.c.bonus_capped),
        _round4(session, tag_total),
        q6.c.matched,
        grade_of(q6.c.slevel),
        grade_of(q6.c.level),
        q6.c.level,
        q6.c.prev_grade,
        q6.c.prev_level,
        q6.c.adjustment,
        bindparam("valid_until", type_=Date()),
        bindparam("make_current", type_=Boolean()),
        bindparam("computed_at", type_=E.c.computed_at.type),
    )
    return sel
