"""The list of matters handled by commitment (证明事项告知承诺制和容缺受理事项清单) as versioned data; pure rules.

``data/commitments/*.yaml``: the platform's default list, and a province's own (``province: <name>``) that replaces
it. Each matter names the credit-check matter (``data/lists/matters.yaml``) it belongs to, so the list, the credit
check and the monthly indicators speak of the same matters.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transport_credit.common.datafiles import load_yaml_model
from transport_credit.common.errors import InvalidInput, NotFound
from transport_credit.lists.rules import LIST_TYPE_LABELS, ListRules, list_rules

Mode = Literal["证明事项告知承诺", "容缺受理"]
# What the commitment template may refer to (``{matter}`` …): the fields of a matter, and its name.
TEMPLATE_FIELDS = frozenset({"matter", "certificate", "basis", "content", "verification", "consequence"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkflowStep(_Strict):
    step: str = Field(min_length=1, max_length=20)
    text: str = Field(min_length=1)


class CommitmentMatter(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9\-]{1,39}$")
    check_matter: str = Field(description="the credit-check matter code (data/lists/matters.yaml)")
    mode: Mode
    certificate: str = Field(min_length=1, description="证明事项 (告知承诺) or the material accepted as missing (容缺)")
    content: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    verification: str = Field(min_length=1)
    consequence: str = Field(min_length=1)


class CommitmentMatters(_Strict):
    kind: Literal["commitment_matters"]
    version: str
    name: str
    basis: str
    province: str | None = None
    approval_commitment_types: tuple[str, ...] = Field(min_length=1)
    workflow: tuple[WorkflowStep, ...] = Field(min_length=1)
    not_applicable: str = Field(min_length=1)
    excluded_list_types: tuple[Literal["red", "black", "watch"], ...] = ("black", "watch")
    excluded_when_commitment_broken: bool = True
    templates: dict[Mode, str] = Field(description="the commitment letter (格式文本) of each mode")
    matters: tuple[CommitmentMatter, ...]

    @model_validator(mode="after")
    def _consistent(self) -> CommitmentMatters:
        codes = [m.code for m in self.matters]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate matter codes")
        for mode, template in self.templates.items():
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
            except ValueError as exc:
                raise ValueError(f"template {mode}: {exc}") from exc
            unknown = names - TEMPLATE_FIELDS
            if unknown:
                raise ValueError(f"template {mode} refers to unknown fields: {', '.join(sorted(unknown))}")
        missing = {m.mode for m in self.matters} - set(self.templates)
        if missing:
            raise ValueError(f"no template for {', '.join(sorted(missing))}")
        return self

    def matter(self, code: str) -> CommitmentMatter:
        for m in self.matters:
            if m.code == code:
                return m
        raise NotFound(f"告知承诺事项清单中没有「{code}」", code="commitment_matter_not_found")


def _data_dir() -> Path:
    return Path(str(resources.files("transport_credit") / "data" / "commitments"))


@functools.cache
def commitment_matters(province: str | None = None) -> CommitmentMatters:
    """The list in force for ``province``: its own file if it ships one, else the platform's default. Every
    matter must name a credit-check matter of the province (``InvalidInput`` otherwise)."""
    docs = [
        load_yaml_model(p, CommitmentMatters, "告知承诺事项清单文件", "commitment_matters_invalid")
        for p in sorted(_data_dir().glob("*.yaml"))
    ]
    own = [d for d in docs if province and d.province == province]
    default = [d for d in docs if d.province is None]
    candidates = own or default
    if not candidates:
        raise InvalidInput("缺少告知承诺事项清单文件", code="commitment_matters_invalid")
    chosen = max(candidates, key=lambda d: d.version)
    known = list_rules(province).matters
    for m in chosen.matters:
        if m.check_matter not in known:
            raise InvalidInput(
                f"告知承诺事项清单 {m.code} 的核查事项「{m.check_matter}」不在核查事项清单中",
                code="commitment_matters_invalid",
            )
    return chosen


def matter_name(rules: ListRules, m: CommitmentMatter) -> str:
    return rules.matters[m.check_matter].name


def filled_template(doc: CommitmentMatters, rules: ListRules, m: CommitmentMatter) -> str:
    """The commitment letter of one matter: its mode's template with the matter's own text filled in."""
    return doc.templates[m.mode].format(
        matter=matter_name(rules, m),
        certificate=m.certificate,
        basis=m.basis,
        content=m.content,
        verification=m.verification,
        consequence=m.consequence,
    )


def licensing_matter_share(doc: CommitmentMatters, rules: ListRules) -> tuple[int, int]:
    """(licensing matters with a commitment route, licensing matters): seed 002's "在省级交通运输行政许可事项中运用
    告知承诺和容缺受理的事项占许可事项总数的比例"."""
    licensing = {code for code, m in rules.matters.items() if m.kind == "licensing"}
    covered = {m.check_matter for m in doc.matters} & licensing
    return len(covered), len(licensing)


@dataclass(frozen=True)
class RouteMatter:
    code: str
    mode: str
    certificate: str


@dataclass(frozen=True)
class CommitmentRoute:
    """Whether an applicant may use the commitment route of a matter (what the credit check answers)."""

    available: bool
    matters: list[RouteMatter]
    reason: str | None  # why not, in Chinese


_INDEX: dict[int, tuple[CommitmentMatters, dict[str, list[RouteMatter]]]] = {}


def _by_check_matter(doc: CommitmentMatters) -> dict[str, list[RouteMatter]]:
    """The matters of each check matter, built once per list (the credit check asks on every call)."""
    found = _INDEX.get(id(doc))
    if found is None or found[0] is not doc:
        index: dict[str, list[RouteMatter]] = {}
        for m in doc.matters:
            index.setdefault(m.check_matter, []).append(RouteMatter(m.code, m.mode, m.certificate))
        if len(_INDEX) > 64:  # lists are loaded once per province; copies (tests) must not pile up
            _INDEX.clear()
        found = _INDEX[id(doc)] = (doc, index)
    return found[1]


def commitment_route(
    doc: CommitmentMatters, check_matter: str, list_types: Collection[str], commitment_broken: bool
) -> CommitmentRoute | None:
    """The commitment route of ``check_matter`` for an applicant on ``list_types`` (published entries) who has or
    has not broken a commitment; ``None`` when the list offers no route for the matter."""
    matters = _by_check_matter(doc).get(check_matter)
    if not matters:
        return None
    reasons = [f"列入{LIST_TYPE_LABELS[t]}" for t in doc.excluded_list_types if t in list_types]
    if commitment_broken and doc.excluded_when_commitment_broken:
        reasons.append("有未履约的信用承诺")
    if reasons:
        why = "、".join(reasons) + "，信用修复前不适用告知承诺制和容缺受理，应当提交全部证明材料"
        return CommitmentRoute(False, matters, why)
    return CommitmentRoute(True, matters, None)
