"""Tiered supervision use cases: inspector pool, 双随机 tasks (draw, verify), inspection results, publication and
the share of inspections linked to credit grades (信用关联度)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy.orm import Session

from transport_credit.audit import events as audit
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound
from transport_credit.db.base import utcnow
from transport_credit.evaluation import engine
from transport_credit.evaluation.loader import LoadedPolicy, policies, policy_for_domain, resolve_model
from transport_credit.evaluation.models import EvaluationResult
from transport_credit.evaluation.service import multi_value_fields
from transport_credit.identifiers.citizen_id import mask_name
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.supervision.draw import UNGRADED, DrawError, DrawInputs, draw
from transport_credit.supervision.models import InspectionItem, InspectionTask, Inspector

WRITE_ROLES = (ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER)
READ_ROLES = (ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER)
InspectionResult = Literal["未发现问题", "发现问题已责令整改", "发现问题已立案查处", "未找到检查对象"]
RESULTS: tuple[InspectionResult, ...] = get_args(InspectionResult)
MAX_TASK_SIZE = 10_000


# ---------------------------------------------------------------------------------------------------------------
# Inspectors


def add_inspector(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    department_code: str,
    region_code: str,
    domains: list[str],
    conflict_usccs: list[str] | None = None,
) -> Inspector:
    actor.require_role(*WRITE_ROLES)
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput("执法证号和姓名不能为空", code="inspector_incomplete")
    if not (len(region_code) == 6 and region_code.isdigit()):
        raise InvalidInput("行政区划代码应为6位数字", code="invalid_region")
    if session.scalar(select(Inspector.id).where(Inspector.code == code)) is not None:
        raise Conflict(f"执法证号「{code}」已在名录库中", code="inspector_exists")
    inspector = Inspector(
        code=code,
        name=name,
        department_code=department_code,
        region_code=region_code,
        domains=sorted({d.strip() for d in domains if d.strip()}),
        conflict_usccs=sorted({u.strip().upper() for u in conflict_usccs or [] if u.strip()}),
        active=True,
    )
    session.add(inspector)
    session.flush()
    audit.record(session, actor, "supervision.inspector_add", "inspector", str(inspector.id), {"code": code})
    return inspector


def import_inspectors(session: Session, actor: Actor, content: bytes) -> int:
    """CSV: 执法证号, 姓名, 所属单位, 行政区划代码, 检查领域 (、-separated)[, 回避单位统一社会信用代码]."""
    actor.require_role(*WRITE_ROLES)
    text = None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise InvalidInput("无法识别文件编码", code="invalid_encoding")
    reader = csv.DictReader(io.StringIO(text))
    need = ["执法证号", "姓名", "所属单位", "行政区划代码", "检查领域"]
    missing = [h for h in need if h not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"文件缺少列：{'、'.join(missing)}", code="missing_columns")
    n = 0
    for line, row in enumerate(reader, start=2):
        try:
            add_inspector(
                session,
                actor,
                code=row["执法证号"] or "",
                name=row["姓名"] or "",
                department_code=(row["所属单位"] or "").strip(),
                region_code=(row["行政区划代码"] or "").strip(),
                domains=(row["检查领域"] or "").replace(",", "、").split("、"),
                conflict_usccs=(row.get("回避单位统一社会信用代码") or "").replace(",", "、").split("、"),
            )
        except (InvalidInput, Conflict) as exc:
            raise InvalidInput(f"第{line}行：{exc.message}", code=exc.code) from exc
        n += 1
    return n


def list_inspectors(session: Session, actor: Actor, *, region_code: str | None = None) -> list[Inspector]:
    actor.require_role(*READ_ROLES)
    stmt = select(Inspector).order_by(Inspector.code)
    if region_code:
        stmt = stmt.where(Inspector.region_code.startswith(engine.region_prefix(region_code)))
    return list(session.scalars(stmt))


# ---------------------------------------------------------------------------------------------------------------
# Tasks and draws


def _population(
    session: Session, settings: Settings, policy: LoadedPolicy, region_code: str
) -> list[tuple[int, str, str | None]]:
    """(subject id, current grade or 未评价, USCC) of the policy's model population in the region."""
    model = resolve_model(session, policy.policy.model, None, settings.province).model
    multi = multi_value_fields(session)
    R, S = engine.R, engine.S
    has_record = exists(
        select(literal(1)).where(
            R.subject_id == S.id,
            R.category.in_(model.population.match.categories),
            R.is_current.is_(True),
            engine.match_sql(model.population.match, multi, with_category=False),
        )
    )
    cur = EvaluationResult.__table__.alias("cur")
    rows = session.execute(
        select(S.id, cur.c.grade, S.uscc)
        .select_from(
            engine.SUBJECTS.outerjoin(
                cur,
                and_(cur.c.subject_id == S.id, cur.c.model_code == model.code, cur.c.is_current.is_(True)),
            )
        )
        .where(
            S.kind.in_(model.population.subject_kinds),
            S.region_code.startswith(engine.region_prefix(region_code)),
            has_record,
        )
        .order_by(S.id)
    ).all()
    return [(int(i), g or UNGRADED, u) for i, g, u in rows]


@dataclass(frozen=True)
class TaskView:
    task: InspectionTask
    items: list[dict[str, Any]]


def create_task(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    name: str,
    domain: str,
    region_code: str,
    size: int,
    task_date: dt.date,
    seed: str | None = None,
) -> InspectionTask:
    """Create a 双随机 task and draw: subjects stratified by grade with the policy's ratios, inspectors from the
    pool without conflicts. The seed and every input are stored with the task and in the audit log."""
    actor.require_role(*WRITE_ROLES)
    if not name.strip():
        raise InvalidInput("请填写任务名称", code="task_name_required")
    if not 1 <= size <= MAX_TASK_SIZE:
        raise InvalidInput(f"抽查数量应在 1 到 {MAX_TASK_SIZE} 之间", code="invalid_size")
    if not (len(region_code) == 6 and region_code.isdigit()):
        raise InvalidInput("行政区划代码应为6位数字", code="invalid_region")
    loaded = policy_for_domain(domain)
    policy = loaded.policy
    population = _population(session, settings, loaded, region_code)
    if not population:
        raise InvalidInput(f"{region_code} 没有「{domain}」领域的检查对象", code="empty_population")
    prefix = engine.region_prefix(region_code)
    pool = [
        i
        for i in session.scalars(select(Inspector).where(Inspector.active.is_(True)).order_by(Inspector.id))
        if (not i.domains or domain in i.domains)
        and (i.region_code.startswith(prefix) or prefix.startswith(engine.region_prefix(i.region_code)))
    ]
    if not pool:
        raise InvalidInput("执法检查人员名录库中没有该地区、该领域的人员", code="no_inspectors")
    since = task_date - dt.timedelta(days=policy.inspector_cooldown_days)
    recent = session.execute(
        select(InspectionItem.subject_id, InspectionItem.inspector_ids)
        .join(InspectionTask, InspectionTask.id == InspectionItem.task_id)
        .where(InspectionTask.task_date >= since, InspectionTask.task_date <= task_date)
    ).all()
    pool_ids = {i.id for i in pool}
    subject_ids = {sid for sid, _, _ in population}
    conflicts: set[tuple[int, int]] = set()
    for sid, inspector_ids in recent:
        if sid in subject_ids:
            conflicts.update((int(i), int(sid)) for i in inspector_ids if int(i) in pool_ids)
    by_uscc: dict[str, list[int]] = {}
    for sid, _, uscc in population:
        if uscc:
            by_uscc.setdefault(uscc, []).append(sid)
    for i in pool:
        for u in i.conflict_usccs:
            conflicts.update((i.id, sid) for sid in by_uscc.get(u, []))
    model = resolve_model(session, policy.model, None, settings.province).model
    ratios = {g.grade: g.ratio for g in policy.grades} | {UNGRADED: policy.ungraded_ratio}
    inputs = DrawInputs(
        size=size,
        inspectors_per_subject=policy.inspectors_per_subject,
        grades=[*model.grades, UNGRADED],
        ratios=ratios,
        population=[(sid, g) for sid, g, _ in population],
        inspectors=sorted(pool_ids),
        conflicts=sorted(conflicts),
    )
    seed = seed or secrets.token_hex(16)
    try:
        alloc, items = draw(inputs, seed)
    except DrawError as exc:
        raise InvalidInput(str(exc), code="draw_impossible") from exc
    counts = Counter(g for _, g in inputs.population)
    strata = {
        g: {"population": counts.get(g, 0), "drawn": alloc.get(g, 0), "ratio": ratios.get(g, 0.0)}
        for g in inputs.grades
    }
    task = InspectionTask(
        name=name.strip()[:200],
        domain=domain,
        region_code=region_code,
        size=size,
        task_date=task_date,
        model_code=model.code,
        policy_code=policy.code,
        policy_version=policy.version,
        seed=seed,
        inputs=inputs.canonical(),
        inputs_sha256=inputs.sha256(),
        strata=strata,
        status="drawn",
        department_code=actor.department_code,
        created_by=actor.label,
    )
    session.add(task)
    session.flush()
    session.add_all(
        InspectionItem(
            task_id=task.id,
            position=it.position,
            subject_id=it.subject_id,
            grade=it.stratum,
            inspector_ids=list(it.inspector_ids),
        )
        for it in items
    )
    session.flush()
    audit.record(
        session,
        actor,
        "supervision.draw",
        "inspection_task",
        str(task.id),
        {
            "seed": seed,
            "inputs_sha256": task.inputs_sha256,
            "policy": f"{policy.code}@{policy.version}",
            "domain": domain,
            "region": region_code,
            "size": size,
            "drawn": len(items),
            "strata": {g: v["drawn"] for g, v in strata.items()},
        },
    )
    return task


def verify_draw(session: Session, actor: Actor, task_id: int) -> dict[str, Any]:
    """Re-run the draw from the stored seed and inputs and compare with the stored items."""
    actor.require_role(*READ_ROLES)
    task = _task(session, task_id)
    inputs = DrawInputs.from_canonical(task.inputs)
    _, items = draw(inputs, task.seed)
    stored = [
        (i.position, i.subject_id, i.grade, tuple(sorted(int(x) for x in i.inspector_ids)))
        for i in session.scalars(
            select(InspectionItem).where(InspectionItem.task_id == task_id).order_by(InspectionItem.position)
        )
    ]
    redrawn = [(i.position, i.subject_id, i.stratum, i.inspector_ids) for i in items]
    return {
        "task_id": task_id,
        "seed": task.seed,
        "inputs_sha256": inputs.sha256(),
        "inputs_intact": inputs.sha256() == task.inputs_sha256,
        "same": stored == redrawn,
        "items": len(stored),
    }


def _task(session: Session, task_id: int) -> InspectionTask:
    task = session.get(InspectionTask, task_id)
    if task is None:
        raise NotFound("抽查任务不存在", code="task_not_found")
    return task


def task_detail(session: Session, actor: Actor, task_id: int) -> TaskView:
    actor.require_role(*READ_ROLES)
    task = _task(session, task_id)
    rows = session.execute(
        select(InspectionItem, Subject.name, Subject.kind, Subject.uscc, Subject.region_code)
        .join(Subject, Subject.id == InspectionItem.subject_id)
        .where(InspectionItem.task_id == task_id)
        .order_by(InspectionItem.position)
    ).all()
    names = dict(session.execute(select(Inspector.id, Inspector.name)).all())
    items = [
        {
            "id": it.id,
            "position": it.position,
            "subject_id": it.subject_id,
            "subject_name": name,
            "uscc": uscc,
            "region_code": region,
            "grade": it.grade,
            "inspectors": [names.get(int(i), str(i)) for i in it.inspector_ids],
            "result": it.result,
            "result_note": it.result_note,
            "inspected_on": it.inspected_on,
        }
        for it, name, _kind, uscc, region in rows
    ]
    return TaskView(task, items)


def list_tasks(session: Session, actor: Actor, *, limit: int = 50) -> list[InspectionTask]:
    actor.require_role(*READ_ROLES)
    return list(session.scalars(select(InspectionTask).order_by(InspectionTask.id.desc()).limit(min(limit, 500))))


def record_result(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    result: str,
    note: str = "",
    inspected_on: dt.date,
) -> InspectionItem:
    actor.require_role(*WRITE_ROLES)
    if result not in RESULTS:
        raise InvalidInput(f"检查结果应为：{'、'.join(RESULTS)}", code="invalid_result")
    item = session.get(InspectionItem, item_id)
    if item is None:
        raise NotFound("检查对象不存在", code="item_not_found")
    task = _task(session, item.task_id)
    if task.status == "published":
        raise Conflict("抽查结果已公开，不能再修改", code="task_published")
    if inspected_on < task.task_date:
        raise InvalidInput("检查日期不能早于任务日期", code="invalid_date")
    item.result = result
    item.result_note = note.strip() or None
    item.inspected_on = inspected_on
    item.recorded_by = actor.label
    item.recorded_at = utcnow()
    session.flush()
    audit.record(session, actor, "supervision.result", "inspection_item", str(item.id), {"result": result})
    return item


def publish_task(session: Session, actor: Actor, task_id: int) -> InspectionTask:
    """一公开: publish the task's results once every drawn subject has one."""
    actor.require_role(*WRITE_ROLES)
    task = _task(session, task_id)
    if task.status == "published":
        raise Conflict("抽查结果已公开", code="task_published")
    missing = session.scalar(
        select(func.count())
        .select_from(InspectionItem)
        .where(InspectionItem.task_id == task_id, InspectionItem.result.is_(None))
    )
    if missing:
        raise Conflict(f"还有{missing}个检查对象没有录入检查结果", code="results_incomplete")
    task.status = "published"
    task.published_at = utcnow()
    session.flush()
    audit.record(session, actor, "supervision.publish", "inspection_task", str(task.id), {})
    return task


def public_results(session: Session, task_id: int) -> dict[str, Any]:
    """The published results as the public sees them (natural persons' names masked)."""
    task = _task(session, task_id)
    if task.status != "published":
        raise NotFound("抽查结果尚未公开", code="task_not_published")
    rows = session.execute(
        select(InspectionItem, Subject.name, Subject.kind, Subject.uscc)
        .join(Subject, Subject.id == InspectionItem.subject_id)
        .where(InspectionItem.task_id == task_id)
        .order_by(InspectionItem.position)
    ).all()
    return {
        "task": {
            "id": task.id,
            "name": task.name,
            "domain": task.domain,
            "region_code": task.region_code,
            "task_date": task.task_date.isoformat(),
            "published_at": task.published_at,
        },
        "items": [
            {
                "subject_name": mask_name(name) if kind == "person" else name,
                "uscc": uscc if kind != "person" else None,
                "result": it.result,
                "inspected_on": it.inspected_on.isoformat() if it.inspected_on else None,
            }
            for it, name, kind, uscc in rows
        ],
    }


def credit_linkage(
    session: Session, actor: Actor, *, since: dt.date | None = None, domain: str | None = None
) -> dict[str, Any]:
    """信用关联度: the share of inspections whose subject was drawn by credit grade (had a current grade), and the
    share of inspections that found problems, per grade (does the tiering find the problems?)."""
    actor.require_role(*READ_ROLES)
    conds = []
    if since is not None:
        conds.append(InspectionTask.task_date >= since)
    if domain is not None:
        conds.append(InspectionTask.domain == domain)
    rows = session.execute(
        select(InspectionItem.grade, InspectionItem.result, func.count())
        .join(InspectionTask, InspectionTask.id == InspectionItem.task_id)
        .where(*conds)
        .group_by(InspectionItem.grade, InspectionItem.result)
    ).all()
    total = sum(int(n) for _, _, n in rows)
    linked = sum(int(n) for g, _, n in rows if g != UNGRADED)
    by_grade: dict[str, dict[str, int]] = {}
    for g, result, n in rows:
        entry = by_grade.setdefault(g, {"inspections": 0, "with_result": 0, "problems": 0})
        entry["inspections"] += int(n)
        if result is not None:
            entry["with_result"] += int(n)
        if result in ("发现问题已责令整改", "发现问题已立案查处"):
            entry["problems"] += int(n)
    return {
        "inspections": total,
        "linked": linked,
        "linkage_rate": round(linked / total, 4) if total else None,
        "by_grade": by_grade,
    }


def list_policies() -> list[dict[str, Any]]:
    return [p.policy.model_dump() | {"sha256": p.sha256} for p in policies().values()]
