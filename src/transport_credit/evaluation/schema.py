"""Schema of evaluation model files (信用评价模型) and supervision policies, validated by pydantic at load.

A model says which subjects it rates (subject kinds and the records that put a subject in the field), over which
period (annual, rolling N months, certificate cycle), from which base score, with which deduction and bonus rules
(matching credit records by category and field conditions), which overrides (black list → lowest grade, serious
dishonesty → a fixed grade for a while), which grade bands and which constraints (rise at most N levels a year,
newcomer grade, repeated poor grades escalate). Values marked ``configurable`` in a file are not fixed by any
published regulation: a province sets its own in its own model file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transport_credit.catalog.schema import Severity, SubjectKind

RECORD_COLUMNS = ("severity", "department_code")
RecordStatus = Literal["active", "repaired", "revoked"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """One condition on a record; all given parts must hold.

    ``field`` is a key of the record's data (e.g. ``penalty_type``, ``fine_amount``) or one of the record columns
    ``severity`` / ``department_code``. ``any_of``: the value equals one of these, or for multi-value fields
    (处罚类别 "警告；罚款") contains one of them; ``contains_any``: the text contains one of these; ``gte``/``lt``:
    numeric range (amounts in 万元).
    """

    field: str = Field(min_length=1)
    any_of: list[str] | None = None
    contains_any: list[str] | None = None
    gte: float | None = None
    lt: float | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if self.any_of is None and self.contains_any is None and self.gte is None and self.lt is None:
            raise ValueError(f"condition on {self.field} tests nothing (any_of, contains_any, gte or lt)")
        if self.any_of is not None and not self.any_of:
            raise ValueError(f"condition on {self.field}: any_of is empty")
        if self.contains_any is not None and not self.contains_any:
            raise ValueError(f"condition on {self.field}: contains_any is empty")
        if self.gte is not None and self.lt is not None and self.gte >= self.lt:
            raise ValueError(f"condition on {self.field}: gte must be below lt")
        return self


class RecordMatch(_Strict):
    """Which current credit records a rule looks at."""

    categories: list[str] = Field(min_length=1)
    where: list[Condition] = Field(default_factory=list)
    severity_in: list[Severity] | None = None
    statuses: list[RecordStatus] = Field(default_factory=lambda: list[RecordStatus](["active"]))


class ScoreRule(_Strict):
    """A deduction (扣分) or bonus (加分) rule: ``points`` per matching record in the window (or once)."""

    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
    name: str
    kind: Literal["deduction", "bonus"]
    match: RecordMatch
    points: float = Field(gt=0)
    per: Literal["record", "once"] = "record"
    min_count: int = Field(default=1, ge=1, description="applies only from this many matching records")
    window_months: int | None = Field(default=None, ge=1, le=120, description="count window ending at the period end")
    cap: float | None = Field(default=None, gt=0, description="at most this many points from the rule")
    tag: str | None = Field(default=None, description="grade bands may test the points of a tag")
    configurable: bool = False
    note: str | None = None


class Override(_Strict):
    """A record that sets the grade regardless of the score (it can only make the grade worse)."""

    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
    name: str
    match: RecordMatch
    grade: str = Field(description="a grade of the model, or 'lowest'")
    # publicity: while the record is published (black list: its listing period); duration: for ``min_months`` after
    # the decision, or until the record's ``until_field`` date (the penalty's length) if that is later.
    active: Literal["publicity", "duration"]
    min_months: int | None = Field(default=None, ge=1)
    until_field: str | None = None

    @model_validator(mode="after")
    def _duration(self) -> Override:
        if self.active == "duration" and self.min_months is None:
            raise ValueError(f"override {self.code}: active 'duration' needs min_months")
        return self


class GradeBand(_Strict):
    """The first band whose conditions all hold gives the grade; the last band must have none."""

    grade: str
    min_score: float | None = None
    max_deducted: float | None = None
    deducted_below: float | None = None
    tag_points_below: dict[str, float] | None = None

    @property
    def unconditional(self) -> bool:
        return (
            self.min_score is None
            and self.max_deducted is None
            and self.deducted_below is None
            and not self.tag_points_below
        )


class Escalation(_Strict):
    """The same grade in consecutive periods becomes a worse one (试验检测: 较差 two years running → 差)."""

    grade: str
    consecutive: int = Field(default=2, ge=2, le=2)
    becomes: str
    warning: bool = True


class Constraints(_Strict):
    max_rise_levels: int | None = Field(default=None, ge=1, description="per period (a year)")
    newcomer_grade: str | None = Field(default=None, description="best grade without a previous result")
    escalations: list[Escalation] = Field(default_factory=list)


class Period(_Strict):
    kind: Literal["annual", "rolling", "cycle"]
    months: int = Field(default=12, ge=1, le=60)
    validity_months: int = Field(default=12, ge=1, le=60, description="a result is valid this long after the period")


class Population(_Strict):
    """Who the model rates: subjects of these kinds with at least one matching record decided by the period end."""

    subject_kinds: list[SubjectKind] = Field(min_length=1)
    match: RecordMatch


class EvaluationModelDef(_Strict):
    kind: Literal["evaluation_model"]
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,79}$")
    name: str
    version: str = Field(min_length=1, max_length=40)
    scope: str = Field(default="000000", pattern=r"^\d{6}$", description="000000 national, else a province code")
    domain: str
    subdomains: list[str] = Field(default_factory=list)
    basis: str = Field(description="legal basis (评价依据)")
    description: str | None = None
    population: Population
    period: Period
    base_score: float
    min_score: float = 0.0
    max_score: float | None = None
    bonus_cap: float | None = Field(default=None, gt=0)
    grades: list[str] = Field(min_length=2, description="best first")
    grade_labels: dict[str, str] = Field(default_factory=dict)
    bands: list[GradeBand] = Field(min_length=1)
    rules: list[ScoreRule] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)
    constraints: Constraints = Field(default_factory=Constraints)
    dynamic: bool = Field(default=True, description="re-evaluate a subject when its records change")
    configurable: list[str] = Field(default_factory=list, description="values not fixed by a published rule")

    @model_validator(mode="after")
    def _consistent(self) -> EvaluationModelDef:
        grades = set(self.grades)
        if len(grades) != len(self.grades):
            raise ValueError("grades repeat")
        codes = [r.code for r in self.rules] + [o.code for o in self.overrides]
        if len(set(codes)) != len(codes):
            raise ValueError("rule and override codes must be unique")
        for band in self.bands:
            if band.grade not in grades:
                raise ValueError(f"band grade {band.grade} is not one of the grades")
        if not self.bands[-1].unconditional:
            raise ValueError("the last band must have no conditions (the grade when nothing else fits)")
        if any(b.unconditional for b in self.bands[:-1]):
            raise ValueError("only the last band may have no conditions")
        for o in self.overrides:
            if o.grade != "lowest" and o.grade not in grades:
                raise ValueError(f"override {o.code}: grade {o.grade} is not one of the grades")
        c = self.constraints
        if c.newcomer_grade is not None and c.newcomer_grade not in grades:
            raise ValueError(f"newcomer grade {c.newcomer_grade} is not one of the grades")
        for e in c.escalations:
            if e.grade not in grades or e.becomes not in grades:
                raise ValueError(f"escalation {e.grade} → {e.becomes}: unknown grade")
        if self.period.kind == "cycle" and any(r.window_months for r in self.rules):
            raise ValueError("rules of a certificate-cycle model count over the cycle; window_months is not allowed")
        tags = {r.tag for r in self.rules if r.tag}
        for band in self.bands:
            for tag in band.tag_points_below or {}:
                if tag not in tags:
                    raise ValueError(f"band {band.grade} tests tag {tag} that no rule carries")
        if self.max_score is not None and self.max_score < self.min_score:
            raise ValueError("max_score is below min_score")
        return self

    def level(self, grade: str) -> int:
        return self.grades.index(grade)

    def override_level(self, override: Override) -> int:
        return len(self.grades) - 1 if override.grade == "lowest" else self.level(override.grade)

    @property
    def lowest(self) -> str:
        return self.grades[-1]

    def label(self, grade: str) -> str:
        return self.grade_labels.get(grade, grade)


class PolicyGrade(_Strict):
    grade: str
    ratio: float = Field(ge=0, le=1, description="share of the stratum inspected in a year (抽查比例)")
    frequency: str = Field(description="e.g. 每年不超过1次")


class SupervisionPolicy(_Strict):
    """分级分类监管: per grade of an evaluation model, the inspection ratio and frequency."""

    kind: Literal["supervision_policy"]
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,79}$")
    name: str
    version: str
    model: str = Field(description="evaluation model code whose grades this policy uses")
    domain: str
    grades: list[PolicyGrade] = Field(min_length=1)
    ungraded_ratio: float = Field(ge=0, le=1, description="subjects with no current grade (未评价)")
    inspectors_per_subject: int = Field(default=2, ge=1, le=5)
    inspector_cooldown_days: int = Field(default=365, ge=0, description="not the same inspector again within")
    basis: str
    configurable: list[str] = Field(default_factory=list)
