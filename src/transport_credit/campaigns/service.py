"""Use cases of the 专项治理 campaigns: the credit office opens a campaign from a template and the platform takes on
the subjects its rules and lists find (again later, for subjects that turn up during the campaign); the responsible
departments record the actions taken on each (约谈, 警示, 限期整改 …) and close it when it is put right (整改销号); the
office follows progress by department and closes the campaign with a summary; the ledger goes out as Excel."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from transport_credit.audit.events import record as audit
from transport_credit.auth.models import Department
from transport_credit.auth.permissions import department_view_scope
from transport_credit.campaigns import rules
from transport_credit.campaigns.models import Campaign, CampaignAction, CampaignTarget
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.base import utcnow
from transport_credit.disclosure.rules import china_today
from transport_credit.identifiers.citizen_id import mask_name
from transport_credit.lists import cases
from transport_credit.lists.criteria import matching_subjects
from transport_credit.lists.models import ListEntry
from transport_credit.lists.rules import LIST_TYPE_LABELS, list_rules
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.subjects.service import find_subject

NOTE_MAX = 2000
NAME_MAX = 200


def templates(settings: Settings) -> rules.TemplatesDocument:
    return rules.campaign_templates(settings.province)


def _text(value: str, what: str, code: str, limit: int = NOTE_MAX) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise InvalidInput(f"请填写{what}（不超过 {limit} 字）", code=code)
    return value


def _campaign(session: Session, campaign_id: int, *, open_only: bool = False) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("专项治理不存在", code="campaign_not_found")
    if open_only and campaign.status != "open":
        raise Conflict("该专项治理已结束", code="campaign_closed")
    return campaign


# --- opening a campaign and taking on its subjects ----------------------------------------------------------------


def open_campaign(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    template_code: str,
    starts_on: dt.date,
    ends_on: dt.date,
    name: str = "",
    today: dt.date | None = None,
) -> Campaign:
    """Open a campaign from a template and take on the subjects its rules and lists find today."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    doc = templates(settings)
    template = doc.template(template_code.strip())
    if template is None:
        raise InvalidInput(f"专项治理模板 {template_code} 不存在", code="campaign_unknown_template")
    if ends_on < starts_on:
        raise InvalidInput("结束日期不能早于开始日期", code="campaign_dates")
    title = name.strip() or f"{template.name}（{starts_on.year}年）"
    campaign = Campaign(
        template_code=template.code,
        name=_text(title, "专项治理名称", "campaign_name", NAME_MAX),
        domain=template.domain[:40],
        basis=template.basis,
        starts_on=starts_on,
        ends_on=ends_on,
        status="open",
        templates_version=doc.version[:40],
        created_by=actor.label[:120],
    )
    session.add(campaign)
    session.flush()
    audit(
        session,
        actor,
        "campaign.open",
        "campaign",
        str(campaign.id),
        {"template": template.code, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )
    draw_targets(session, actor, settings, campaign.id, today=today)
    return campaign


@dataclass
class _Found:
    reasons: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    department: str | None = None


def draw_targets(
    session: Session, actor: Actor, settings: Settings, campaign_id: int, *, today: dt.date | None = None
) -> int:
    """Take on the subjects the campaign's rules and lists find on ``today`` that it has not yet; returns how many."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    campaign = _campaign(session, campaign_id, open_only=True)
    template = templates(settings).template(campaign.template_code)
    if template is None:
        raise InvalidInput(f"专项治理模板 {campaign.template_code} 已不在模板文件中", code="campaign_unknown_template")
    day = today or china_today()
    found: dict[int, _Found] = defaultdict(_Found)
    R = CreditRecord
    for rule in template.rules:
        for c in matching_subjects(
            session,
            rule.source_category,
            rule.conditions,
            rule.subject_kinds,
            window_days=rule.window_days,
            min_count=rule.min_count,
            today=day,
        ):
            item = found[c.subject_id]
            item.reasons.append(f"{rule.name}（{c.count} 次）")
            item.evidence += list(c.evidence)
            item.department = item.department or session.scalar(
                select(R.department_code)
                .where(R.category == rule.source_category, R.natural_key.in_(c.evidence), R.is_current.is_(True))
                .order_by(R.decision_date.desc(), R.id.desc())
                .limit(1)
            )
    if template.lists:
        kinds = list_rules(settings.province).list_kinds
        L = ListEntry
        for entry in session.scalars(
            select(L)
            .where(
                L.state == "listed",
                or_(L.list_code.in_(template.lists), L.list_type.in_(template.lists)),
                L.valid_from <= day,
                L.valid_until >= day,
            )
            .order_by(L.id)
        ):
            item = found[entry.subject_id]
            label = kinds[entry.list_code].name if entry.list_code in kinds else LIST_TYPE_LABELS[entry.list_type]
            item.reasons.append(f"列入{label}（{entry.entry_no}）")
            item.evidence.append(entry.entry_no)
            item.department = item.department or entry.department_code
    taken = set(session.scalars(select(CampaignTarget.subject_id).where(CampaignTarget.campaign_id == campaign.id)))
    new_ids = sorted(set(found) - taken)
    subjects = {s.id: s for s in session.scalars(select(Subject).where(Subject.id.in_(new_ids)))} if new_ids else {}
    for subject_id in new_ids:
        subject = subjects[subject_id]
        item = found[subject_id]
        session.add(
            CampaignTarget(
                campaign_id=campaign.id,
                subject_id=subject_id,
                subject_name=(mask_name(subject.name) if subject.kind == "person" else subject.name)[:200],
                reason="；".join(item.reasons),
                evidence=item.evidence[:50],
                department_code=item.department or "",
                added_on=day,
            )
        )
    session.flush()
    audit(
        session, actor, "campaign.draw", "campaign", str(campaign.id), {"day": day.isoformat(), "added": len(new_ids)}
    )
    return len(new_ids)


def _active_department(session: Session, code: str) -> str:
    found = session.scalar(select(Department.code).where(Department.code == code.strip(), Department.active.is_(True)))
    if found is None:
        raise InvalidInput("请选择在用的责任单位", code="campaign_department")
    return str(found)


def add_target(
    session: Session,
    actor: Actor,
    settings: Settings,
    campaign_id: int,
    *,
    subject_code: str,
    reason: str,
    department_code: str,
    today: dt.date | None = None,
) -> CampaignTarget:
    """Take on a subject the template's rules did not find (a problem found in an inspection, a complaint, another
    department's notice), with the reason and the responsible department."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    campaign = _campaign(session, campaign_id, open_only=True)
    subject = find_subject(session, settings, subject_code)
    if subject is None:
        raise NotFound("平台上没有该代码的信用主体，请核对统一社会信用代码或证件号码", code="subject_not_found")
    text = _text(reason, "纳入原因", "campaign_reason")
    department = _active_department(session, department_code)
    taken = session.scalar(
        select(CampaignTarget.id).where(
            CampaignTarget.campaign_id == campaign.id, CampaignTarget.subject_id == subject.id
        )
    )
    if taken is not None:
        raise Conflict("该主体已是本次专项治理的治理对象", code="campaign_target_exists", details={"target_id": taken})
    target = CampaignTarget(
        campaign_id=campaign.id,
        subject_id=subject.id,
        subject_name=(mask_name(subject.name) if subject.kind == "person" else subject.name)[:200],
        reason=f"手工纳入：{text}",
        evidence=[],
        department_code=department,
        added_on=today or china_today(),
    )
    session.add(target)
    session.flush()
    audit(session, actor, "campaign.add", "campaign", str(campaign.id), {"target": target.id, "department": department})
    return target


def reassign_target(
    session: Session, actor: Actor, target_id: int, *, department_code: str, reason: str
) -> CampaignTarget:
    """Hand a target to another responsible department (the one found is not the one that should act)."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    target = session.get(CampaignTarget, target_id)
    if target is None:
        raise NotFound("治理对象不存在", code="campaign_target_not_found")
    _campaign(session, target.campaign_id, open_only=True)
    if target.finished_on is not None:
        raise Conflict(f"该对象已于 {target.finished_on:%Y-%m-%d} 整改销号", code="campaign_target_done")
    department = _active_department(session, department_code)
    text = _text(reason, "调整原因", "campaign_reason")
    before = target.department_code
    target.department_code = department
    session.flush()
    details = {"from": before, "to": department, "reason": text}
    audit(session, actor, "campaign.reassign", "campaign_target", str(target.id), details)
    return target


# --- acting on a target -------------------------------------------------------------------------------------------


def _target_for(session: Session, actor: Actor, target_id: int) -> tuple[CampaignTarget, Campaign]:
    target = session.get(CampaignTarget, target_id)
    if target is None:
        raise NotFound("治理对象不存在", code="campaign_target_not_found")
    own = actor.has_role(ROLE_DATA_OFFICER) and actor.department_code == target.department_code
    if not (actor.has_role(ROLE_CREDIT_OFFICE) or own):
        raise PermissionDenied("只能处置本单位负责的治理对象", code="other_department")
    campaign = _campaign(session, target.campaign_id, open_only=True)
    if target.finished_on is not None:
        raise Conflict(f"该对象已于 {target.finished_on:%Y-%m-%d} 整改销号", code="campaign_target_done")
    return target, campaign


def record_action(
    session: Session,
    actor: Actor,
    settings: Settings,
    target_id: int,
    *,
    action: str,
    taken_on: dt.date,
    note: str,
    deadline: dt.date | None = None,
    today: dt.date | None = None,
) -> CampaignAction:
    """Record an action taken on a target by the department responsible for it (or the credit office)."""
    target, campaign = _target_for(session, actor, target_id)
    doc = templates(settings)
    known = doc.action(action)
    if known is None:
        raise InvalidInput(f"未知的处置措施「{action}」", code="campaign_unknown_action")
    day = today or china_today()
    if taken_on > day or taken_on < campaign.starts_on:
        raise InvalidInput("处置日期应在专项治理开始之后、不晚于今天", code="campaign_action_date")
    text = _text(note, "实施依据和处置情况" if known.needs_basis else "处置情况", "campaign_action_note")
    due = None
    if known.code == "rectify":
        due = rules.rectify_deadline(taken_on, deadline, doc.rectify_days)
        if due <= taken_on:
            raise InvalidInput("整改期限应晚于处置日期", code="campaign_deadline")
    row = CampaignAction(
        target_id=target.id, action=known.code, taken_on=taken_on, deadline=due, note=text, taken_by=actor.label[:120]
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "campaign.action",
        "campaign_target",
        str(target.id),
        {"action": known.code, "taken_on": taken_on.isoformat(), "deadline": due.isoformat() if due else None},
    )
    return row


def finish_target(
    session: Session, actor: Actor, target_id: int, *, finished_on: dt.date, note: str, today: dt.date | None = None
) -> CampaignTarget:
    """整改销号: the subject has put things right."""
    target = _target_for(session, actor, target_id)[0]
    last = session.scalar(select(func.max(CampaignAction.taken_on)).where(CampaignAction.target_id == target.id))
    if last is None:
        raise Conflict("请先登记对该对象采取的处置措施", code="campaign_no_action")
    if finished_on < last or finished_on > (today or china_today()):
        raise InvalidInput("销号日期应不早于最后一次处置、不晚于今天", code="campaign_finish_date")
    target.finished_on = finished_on
    target.finish_note = _text(note, "整改情况", "campaign_finish_note")
    session.flush()
    audit(
        session, actor, "campaign.finish", "campaign_target", str(target.id), {"finished_on": finished_on.isoformat()}
    )
    return target


def draft_exposure_case(session: Session, actor: Actor, settings: Settings, action_id: int) -> int:
    """公开曝光: draft the typical case of a target's exposure action (the credit office then publishes it on the
    website like any case); returns the case's id."""
    actor.require_role(ROLE_CREDIT_OFFICE)
    action = session.get(CampaignAction, action_id)
    if action is None or action.action != "exposure":
        raise NotFound("没有该公开曝光措施", code="campaign_action_not_found")
    if action.case_id is not None:
        raise Conflict("该曝光已生成典型案例", code="campaign_case_exists", details={"case_id": action.case_id})
    target = session.get(CampaignTarget, action.target_id)
    assert target is not None
    campaign = _campaign(session, target.campaign_id)
    doc = templates(settings)
    case = cases.draft_case(
        session,
        actor,
        title=f"{campaign.domain}领域失信行为曝光：{target.subject_name}"[:200],
        summary=f"在{campaign.name}中，{target.subject_name}因{target.reason}被依法公开曝光。"[:1000],
        body="\n".join(
            [
                f"{campaign.name}（{campaign.starts_on:%Y年%m月%d日}起）中，{target.subject_name}纳入治理对象，原因：{target.reason}。",
                *(
                    f"{a.taken_on:%Y年%m月%d日}，{_action_name(doc, a.action)}：{a.note}"
                    for a in session.scalars(
                        select(CampaignAction)
                        .where(CampaignAction.target_id == target.id, CampaignAction.taken_on <= action.taken_on)
                        .order_by(CampaignAction.taken_on, CampaignAction.id)
                    )
                ),
                f"依据：{campaign.basis}",
            ]
        ),
        kind="punishment",
        domain=campaign.domain,
        subject_id=target.subject_id,
    )
    action.case_id = case.id
    session.flush()
    audit(session, actor, "campaign.case", "campaign_target", str(target.id), {"action": action.id, "case": case.id})
    return case.id


def _action_name(doc: rules.TemplatesDocument, code: str) -> str:
    known = doc.action(code)
    return known.name if known else code


def campaign_of_target(session: Session, target_id: int) -> int:
    campaign_id = session.scalar(select(CampaignTarget.campaign_id).where(CampaignTarget.id == target_id))
    if campaign_id is None:
        raise NotFound("治理对象不存在", code="campaign_target_not_found")
    return int(campaign_id)


def close_campaign(session: Session, actor: Actor, campaign_id: int, *, summary: str) -> Campaign:
    actor.require_role(ROLE_CREDIT_OFFICE)
    campaign = _campaign(session, campaign_id, open_only=True)
    campaign.summary = _text(summary, "工作总结", "campaign_summary", 5000)
    campaign.status = "closed"
    campaign.closed_at = utcnow()
    session.flush()
    audit(session, actor, "campaign.close", "campaign", str(campaign.id), {})
    return campaign


# --- views --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignSummary:
    id: int
    name: str
    domain: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    targets: int
    done: int


def campaign_list(session: Session) -> list[CampaignSummary]:
    T = CampaignTarget
    counts = {
        int(c): (int(n), int(d or 0))
        for c, n, d in session.execute(
            select(T.campaign_id, func.count(), func.count(T.finished_on)).group_by(T.campaign_id)
        )
    }
    return [
        CampaignSummary(c.id, c.name, c.domain, c.starts_on, c.ends_on, c.status, *counts.get(c.id, (0, 0)))
        for c in session.scalars(select(Campaign).order_by(Campaign.status.desc(), Campaign.starts_on.desc()))
    ]


@dataclass(frozen=True)
class ActionView:
    id: int
    code: str
    name: str
    taken_on: dt.date
    deadline: dt.date | None
    note: str
    taken_by: str
    case_id: int | None  # 公开曝光: the typical case drafted from it


@dataclass(frozen=True)
class TargetView:
    id: int
    subject_id: int
    subject_name: str
    reason: str
    department_code: str
    department_name: str
    added_on: dt.date
    actions: list[ActionView]
    state: str
    state_label: str
    deadline: dt.date | None  # the latest 限期整改's
    finished_on: dt.date | None
    finish_note: str | None


@dataclass(frozen=True)
class DepartmentRow:
    code: str
    name: str
    targets: int
    states: dict[str, int]


@dataclass(frozen=True)
class CampaignView:
    id: int
    name: str
    domain: str
    basis: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    summary: str | None
    department_code: str | None  # the department the view is limited to
    targets: list[TargetView]
    states: dict[str, int]
    actions: dict[str, int]  # action name → times taken
    departments: list[DepartmentRow]


def campaign_view(
    session: Session,
    actor: Actor,
    settings: Settings,
    campaign_id: int,
    *,
    department_code: str | None = None,
    today: dt.date | None = None,
) -> CampaignView:
    scope = department_view_scope(actor, department_code, "专项治理对象")
    campaign = _campaign(session, campaign_id)
    day = today or china_today()
    doc = templates(settings)
    names = {str(c): str(n) for c, n in session.execute(select(Department.code, Department.name))}
    T = CampaignTarget
    where = [T.campaign_id == campaign.id] + ([T.department_code == scope] if scope is not None else [])
    targets = list(session.scalars(select(T).where(*where).order_by(T.id)))
    by_target: dict[int, list[CampaignAction]] = defaultdict(list)
    for a in session.scalars(
        select(CampaignAction)
        .join(T, T.id == CampaignAction.target_id)
        .where(*where)
        .order_by(CampaignAction.taken_on, CampaignAction.id)
    ):
        by_target[a.target_id].append(a)
    views = []
    action_counts: Counter[str] = Counter()
    for t in targets:
        taken = by_target.get(t.id, [])
        state = rules.target_state(
            [rules.TakenAction(a.action, a.taken_on, a.deadline) for a in taken], t.finished_on, day
        )
        deadlines = [a.deadline for a in taken if a.deadline is not None]
        acts = []
        for a in taken:
            name = _action_name(doc, a.action)
            action_counts[name] += 1
            acts.append(ActionView(a.id, a.action, name, a.taken_on, a.deadline, a.note, a.taken_by, a.case_id))
        views.append(
            TargetView(
                t.id,
                t.subject_id,
                t.subject_name,
                t.reason,
                t.department_code,
                names.get(t.department_code, t.department_code or "—"),
                t.added_on,
                acts,
                state,
                rules.STATE_LABELS[state],
                deadlines[-1] if deadlines else None,
                t.finished_on,
                t.finish_note,
            )
        )
    per_dept: dict[str, Counter[str]] = defaultdict(Counter)
    for v in views:
        per_dept[v.department_code][v.state] += 1
    departments = sorted(
        (DepartmentRow(code, names.get(code, code or "—"), sum(c.values()), dict(c)) for code, c in per_dept.items()),
        key=lambda r: (-r.states.get("overdue", 0), -r.states.get("pending", 0), r.code),
    )
    return CampaignView(
        campaign.id,
        campaign.name,
        campaign.domain,
        campaign.basis,
        campaign.starts_on,
        campaign.ends_on,
        campaign.status,
        campaign.summary,
        scope,
        views,
        dict(Counter(v.state for v in views)),
        dict(action_counts),
        departments,
    )


def attention(session: Session, actor: Actor, today: dt.date) -> tuple[int, int]:
    """For the 工作台: targets of open campaigns the actor's department (the office: any) has not acted on yet, and
    those whose 限期整改 is overdue."""
    T = CampaignTarget
    q = (
        select(T.id)
        .join(Campaign, Campaign.id == T.campaign_id)
        .where(Campaign.status == "open", T.finished_on.is_(None))
    )
    if not actor.has_role(ROLE_CREDIT_OFFICE, ROLE_ADMIN):
        q = q.where(T.department_code == (actor.department_code or ""))
    ids = list(session.scalars(q))
    if not ids:
        return 0, 0
    actions: dict[int, list[rules.TakenAction]] = defaultdict(list)
    for target_id, code, taken_on, deadline in session.execute(
        select(CampaignAction.target_id, CampaignAction.action, CampaignAction.taken_on, CampaignAction.deadline).where(
            CampaignAction.target_id.in_(ids)
        )
    ):
        actions[int(target_id)].append(rules.TakenAction(str(code), taken_on, deadline))
    states = Counter(rules.target_state(actions.get(i, []), None, today) for i in ids)
    return states["pending"], states["overdue"]


@dataclass(frozen=True)
class CampaignMonth:
    """A campaign's work in a month, for the monthly report."""

    name: str
    targets: int
    actions: int  # actions taken in the month
    finished: int  # targets closed (整改销号) in the month
    overdue: int  # 整改逾期 on ``day``


def month_figures(session: Session, start: dt.date, end: dt.date, day: dt.date) -> list[CampaignMonth]:
    """The campaigns under way in ``[start, end)``: their targets, the month's actions and closings, and the
    targets overdue on ``day`` (the month's end, or today)."""
    T, A = CampaignTarget, CampaignAction
    out = []
    for c in session.scalars(
        select(Campaign).where(Campaign.starts_on < end, Campaign.ends_on >= start).order_by(Campaign.starts_on)
    ):
        targets = {int(i): f for i, f in session.execute(select(T.id, T.finished_on).where(T.campaign_id == c.id))}
        taken: dict[int, list[rules.TakenAction]] = defaultdict(list)
        month_actions = 0
        for target_id, code, taken_on, deadline in session.execute(
            select(A.target_id, A.action, A.taken_on, A.deadline)
            .join(T, T.id == A.target_id)
            .where(T.campaign_id == c.id, A.taken_on <= day)
        ):
            taken[int(target_id)].append(rules.TakenAction(str(code), taken_on, deadline))
            month_actions += start <= taken_on < end
        open_on_day = {i: f if f is not None and f <= day else None for i, f in targets.items()}
        overdue = sum(rules.target_state(taken.get(i, []), f, day) == "overdue" for i, f in open_on_day.items())
        finished = sum(1 for f in targets.values() if f is not None and start <= f < end)
        out.append(CampaignMonth(c.name, len(targets), month_actions, finished, overdue))
    return out


def to_xlsx(view: CampaignView) -> bytes:
    """治理台账: one line per target with its actions, deadline, state and closing."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "治理台账"
    ws.append([f"{view.name}（{view.starts_on:%Y-%m-%d} 至 {view.ends_on:%Y-%m-%d}）"])
    ws["A1"].font = Font(bold=True, size=13)
    headers = ["序号", "治理对象", "纳入原因", "责任单位", "处置措施", "整改期限", "状态", "销号日期", "整改情况"]
    ws.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for n, t in enumerate(view.targets, 1):
        ws.append(
            [
                n,
                t.subject_name,
                t.reason,
                t.department_name,
                "\n".join(f"{a.taken_on:%Y-%m-%d} {a.name}：{a.note}" for a in t.actions),
                t.deadline.isoformat() if t.deadline else "",
                t.state_label,
                t.finished_on.isoformat() if t.finished_on else "",
                t.finish_note or "",
            ]
        )
    for col, width in zip("ABCDEFGHI", (6, 30, 40, 22, 50, 12, 12, 12, 30), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet = wb.create_sheet("按单位")
    sheet.append(["责任单位", "治理对象", *rules.STATE_LABELS.values()])
    for d in view.departments:
        sheet.append([d.name, d.targets, *(d.states.get(k, 0) for k in rules.STATE_LABELS)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
