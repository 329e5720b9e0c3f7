"""Evaluation use cases: run a model for a period, re-evaluate subjects dynamically, explain, publish, composite."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gc
import hashlib
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import polars as pl
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from transport_credit.audit import events as audit
from transport_credit.catalog.loader import load_province
from transport_credit.catalog.province import DepartmentConfig, ProvinceConfig
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.db.dialect import bulk_insert, bulk_insert_frame, values_in
from transport_credit.db.driver import DriverStatement
from transport_credit.evaluation import engine
from transport_credit.evaluation.loader import (
    LoadedModel,
    available_models,
    parse_model,
    remember,
    resolve_model,
)
from transport_credit.evaluation.models import (
    EvaluationHits,
    EvaluationResult,
    EvaluationRun,
    ProvincialGrade,
)
from transport_credit.evaluation.rules import (
    RuleHit,
    add_months,
    explain_adjustment,
    national_composite,
    parse_period_date,
)
from transport_credit.evaluation.schema import EvaluationModelDef
from transport_credit.identifiers.uscc import check_uscc
from transport_credit.records.ids import hold_record_ids
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import service_batch
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.subjects.pii import pii_keys

RUN_ROLES = (ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER)
READ_ROLES = (ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER)
KIND_LABELS = {"org": "法人及非法人组织", "individual_business": "个体工商户", "person": "自然人"}
XYPJ = "XYPJ"
SMALL_PUBLISH = 200  # fewer results than this are inserted row-wise, more through the bulk path
EVALUATION_LOCK_KEY = 0x7465_7661  # "teva": first half of the two-int advisory lock key


_MULTI_FIELDS: dict[int, tuple[Any, frozenset[str]]] = {}  # id(catalog) → (catalog, its multi-value keys)


def multi_value_fields(session: Session) -> frozenset[str]:
    """Keys of the catalog's multi-value enum fields (处罚类别 …): ``any_of`` tests them by containment.
    Computed once per catalog object (``active_catalog`` caches those by their documents)."""
    catalog = active_catalog(session)
    hit = _MULTI_FIELDS.get(id(catalog))
    if hit is not None and hit[0] is catalog:
        return hit[1]
    keys = frozenset(f.key for cat in catalog.categories() for f in cat.fields if f.multiple)
    if len(_MULTI_FIELDS) > 16:
        _MULTI_FIELDS.clear()
    _MULTI_FIELDS[id(catalog)] = (catalog, keys)
    return keys


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    model_code: str
    model_name: str
    model_version: str
    kind: str
    period: str
    as_of: dt.date
    window_start: dt.date
    window_end: dt.date
    subject_count: int
    grade_counts: dict[str, int]
    published: int = 0
    warnings: int = 0


def _summary(run: EvaluationRun, name: str, published: int = 0, warnings: int = 0) -> RunSummary:
    return RunSummary(
        run_id=run.id,
        model_code=run.model_code,
        model_name=name,
        model_version=run.model_version,
        kind=run.kind,
        period=run.period,
        as_of=run.as_of,
        window_start=run.window_start,
        window_end=run.window_end,
        subject_count=run.subject_count,
        grade_counts=dict(run.grade_counts),
        published=published,
        warnings=warnings,
    )


def list_models(session: Session, actor: Actor, settings: Settings) -> list[EvaluationModelDef]:
    actor.require_role(*READ_ROLES)
    return [m.model for m in available_models(session, settings.province).values()]


def get_model(session: Session, actor: Actor, settings: Settings, code: str, version: str | None = None) -> LoadedModel:
    actor.require_role(*READ_ROLES)
    return resolve_model(session, code, version, settings.province)


def register_model(session: Session, actor: Actor, text_: str, source: str) -> EvaluationModelDef:
    """A province adds or updates a model without code: the file is validated and stored whole."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    loaded = parse_model(text_, source)
    remember(session, loaded)
    audit.record(
        session,
        actor,
        "evaluation.model_register",
        "evaluation_model",
        loaded.model.code,
        {"version": loaded.model.version, "sha256": loaded.sha256},
    )
    return loaded.model


@dataclass(frozen=True)
class _RunRef:
    """What later runs need of a periodic run (read as plain columns: dynamic re-evaluation looks two up each time)."""

    id: int
    model_version: str
    period: str
    window_start: dt.date
    window_end: dt.date


def _latest_periodic(session: Session, model_code: str, *, before: str | None = None) -> _RunRef | None:
    Run = EvaluationRun
    stmt = select(Run.id, Run.model_version, Run.period, Run.window_start, Run.window_end).where(
        Run.model_code == model_code, Run.kind == "periodic"
    )
    if before is not None:
        stmt = stmt.where(Run.period < before)
    row = session.execute(stmt.order_by(Run.period.desc(), Run.id.desc()).limit(1)).first()
    return None if row is None else _RunRef(*row)


@functools.cache
def _latest_two_stmt() -> DriverStatement:
    """The latest periodic run of a model and the latest of an earlier period, in one statement (row tag 0 / 1).
    Core columns and a driver statement: every dynamic re-evaluation runs it first."""
    Run = engine.RUNS.c
    model = bindparam("model_code", type_=String())
    cols = (Run.id, Run.model_version, Run.period, Run.window_start, Run.window_end)
    periodic = (Run.model_code == model, Run.kind == "periodic")
    order = (Run.period.desc(), Run.id.desc())
    latest = select(literal(0).label("tag"), *cols).where(*periodic).order_by(*order).limit(1).subquery()
    top = select(func.max(Run.period)).where(*periodic).scalar_subquery()
    earlier = (
        select(literal(1).label("tag"), *cols).where(*periodic, Run.period < top).order_by(*order).limit(1).subquery()
    )
    return DriverStatement(union_all(select(latest), select(earlier)))


def _latest_periodic_pair(session: Session, model_code: str) -> tuple[_RunRef | None, _RunRef | None]:
    """(latest periodic run, latest periodic run of an earlier period): what a dynamic re-evaluation of an annual or
    rolling model starts from, read in one round trip."""
    found: dict[int, _RunRef] = {}
    for tag, *cols in _latest_two_stmt().run(session, {"model_code": model_code}):
        found[int(tag)] = _RunRef(*cols)
    return found.get(0), found.get(1)


def _validate_period(model: EvaluationModelDef, period: str) -> None:
    try:
        if model.period.kind == "annual":
            if not (len(period) == 4 and period.isdigit() and 1990 <= int(period) <= 2100):
                raise ValueError
        else:
            parse_period_date(period)
    except ValueError as exc:
        hint = "年度，如 2025" if model.period.kind == "annual" else "截止日期，如 2025-12-31，或年度"
        raise InvalidInput(f"评价周期「{period}」无效：应为{hint}", code="invalid_period") from exc


def run_evaluation(
    session: Session,
    actor: Actor,
    settings: Settings,
    model_code: str,
    period: str,
    *,
    version: str | None = None,
    region_code: str | None = None,
    publish: bool = False,
    today: dt.date | None = None,
) -> RunSummary:
    """Evaluate every subject of a model for a period (全量评价). Re-running a period uses the model version of
    its first run unless ``version`` is given, so the same records give the same grades."""
    actor.require_role(*RUN_ROLES)
    if region_code is not None and not (len(region_code) == 6 and region_code.isdigit()):
        raise InvalidInput("行政区划代码应为6位数字", code="invalid_region")
    if version is None:
        earlier = session.scalars(
            select(EvaluationRun)
            .where(
                EvaluationRun.model_code == model_code, EvaluationRun.period == period, EvaluationRun.kind == "periodic"
            )
            .order_by(EvaluationRun.id)
            .limit(1)
        ).first()
        if earlier is not None:
            version = earlier.model_version
    loaded = resolve_model(session, model_code, version, settings.province)
    model = loaded.model
    _validate_period(model, period)
    plan = engine.plan_periodic(model, period) if model.period.kind != "cycle" else _cycle_plan(period)
    if plan.window_end > (today or dt.date.today()) and model.period.kind == "annual":
        raise InvalidInput(f"评价周期「{period}」尚未结束", code="period_not_ended")
    plan = engine.Plan(
        period=plan.period,
        as_of=plan.as_of,
        window_start=plan.window_start,
        window_end=plan.window_end,
        region_code=region_code,
    )
    ensure_not_running(session)
    remember(session, loaded)
    later = session.scalar(
        select(func.count())
        .select_from(EvaluationRun)
        .where(EvaluationRun.model_code == model.code, EvaluationRun.kind == "periodic", EvaluationRun.period > period)
    )
    base = _latest_periodic(session, model.code, before=period)
    run = EvaluationRun(
        model_code=model.code,
        model_version=model.version,
        kind="periodic",
        period=period,
        window_start=plan.window_start,
        window_end=plan.window_end,
        as_of=plan.as_of,
        region_code=region_code,
        actor=actor.label,
        started_at=utcnow(),
        grade_counts={},
    )
    session.add(run)
    session.flush()
    engine.execute(
        session,
        model,
        run,
        plan,
        multi_fields=multi_value_fields(session),
        base_run_id=base.id if base is not None else None,
        make_current=not later,
    )
    from transport_credit.warnings.scan import warn_for_run

    raised = warn_for_run(session, actor, run.id, model)
    audit.record(
        session,
        actor,
        "evaluation.run",
        "evaluation_run",
        str(run.id),
        {
            "model": model.code,
            "version": model.version,
            "period": period,
            "region": region_code,
            "subjects": run.subject_count,
            "grades": run.grade_counts,
        },
    )
    published = publish_run(session, actor, settings, run.id) if publish else 0
    return _summary(run, model.name, published, raised)


def _cycle_plan(period: str) -> engine.Plan:
    as_of = parse_period_date(period)
    return engine.Plan(period=period, as_of=as_of, window_start=as_of, window_end=as_of)


def reevaluate_subjects(
    session: Session,
    actor: Actor,
    settings: Settings,
    subject_ids: Sequence[int],
    *,
    as_of: dt.date | None = None,
    reason: str = "记录变化",
    models: Sequence[str] | None = None,
) -> list[RunSummary]:
    """Dynamic evaluation (动态评价): re-evaluate these subjects under every dynamic model whose period was run.

    The window and model version are those of the model's latest periodic run (deductions stay those of the
    period); overrides look at ``as_of`` (today), so a serious penalty or a black-listing arriving today changes the
    grade today. Changed grades are published at once as a new revision of the XYPJ record.
    """
    actor.require_role(*RUN_ROLES)
    if not subject_ids:
        return []
    as_of = as_of or dt.date.today()
    out: list[RunSummary] = []
    multi = multi_value_fields(session)
    codes = models or list(available_models(session, settings.province))
    for code in codes:
        latest, earlier = _latest_periodic_pair(session, code)
        if latest is None:
            continue
        model = resolve_model(session, code, latest.model_version, settings.province).model
        if not model.dynamic:
            continue
        if model.period.kind == "cycle":
            plan = engine.Plan(
                period=as_of.isoformat(),
                as_of=as_of,
                window_start=as_of,
                window_end=as_of,
                subject_ids=list(subject_ids),
            )
            base = _latest_periodic(session, code, before=as_of.isoformat())
        else:
            plan = engine.Plan(
                period=latest.period,
                as_of=as_of,
                window_start=latest.window_start,
                window_end=latest.window_end,
                subject_ids=list(subject_ids),
            )
            base = earlier
        run = EvaluationRun(
            model_code=code,
            model_version=model.version,
            kind="dynamic",
            period=plan.period,
            window_start=plan.window_start,
            window_end=plan.window_end,
            as_of=as_of,
            actor=actor.label,
            started_at=utcnow(),
            grade_counts={},
            reason=reason,
        )
        session.add(run)
        session.flush()
        outcome = engine.execute(
            session,
            model,
            run,
            plan,
            multi_fields=multi,
            base_run_id=base.id if base is not None else None,
            make_current=True,
        )
        if run.subject_count == 0:
            session.delete(run)
            session.flush()
            continue
        from transport_credit.warnings.scan import warn_for_run

        # warnings need a grade change or an escalation, publication a grade change: most re-evaluations have neither
        raised = warn_for_run(session, actor, run.id, model) if outcome.changed or outcome.escalated else 0
        published, publish_item = (
            _publish(session, actor, settings, run.id, only_changed=True) if outcome.changed else (0, None)
        )
        dynamic_item = audit.AuditItem(
            actor,
            "evaluation.dynamic",
            "evaluation_run",
            str(run.id),
            {"model": code, "subjects": run.subject_count, "reason": reason, "published": published},
        )
        # the publication's entry and the run's, in that order, in one append
        audit.record_many(session, [*([publish_item] if publish_item else []), dynamic_item])
        out.append(_summary(run, model.name, published, raised))
    return out


def reevaluate_changed(
    session: Session, actor: Actor, settings: Settings, *, since: dt.datetime, as_of: dt.date | None = None
) -> list[RunSummary]:
    """The daily dynamic job: re-evaluate every subject with a record written since ``since``."""
    actor.require_role(*RUN_ROLES)
    ids = list(
        session.scalars(
            select(CreditRecord.subject_id)
            .where(CreditRecord.created_at >= since, CreditRecord.category != XYPJ)
            .distinct()
        )
    )
    return reevaluate_subjects(
        session, actor, settings, ids, as_of=as_of, reason=f"{since:%Y-%m-%d %H:%M} 以来记录变化"
    )


# ---------------------------------------------------------------------------------------------------------------
# Publishing results as XYPJ credit records


@functools.cache
def _province(name: str) -> ProvinceConfig:
    return load_province(name)


def _authority(settings: Settings, actor: Actor, model: EvaluationModelDef) -> DepartmentConfig:
    province = _province(settings.province)
    by_code = {d.code: d for d in province.departments}
    if actor.department_code and actor.department_code in by_code:
        return by_code[actor.department_code]
    wanted = {"公路建设": "highway", "道路运输": "transport", "水路运输": "waterway"}.get(model.domain)
    for d in province.departments:
        if d.kind == wanted and d.level == "province":
            return d
    for d in province.departments:
        if d.level == "province" and d.kind == "office":
            return d
    return province.departments[0]


def result_no(model_code: str, period: str, subject_id: int) -> str:
    return f"{model_code}-{period}-{subject_id}"


def publish_run(session: Session, actor: Actor, settings: Settings, run_id: int, *, only_changed: bool = False) -> int:
    """Write the run's results as 信用评价结果 (XYPJ) credit records, in bulk: one record per subject, model and
    period; a later result for the same period is a new revision. Returns the number of revisions written."""
    actor.require_role(*RUN_ROLES)
    written, item = _publish(session, actor, settings, run_id, only_changed=only_changed)
    if item is not None:
        audit.record_many(session, [item])
    if written >= SMALL_PUBLISH:
        # A bulk publication builds (and has already dropped) a container per record: hundreds of thousands of
        # objects promoted to the collector's oldest generation. Collect once now, at the end of a long job, and
        # not in whichever later request of this process trips the next full collection (measured: a 100 ms
        # pause in a dynamic re-evaluation right after a 1,000,000-subject publication).
        gc.collect()
    return written


def _publish(
    session: Session, actor: Actor, settings: Settings, run_id: int, *, only_changed: bool
) -> tuple[int, audit.AuditItem | None]:
    """``publish_run`` without its audit entry, which is returned for the caller to append (a dynamic
    re-evaluation appends it together with its own)."""
    run = session.get(EvaluationRun, run_id)
    if run is None:
        raise NotFound("评价批次不存在", code="evaluation_run_not_found")
    Rs = EvaluationResult
    stmt = (
        select(
            Rs.id,
            Rs.subject_id,
            Rs.score,
            Rs.grade,
            Rs.previous_grade,
            Rs.valid_until,
            Subject.name,
            Subject.kind,
            Subject.uscc,
            Subject.id_masked,
        )
        .join(Subject, Subject.id == Rs.subject_id)
        .where(Rs.run_id == run_id)
    )
    if only_changed:
        stmt = stmt.where((Rs.previous_grade.is_(None)) | (Rs.previous_grade != Rs.grade))
    rows = session.execute(stmt).all()
    if not rows:
        return 0, None
    model = resolve_model(session, run.model_code, run.model_version, settings.province).model
    dept = _authority(settings, actor, model)
    cat = active_catalog(session).category(XYPJ)
    decision = run.as_of if run.kind == "dynamic" else min(dt.date.today(), add_months(run.window_end, 1))
    base = {
        "evaluation_year": int(run.period[:4]),
        "evaluation_period": _period_label(run),
        "evaluation_model": f"{model.name}（{model.version}）",
        "decision_date": decision.isoformat(),
        "evaluation_authority": dept.name,
        "evaluation_authority_uscc": dept.uscc,
        "source_unit": dept.name,
        "source_unit_uscc": dept.uscc,
        "domain": model.domain,
    }
    keys = pii_keys(settings.pii_key.get_secret_value())
    mac = keys.mac_key[:64]
    keys_of_rows = [result_no(model.code, run.period, r.subject_id) for r in rows]
    small = len(rows) < SMALL_PUBLISH
    current = (CreditRecord.category == XYPJ, CreditRecord.is_current.is_(True))
    if small:
        # a dynamic change: the current revisions of these keys are superseded and read back in one statement
        existing = dict(
            session.execute(
                update(CreditRecord)
                .where(*current, values_in(session, CreditRecord.natural_key, keys_of_rows))
                .values(is_current=False, status="superseded")
                .returning(CreditRecord.natural_key, CreditRecord.revision)
                .execution_options(synchronize_session=False)
            ).all()
        )
    else:
        prefix = CreditRecord.natural_key.startswith(f"{model.code}-{run.period}-")
        existing = dict(
            session.execute(select(CreditRecord.natural_key, CreditRecord.revision).where(*current, prefix)).all()
        )
    superseded = [nk for nk in keys_of_rows if nk in existing]
    fields = {f.key for f in cat.fields if f.key not in set(cat.subject.aliases.values())}
    batch = service_batch(session, actor, category=XYPJ, department_code=dept.code, note=f"evaluation run {run_id}")
    batch.total += len(rows)  # set at once: flushed with the batch's own update, not as another statement
    batch.accepted += len(rows) - len(superseded)
    batch.revised += len(superseded)
    now = utcnow()
    out: list[dict[str, Any]] = []
    for r in rows:
        data: dict[str, Any] = dict(base)
        data.update(
            {
                "subject_name": r.name,
                "subject_kind": KIND_LABELS.get(r.kind, r.kind),
                "result_no": result_no(model.code, run.period, r.subject_id),
                "score": r.score,
                "grade": r.grade,
                "valid_until": r.valid_until.isoformat(),
            }
        )
        if r.uscc:
            data["uscc"] = r.uscc
        elif r.id_masked:
            data["id_type"] = "身份证"
            data["id_number"] = r.id_masked
        data = {k: v for k, v in data.items() if v not in (None, "")}
        payload = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        nk = data["result_no"]
        out.append(
            {
                "category": XYPJ,
                "natural_key": nk,
                "revision": existing.get(nk, 0) + 1,
                "is_current": True,
                "status": "active",
                "subject_id": r.subject_id,
                "batch_id": batch.id,
                "department_code": dept.code,
                "decision_date": decision,
                "reported_at": now,
                "deadline_estimated": False,
                "publicity_start": decision,
                "publicity_end": r.valid_until,
                "quality_score": sum(1 for k in fields if k in data) / len(fields),
                "content_hash": hashlib.blake2b(payload + b"active", key=mac, digest_size=16).hexdigest(),
                "data": payload.decode(),
                "created_at": now,
            }
        )
    if small:
        # a plain multi-row INSERT … RETURNING beats building a frame, and gives the new ids
        inserted = session.execute(
            insert(CreditRecord).returning(CreditRecord.id, sort_by_parameter_order=True),
            [o | {"data": orjson.loads(o["data"])} for o in out],
        ).scalars()
        for o, new_id in zip(out, inserted, strict=True):
            o["id"] = new_id
    else:
        if superseded:
            session.execute(
                update(CreditRecord)
                .where(*current, values_in(session, CreditRecord.natural_key, superseded))
                .values(is_current=False, status="superseded")
                .execution_options(synchronize_session=False)
            )
        for o, new_id in zip(out, _allocate_record_ids(session, len(out)), strict=True):
            o["id"] = new_id
        frame = pl.DataFrame(out).with_columns(
            pl.col("reported_at").dt.replace_time_zone(None).dt.to_string("%Y-%m-%d %H:%M:%S.%f"),
            pl.col("created_at").dt.replace_time_zone(None).dt.to_string("%Y-%m-%d %H:%M:%S.%f"),
            pl.col("decision_date").dt.to_string("%Y-%m-%d"),
            pl.col("publicity_start").dt.to_string("%Y-%m-%d"),
            pl.col("publicity_end").dt.to_string("%Y-%m-%d"),
        )
        if session.get_bind().dialect.name == "sqlite":
            frame = frame.with_columns(pl.col("is_current").cast(pl.Int8), pl.col("deadline_estimated").cast(pl.Int8))
        bulk_insert_frame(session, engine.RECORDS, frame)
        if session.get_bind().dialect.name == "postgresql":
            # A periodic run publishes a whole population of XYPJ records at once, far below autovacuum's 10%
            # threshold on a large table: without fresh statistics the planner keeps believing XYPJ is rare and
            # reads every XYPJ row for the key lookups of the dynamic re-evaluations that follow (30–60 ms each at
            # 100,000 results instead of well under a millisecond).
            session.execute(text("ANALYZE credit_records"))
    _link_records(session, [(r.id, o["id"]) for r, o in zip(rows, out, strict=True)])
    item = audit.AuditItem(
        actor,
        "evaluation.publish",
        "evaluation_run",
        str(run_id),
        {"records": len(out), "revised": len(superseded), "batch_id": batch.id},
    )
    return len(out), item


def _allocate_record_ids(session: Session, n: int) -> list[int]:
    """Ids for ``n`` new credit records, taken before the insert so results can point at their records without a
    join over ``credit_records`` (PostgreSQL: from the table's sequence; SQLite: the transaction holds the write
    lock, so max(id) + 1 … is ours). On PostgreSQL the record-id lock is held first (``records/ids.py``): the ids
    are drawn before the insert whose trigger would take it."""
    if session.get_bind().dialect.name == "postgresql":
        hold_record_ids(session)
        return [
            int(i)
            for i in session.scalars(
                text("SELECT nextval(pg_get_serial_sequence('credit_records', 'id')) FROM generate_series(1, :n)"),
                {"n": n},
            )
        ]
    start = int(session.scalar(select(func.coalesce(func.max(CreditRecord.id), 0))) or 0) + 1
    return list(range(start, start + n))


_LINKS = Table(
    "tmp_evaluation_links",
    MetaData(),
    Column("result_id", Integer, primary_key=True),
    Column("record_id", Integer),
    prefixes=["TEMPORARY"],
)


def _link_records(session: Session, pairs: list[tuple[int, int]]) -> None:
    """Store each result's XYPJ record id: row-wise for a few, through a temporary table for a bulk publication."""
    if len(pairs) < SMALL_PUBLISH:
        session.connection().execute(
            update(engine.E).where(engine.E.c.id == bindparam("rid")).values(record_id=bindparam("rec")),
            [{"rid": a, "rec": b} for a, b in pairs],
        )
        return
    conn = session.connection()
    if session.get_bind().dialect.name == "postgresql":
        conn.execute(
            text(
                "CREATE TEMPORARY TABLE tmp_evaluation_links (result_id INTEGER PRIMARY KEY, "
                "record_id INTEGER) ON COMMIT DROP"
            )
        )
    else:
        conn.execute(text("DROP TABLE IF EXISTS temp.tmp_evaluation_links"))
        conn.execute(
            text("CREATE TEMPORARY TABLE tmp_evaluation_links (result_id INTEGER PRIMARY KEY, record_id INTEGER)")
        )
    bulk_insert(session, _LINKS, ["result_id", "record_id"], pairs)
    links = _LINKS.alias("l")
    session.execute(
        update(EvaluationResult)
        .where(EvaluationResult.id == links.c.result_id)
        .values(record_id=links.c.record_id)
        .execution_options(synchronize_session=False)
    )
    if session.get_bind().dialect.name == "sqlite":
        conn.execute(text("DROP TABLE temp.tmp_evaluation_links"))


def _period_label(run: EvaluationRun) -> str:
    if len(run.period) == 4:
        return f"{run.period}年度"
    return f"{run.window_start:%Y-%m-%d}至{run.window_end:%Y-%m-%d}"


# ---------------------------------------------------------------------------------------------------------------
# Reading: explanation, distribution, runs


@dataclass(frozen=True)
class HitView:
    rule_code: str
    rule_name: str
    rule_kind: str
    match_count: int
    points: float
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class Explanation:
    result_id: int
    run_id: int
    model_code: str
    model_name: str
    model_version: str
    period: str
    run_kind: str
    subject_id: int
    subject_name: str
    base_score: float
    score: float
    deducted: float
    bonus: float
    score_grade: str
    grade: str
    grade_label: str
    previous_grade: str | None
    adjustment: str | None
    adjustment_text: str | None
    valid_until: dt.date
    computed_at: dt.datetime
    reason: str | None
    hits: list[HitView] = field(default_factory=list)


def subject_hits(session: Session, run_id: int, subject_id: int) -> list[RuleHit]:
    """The rules and overrides that applied to a subject in a run, with their counts, points and records (ids in
    ascending order), decoded from the run's ``evaluation_hits`` rows. A helper without a permission check: its
    callers (``explain``) check the actor."""
    out: list[RuleHit] = []
    docs = session.scalars(
        select(EvaluationHits.hits).where(EvaluationHits.run_id == run_id, EvaluationHits.subject_id == subject_id)
    )
    for doc in docs:
        for code, (kind, count, points, ids) in orjson.loads(doc).items():
            record_ids = tuple(sorted(int(i) for i in str(ids or "").split(",") if i))
            out.append(RuleHit(code, kind, int(count), float(points), record_ids))
    return out


def explain(
    session: Session,
    actor: Actor,
    settings: Settings,
    subject_id: int,
    *,
    model_code: str | None = None,
    result_id: int | None = None,
) -> list[Explanation]:
    """The subject's current results (or one result) with every rule's points and the records behind them."""
    actor.require_role(*READ_ROLES)
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("信用主体不存在", code="subject_not_found")
    stmt = select(EvaluationResult, EvaluationRun).join(EvaluationRun, EvaluationRun.id == EvaluationResult.run_id)
    stmt = stmt.where(EvaluationResult.subject_id == subject_id)
    if result_id is not None:
        stmt = stmt.where(EvaluationResult.id == result_id)
    else:
        stmt = stmt.where(EvaluationResult.is_current.is_(True))
    if model_code is not None:
        stmt = stmt.where(EvaluationResult.model_code == model_code)
    out: list[Explanation] = []
    for res, run in session.execute(stmt.order_by(EvaluationResult.model_code)).all():
        model = resolve_model(session, res.model_code, res.model_version, settings.province).model
        names = {r.code: r.name for r in model.rules} | {o.code: o.name for o in model.overrides}
        hits = subject_hits(session, res.run_id, subject_id)
        ids = sorted({i for h in hits for i in h.record_ids})
        recs = (
            {r.id: r for r in session.scalars(select(CreditRecord).where(CreditRecord.id.in_(ids))).all()}
            if ids
            else {}
        )
        order = {r.code: i for i, r in enumerate(model.rules)} | {
            o.code: 1000 + i for i, o in enumerate(model.overrides)
        }
        views = [
            HitView(
                rule_code=h.rule_code,
                rule_name=names.get(h.rule_code, h.rule_code),
                rule_kind=h.rule_kind,
                match_count=h.match_count,
                points=h.points,
                records=[_record_brief(recs[i]) for i in h.record_ids if i in recs],
            )
            for h in sorted(hits, key=lambda h: order.get(h.rule_code, 9999))
        ]
        base_level = model.level(res.previous_grade) if res.previous_grade in model.grades else None
        out.append(
            Explanation(
                result_id=res.id,
                run_id=res.run_id,
                model_code=res.model_code,
                model_name=model.name,
                model_version=res.model_version,
                period=res.period,
                run_kind=run.kind,
                subject_id=subject_id,
                subject_name=subject.name,
                base_score=model.base_score,
                score=res.score,
                deducted=res.deducted,
                bonus=res.bonus,
                score_grade=res.score_grade,
                grade=res.grade,
                grade_label=model.label(res.grade),
                previous_grade=res.previous_grade,
                adjustment=res.adjustment,
                adjustment_text=explain_adjustment(model, res.adjustment, base_level),
                valid_until=res.valid_until,
                computed_at=res.computed_at,
                reason=run.reason,
                hits=views,
            )
        )
    return out


def _record_brief(r: CreditRecord) -> dict[str, Any]:
    d = r.data or {}
    title = d.get("decision_no") or d.get("list_name") or d.get("commitment_no") or d.get("result_no") or r.natural_key
    what = d.get("violation_type") or d.get("reason") or d.get("commitment_matter") or d.get("penalty_type") or ""
    return {
        "id": r.id,
        "category": r.category,
        "natural_key": r.natural_key,
        "title": str(title),
        "summary": str(what)[:200],
        "decision_date": r.decision_date.isoformat() if r.decision_date else None,
        "severity": r.severity,
        "penalty_type": d.get("penalty_type"),
        "fine_amount": d.get("fine_amount"),
    }


def grade_distribution(
    session: Session, actor: Actor, model_code: str, *, region_code: str | None = None
) -> dict[str, Any]:
    """Current grades of a model by city (first four digits of the region code) and grade."""
    actor.require_role(*READ_ROLES)
    Rs = EvaluationResult
    city = func.substr(Rs.region_code, 1, 4)
    stmt = (
        select(city.label("city"), Rs.grade, func.count())
        .where(Rs.model_code == model_code, Rs.is_current.is_(True))
        .group_by(city, Rs.grade)
    )
    if region_code:
        stmt = stmt.where(Rs.region_code.startswith(engine.region_prefix(region_code)))
    by_city: dict[str, Counter[str]] = defaultdict(Counter)
    total: Counter[str] = Counter()
    for c, grade, n in session.execute(stmt).all():
        key = (c or "") + "00" if c else "未知"
        by_city[key][grade] += int(n)
        total[grade] += int(n)
    return {
        "model_code": model_code,
        "total": dict(total),
        "by_region": {k: dict(v) for k, v in sorted(by_city.items())},
    }


def list_runs(session: Session, actor: Actor, *, model_code: str | None = None, limit: int = 50) -> list[EvaluationRun]:
    actor.require_role(*READ_ROLES)
    if not 1 <= limit <= 500:
        raise InvalidInput("每页条数应在 1 到 500 之间", code="invalid_limit")
    stmt = select(EvaluationRun).order_by(EvaluationRun.id.desc()).limit(limit)
    if model_code:
        stmt = stmt.where(EvaluationRun.model_code == model_code)
    return list(session.scalars(stmt))


def run_results(
    session: Session, actor: Actor, run_id: int, *, grade: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[EvaluationRun, list[tuple[EvaluationResult, str]], int]:
    actor.require_role(*READ_ROLES)
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInput("分页参数无效", code="invalid_limit")
    run = session.get(EvaluationRun, run_id)
    if run is None:
        raise NotFound("评价批次不存在", code="evaluation_run_not_found")
    conds = [EvaluationResult.run_id == run_id]
    if grade:
        conds.append(EvaluationResult.grade == grade)
    total = session.scalar(select(func.count()).select_from(EvaluationResult).where(*conds)) or 0
    rows = session.execute(
        select(EvaluationResult, Subject.name)
        .join(Subject, Subject.id == EvaluationResult.subject_id)
        .where(*conds)
        .order_by(EvaluationResult.score, EvaluationResult.subject_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return run, [(r, n) for r, n in rows], int(total)


# ---------------------------------------------------------------------------------------------------------------
# National composite (公路施工: D in one province → national C, in two → D)

PROVINCIAL_HEADERS = {
    "uscc": ("统一社会信用代码", "uscc"),
    "name": ("企业名称", "name", "单位名称"),
    "grade": ("信用等级", "评价等级", "grade"),
    "score": ("评价得分", "得分", "score"),
}


def import_provincial_grades(
    session: Session,
    actor: Actor,
    *,
    model_code: str,
    period: str,
    province_code: str,
    content: bytes,
    file_name: str,
) -> int:
    """Import another province's published grades (CSV: 统一社会信用代码, 企业名称, 信用等级[, 评价得分])."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    if not (len(province_code) == 6 and province_code.endswith("0000") and province_code.isdigit()):
        raise InvalidInput("省份代码应为6位，如 320000", code="invalid_province_code")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text_ = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput("无法识别文件编码", code="invalid_encoding")
    reader = csv.DictReader(io.StringIO(text_))
    cols: dict[str, str] = {}
    for key, names in PROVINCIAL_HEADERS.items():
        for h in reader.fieldnames or []:
            if h.strip() in names:
                cols[key] = h
    missing = [PROVINCIAL_HEADERS[k][0] for k in ("uscc", "name", "grade") if k not in cols]
    if missing:
        raise InvalidInput(f"文件缺少列：{'、'.join(missing)}", code="missing_columns")
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for n, raw in enumerate(reader, start=2):
        checked = check_uscc(raw.get(cols["uscc"]) or "")
        uscc = checked.normalized
        grade = (raw.get(cols["grade"]) or "").strip().upper()
        if checked.status not in ("valid", "checksum_mismatch"):
            errors.append(f"第{n}行统一社会信用代码无效")
            continue
        if grade not in ("AA", "A", "B", "C", "D"):
            errors.append(f"第{n}行信用等级「{grade}」无效")
            continue
        if uscc in seen:
            errors.append(f"第{n}行重复")
            continue
        seen.add(uscc)
        score_raw = (raw.get(cols["score"]) or "").strip() if "score" in cols else ""
        try:
            score = float(score_raw) if score_raw else None
        except ValueError:
            errors.append(f"第{n}行得分「{score_raw}」无效")
            continue
        rows.append(
            {
                "model_code": model_code,
                "period": period,
                "province_code": province_code,
                "uscc": uscc,
                "subject_name": (raw.get(cols["name"]) or "").strip()[:200],
                "grade": grade,
                "score": score,
                "source_file": file_name[:300],
            }
        )
    if errors:
        raise InvalidInput(
            "文件有错误，未导入：" + "；".join(errors[:10]) + ("……" if len(errors) > 10 else ""),
            code="provincial_file_invalid",
            details={"errors": errors[:100]},
        )
    if not rows:
        raise InvalidInput("文件没有数据行", code="empty_file")
    session.execute(
        delete(ProvincialGrade).where(
            ProvincialGrade.model_code == model_code,
            ProvincialGrade.period == period,
            ProvincialGrade.province_code == province_code,
        )
    )
    session.execute(insert(ProvincialGrade), rows)
    audit.record(
        session,
        actor,
        "evaluation.provincial_import",
        "evaluation_provincial_grades",
        f"{model_code}:{period}:{province_code}",
        {"rows": len(rows), "file": file_name[:200]},
    )
    return len(rows)


@dataclass(frozen=True)
class CompositeRow:
    uscc: str
    name: str
    provincial: dict[str, str]
    d_count: int
    national_grade: str | None


def composite(
    session: Session, actor: Actor, settings: Settings, *, model_code: str, period: str
) -> list[CompositeRow]:
    """Combine this province's current results with imported provincial grades, firm by firm (by USCC)."""
    actor.require_role(*READ_ROLES)
    model = resolve_model(session, model_code, None, settings.province).model
    own_code = _province(settings.province).code
    grades: dict[str, dict[str, str]] = defaultdict(dict)
    names: dict[str, str] = {}
    own = session.execute(
        select(Subject.uscc, Subject.name, EvaluationResult.grade)
        .join(Subject, Subject.id == EvaluationResult.subject_id)
        .where(
            EvaluationResult.model_code == model_code,
            EvaluationResult.period == period,
            EvaluationResult.is_current.is_(True),
            Subject.uscc.isnot(None),
        )
    ).all()
    for uscc, name, grade in own:
        if uscc is None:
            continue
        grades[uscc][own_code] = grade
        names[uscc] = name
    for g in session.scalars(
        select(ProvincialGrade).where(ProvincialGrade.model_code == model_code, ProvincialGrade.period == period)
    ):
        grades[g.uscc][g.province_code] = g.grade
        names.setdefault(g.uscc, g.subject_name)
    out = []
    for uscc in sorted(grades):
        per = grades[uscc]
        values = list(per.values())
        out.append(
            CompositeRow(
                uscc=uscc,
                name=names.get(uscc, ""),
                provincial=dict(sorted(per.items())),
                d_count=sum(1 for v in values if v == model.lowest),
                national_grade=national_composite(values, lowest=model.lowest, demoted=model.grades[-2]),
            )
        )
    return out


def ensure_not_running(session: Session) -> None:
    """PostgreSQL: one evaluation at a time per database (an advisory lock held to the end of the transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        # keyed by schema too: several platforms (or test workers) may share one PostgreSQL database
        got = session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key, hashtext(current_schema()))"),
            {"key": EVALUATION_LOCK_KEY},
        )
        if not got:
            raise Conflict("另一个评价任务正在运行，请稍后再试", code="evaluation_running")
