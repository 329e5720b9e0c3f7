"""Handling of objection (异议) and credit-repair (信用修复) applications: rules as data, and pure rule functions.

An application submitted on the website moves through

    received ──accept──▶ accepted ──decide──▶ corrected | revoked | dismissed      (objection)
       │                               └──────▶ repaired | denied                   (repair)
       └──refuse──▶ refused (不予受理)

An accepted objection that names a record goes to the unit that provided it (信息提供单位) for verification (核实):
it reports whether the record is accurate, and the decision follows that finding (an accurate record is kept, an
inaccurate one is corrected or revoked). Each step has a deadline in working days from ``data/applications/*.yaml``
(the rule set in force on the day the application was submitted): acceptance within ``accept_workdays`` of
submission, the verification within ``verify_workdays`` and the decision within ``decide_workdays`` of acceptance.
The functions here decide whether a step is allowed and whether an outcome fits the record it concerns;
``portal/service.py`` applies them and writes the record's new revision.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transport_credit.common.datafiles import load_yaml_model
from transport_credit.common.errors import Conflict, InvalidInput

ApplicationStatus = Literal[
    "received", "accepted", "refused", "corrected", "revoked", "dismissed", "repaired", "denied"
]
Outcome = Literal["corrected", "revoked", "dismissed", "repaired", "denied"]
Finding = Literal["accurate", "inaccurate"]

STATUS_LABELS: dict[str, str] = {
    "received": "已提交，待受理",
    "accepted": "已受理，办理中",
    "refused": "不予受理",
    "corrected": "异议成立，信息已更正",
    "revoked": "异议成立，信息已撤销",
    "dismissed": "异议不成立，维持原信息",
    "repaired": "准予修复，已停止公示",
    "denied": "不予修复",
}
OPEN_STATUSES: frozenset[str] = frozenset({"received", "accepted"})
OUTCOMES: dict[str, tuple[Outcome, ...]] = {
    "objection": ("corrected", "revoked", "dismissed"),
    "repair": ("repaired", "denied"),
}
OUTCOME_LABELS: dict[str, str] = {
    "corrected": "异议成立：数据提供单位已报送更正后的信息",
    "revoked": "异议成立：撤销该信息",
    "dismissed": "异议不成立：维持原信息",
    "repaired": "准予修复：该信息停止公示",
    "denied": "不予修复",
}
FINDING_LABELS: dict[str, str] = {
    "accurate": "经核实，信息准确无误",
    "inaccurate": "经核实，信息有误（应更正或撤销）",
}
# What a verification finding leaves the decision (信息提供单位核实后，有误的更正或撤销).
OUTCOMES_AFTER_FINDING: dict[str, frozenset[str]] = {
    "accurate": frozenset({"dismissed"}),
    "inaccurate": frozenset({"corrected", "revoked"}),
}
NOTE_MIN, NOTE_MAX = 5, 2000
# Records whose publication a repair can end (失信信息): penalties, the black list, the watch list.
REPAIRABLE_CATEGORIES: frozenset[str] = frozenset({"XZCF", "HEIMD", "ZDGZ"})
REPLY_MIN, REPLY_MAX = 5, 2000


# --- rules as data ---------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class StepLimits(_Strict):
    accept_workdays: int = Field(ge=1, le=60)
    decide_workdays: int = Field(ge=1, le=120)
    # The providing unit's verification, from acceptance; absent: the kind is not sent for verification.
    verify_workdays: int | None = Field(default=None, ge=1, le=60)

    @model_validator(mode="after")
    def _verification_before_decision(self) -> StepLimits:
        if self.verify_workdays is not None and self.verify_workdays > self.decide_workdays:
            raise ValueError("verify_workdays must not exceed decide_workdays: the decision follows the verification")
        return self


class HandlingRuleSet(_Strict):
    version: str
    name: str
    basis: str
    effective_from: dt.date
    objection: StepLimits
    repair: StepLimits

    def limits(self, kind: str) -> StepLimits:
        return self.repair if kind == "repair" else self.objection


class HandlingDocument(_Strict):
    kind: Literal["application_handling"]
    name: str
    version: str
    province: str | None = None
    rule_sets: tuple[HandlingRuleSet, ...] = Field(min_length=1)


def _data_dir() -> Path:
    return Path(str(resources.files("transport_credit") / "data" / "applications"))


def load_document(path: Path) -> HandlingDocument:
    return load_yaml_model(path, HandlingDocument, "申请办理时限文件", "handling_file_invalid")


@functools.cache
def handling_rules(province: str | None = None) -> tuple[HandlingRuleSet, ...]:
    """The rule sets in force for ``province``, oldest first: its own file's when it has one, else the national."""
    docs = [load_document(p) for p in sorted(_data_dir().glob("*.yaml"))]
    own = [d for d in docs if province is not None and d.province == province]
    chosen = own or [d for d in docs if d.province is None]
    if not chosen:
        raise InvalidInput("没有申请办理时限规则", code="no_handling_rules")
    return tuple(sorted((rs for d in chosen for rs in d.rule_sets), key=lambda r: r.effective_from))


def rule_set_on(rule_sets: Sequence[HandlingRuleSet], day: dt.date) -> HandlingRuleSet:
    """The latest rule set with ``effective_from <= day``; before every rule set, the oldest."""
    ordered = sorted(rule_sets, key=lambda r: r.effective_from)
    chosen = ordered[0]
    for rs in ordered:
        if rs.effective_from <= day:
            chosen = rs
    return chosen


# --- the state machine -----------------------------------------------------------------------------------------


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def accept(status: str) -> ApplicationStatus:
    """受理: only a received application."""
    if status != "received":
        raise Conflict(f"该申请当前状态为「{status_label(status)}」，不能受理", code="application_not_received")
    return "accepted"


def refuse(status: str) -> ApplicationStatus:
    """不予受理: only a received application."""
    if status != "received":
        raise Conflict(
            f"该申请当前状态为「{status_label(status)}」，不能作不予受理处理", code="application_not_received"
        )
    return "refused"


def decide(kind: str, status: str, outcome: str) -> Outcome:
    """办结: an accepted application gets one of its kind's outcomes."""
    if status != "accepted":
        raise Conflict(
            f"该申请当前状态为「{status_label(status)}」，受理后才能作出处理决定", code="application_not_accepted"
        )
    allowed = OUTCOMES.get(kind, ())
    for known in allowed:
        if known == outcome:
            return known
    names = "、".join(OUTCOME_LABELS[o] for o in allowed)
    raise InvalidInput(f"处理结果无效，可选：{names}", code="invalid_outcome", details={"allowed": list(allowed)})


def verify(status: str, verify_department: str | None, finding: str | None, new_finding: str) -> Finding:
    """核实: the providing unit reports its finding once, while the application is accepted and sent to it."""
    if status != "accepted":
        raise Conflict(f"该申请当前状态为「{status_label(status)}」，不在核实阶段", code="application_not_accepted")
    if verify_department is None:
        raise Conflict("该申请未交由信息提供单位核实", code="verification_not_requested")
    if finding is not None:
        raise Conflict("已反馈核实意见，不能重复反馈", code="already_verified")
    for known in FINDING_LABELS:
        if known == new_finding:
            return cast(Finding, known)
    raise InvalidInput("核实结论无效：请选择信息准确或信息有误", code="invalid_finding")


def check_note(note: str) -> str:
    """The verification's written explanation (核实说明): required, 5–2000 characters."""
    text = (note or "").strip()
    if "\x00" in text or not (NOTE_MIN <= len(text) <= NOTE_MAX):
        raise InvalidInput(f"请填写核实说明（{NOTE_MIN}–{NOTE_MAX} 个字）", code="note_required")
    return text


def check_reply(reply: str) -> str:
    """The written reply (答复意见) the applicant will read: required, 5–2000 characters."""
    text = (reply or "").strip()
    if "\x00" in text or not (REPLY_MIN <= len(text) <= REPLY_MAX):
        raise InvalidInput(f"请填写答复意见（{REPLY_MIN}–{REPLY_MAX} 个字）", code="reply_required")
    return text


# --- what an outcome requires of the record ---------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFacts:
    """The record an application concerns, as the decision sees it."""

    category: str
    status: str  # of the revision the applicant saw
    is_current: bool
    severity: str | None
    publicity_min_end: dt.date | None
    publicity_end: dt.date | None
    current_status: str  # of the record's current revision (the same revision when nothing changed)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def require_repairable(kind: str, category: str | None) -> None:
    """A repair application may name only a dishonest record (or none: the subject as a whole)."""
    if kind == "repair" and category is not None and category not in REPAIRABLE_CATEGORIES:
        raise InvalidInput(
            "只有失信信息（行政处罚、黑名单、重点关注名单）可以申请信用修复", code="repair_not_applicable"
        )


def outcome_problem(
    outcome: str,
    record: RecordFacts | None,
    today: dt.date,
    *,
    obligations_met: bool = False,
    commitment_made: bool = False,
) -> Problem | None:
    """Why ``outcome`` cannot be decided for this record today; ``None`` when it can.

    - ``repaired``: a dishonest record (penalty, black or watch list) still published, whose minimum publicity
      period has passed, with the obligations fulfilled and a credit commitment made (信用修复管理办法);
    - ``revoked``: a record still in force;
    - ``corrected``: the providing unit has reported a corrected revision (the one the applicant saw is superseded
      and the current one is in force);
    - ``dismissed`` and ``denied`` leave the record as it is.
    """
    if outcome in ("dismissed", "denied"):
        return None
    if record is None:
        return Problem("record_required", "请选择该申请所涉及的信用信息")
    if outcome == "corrected":
        if record.is_current or record.current_status != "active":
            return Problem(
                "not_corrected_yet",
                "尚未收到更正后的信息：请数据提供单位通过导入或接口报送更正后的记录后再办结",
            )
        return None
    if not record.is_current or record.current_status != "active":
        return Problem("record_not_active", "该信息已不再有效（已更正、撤销、修复或移出），无需再作此处理")
    if outcome == "revoked":
        return None
    # repaired
    if record.category not in REPAIRABLE_CATEGORIES:
        return Problem("repair_not_applicable", "只有失信信息（行政处罚、黑名单、重点关注名单）可以信用修复")
    if record.publicity_end is not None and record.publicity_end <= today:
        return Problem("publicity_already_ended", "该信息公示期已届满，已停止公示，无需修复")
    if record.publicity_min_end is not None and today < record.publicity_min_end:
        return Problem(
            "minimum_period_not_reached",
            f"最短公示期至 {record.publicity_min_end.isoformat()} 届满，届满后方可修复",
        )
    if not obligations_met:
        return Problem("obligations_not_met", "准予修复前须确认申请人已履行行政处罚等法定义务")
    if not commitment_made:
        return Problem("commitment_missing", "准予修复前须确认申请人已作出信用承诺")
    return None


def verification_problem(outcome: str, verify_department: str | None, finding: str | None) -> Problem | None:
    """Why ``outcome`` cannot be decided given the providing unit's verification; ``None`` when it can. An
    application not sent for verification is not constrained here."""
    if verify_department is None:
        return None
    if finding is None:
        return Problem("verification_pending", "信息提供单位尚未反馈核实意见，收到核实意见后方可办结")
    if outcome not in OUTCOMES_AFTER_FINDING.get(finding, frozenset()):
        allowed = "、".join(OUTCOME_LABELS[o] for o in sorted(OUTCOMES_AFTER_FINDING[finding]))
        return Problem(
            "outcome_contradicts_verification",
            f"处理结果应与信息提供单位的核实结论（{FINDING_LABELS[finding]}）一致，可选：{allowed}",
        )
    return None


def record_status_after(outcome: str) -> str | None:
    """The status of the record's new revision after the outcome; ``None``: the record is not changed here."""
    return {"repaired": "repaired", "revoked": "revoked"}.get(outcome)


def verification_overdue(status: str, verify_due: dt.date | None, finding: str | None, today: dt.date) -> bool:
    """A verification still awaited past its deadline."""
    return status == "accepted" and finding is None and verify_due is not None and today > verify_due


def is_overdue(status: str, accept_due: dt.date | None, decide_due: dt.date | None, today: dt.date) -> bool:
    """An open application past its current step's deadline."""
    if status == "received":
        return accept_due is not None and today > accept_due
    if status == "accepted":
        return decide_due is not None and today > decide_due
    return False
