"""Rules of the 诚信缺失突出问题专项治理 campaigns: the templates as data (which subjects a campaign takes on, the
actions officials take), and the pure rules of a target's state. No I/O but reading the shipped file.

A campaign (专项治理) takes on the subjects of its field whose records show the problem (e.g. two 超限超载 penalties in
a year) or who are on its lists; the department responsible for each acts on it (约谈, 警示, 限期整改, 公开曝光,
行业禁入) and closes it when it has put things right (整改销号).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transport_credit.common.datafiles import load_for_province, shipped_path
from transport_credit.lists.rules import Condition, SubjectKind

ActionCode = Literal["interview", "warning", "rectify", "exposure", "ban"]
TargetState = Literal["pending", "handling", "overdue", "done"]
STATE_LABELS: dict[str, str] = {
    "pending": "待处置",
    "handling": "处置中",
    "overdue": "整改逾期",
    "done": "已整改销号",
}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Action(_Strict):
    code: ActionCode
    name: str = Field(min_length=1, max_length=40)
    needs_basis: bool = False  # the note must give the legal basis (行业禁入)


class TargetRule(_Strict):
    """Subjects with at least ``min_count`` matching records of ``source_category`` in ``window_days``."""

    name: str = Field(min_length=1, max_length=100)
    source_category: str
    conditions: tuple[Condition, ...] = ()
    subject_kinds: tuple[SubjectKind, ...] = ("org", "individual_business", "person")
    window_days: int = Field(ge=1, le=3660)
    min_count: int = Field(ge=1, le=1000)


class Template(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str = Field(min_length=1, max_length=200)
    domain: str
    basis: str
    rules: tuple[TargetRule, ...] = ()
    lists: tuple[str, ...] = ()  # list codes or types whose listed subjects are taken on too

    @model_validator(mode="after")
    def _targets(self) -> Template:
        if not self.rules and not self.lists:
            raise ValueError(f"template {self.code} takes on no subject (no rule, no list)")
        return self


class TemplatesDocument(_Strict):
    kind: Literal["campaign_templates"]
    name: str
    version: str
    province: str | None = None
    effective_from: dt.date
    rectify_days: int = Field(default=30, ge=1, le=365)
    actions: tuple[Action, ...] = Field(min_length=1)
    templates: tuple[Template, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> TemplatesDocument:
        action_codes: list[str] = [a.code for a in self.actions]
        for what, codes in (("action", action_codes), ("template", [t.code for t in self.templates])):
            dup = sorted({c for c in codes if codes.count(c) > 1})
            if dup:
                raise ValueError(f"duplicate {what} codes: {', '.join(dup)}")
        return self

    def template(self, code: str) -> Template | None:
        return next((t for t in self.templates if t.code == code), None)

    def action(self, code: str) -> Action | None:
        return next((a for a in self.actions if a.code == code), None)


def load_templates(directory: Path, province: str | None) -> TemplatesDocument:
    """The templates in force for ``province`` among the ``templates*.yaml`` files of ``directory``."""
    return load_for_province(
        directory, "templates*.yaml", TemplatesDocument, "专项治理模板文件", "campaign_templates_invalid", province
    )


@functools.cache
def campaign_templates(province: str | None = None) -> TemplatesDocument:
    return load_templates(shipped_path("campaigns"), province)


# --- a target's state ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TakenAction:
    code: str
    taken_on: dt.date
    deadline: dt.date | None = None  # 限期整改: the last day to put things right


def target_state(actions: Sequence[TakenAction], finished_on: dt.date | None, today: dt.date) -> TargetState:
    """``done`` once closed (整改销号); ``pending`` before any action; ``overdue`` when the latest 限期整改's
    deadline has passed; else ``handling``."""
    if finished_on is not None:
        return "done"
    if not actions:
        return "pending"
    deadlines = [a for a in actions if a.code == "rectify" and a.deadline is not None]
    if deadlines:
        latest = max(deadlines, key=lambda a: (a.taken_on, a.deadline or a.taken_on))
        if latest.deadline is not None and latest.deadline < today:
            return "overdue"
    return "handling"


def rectify_deadline(taken_on: dt.date, asked: dt.date | None, default_days: int) -> dt.date:
    """The deadline of a 限期整改: the one the official set, else ``default_days`` after the action."""
    return asked if asked is not None else taken_on + dt.timedelta(days=default_days)
