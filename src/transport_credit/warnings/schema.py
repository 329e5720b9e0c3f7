"""Schema of early-warning rule files (``data/warnings/*.yaml``), validated at load."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class WarningRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,79}$")
    kind: Literal["grade_drop", "penalty_burst", "blacklisted", "commitment_breached"]
    level: Literal["red", "orange", "yellow"]
    name: str
    min_levels: int | None = Field(default=None, ge=1, description="grade_drop: levels fallen")
    categories: list[str] = Field(default_factory=list)
    min_count: int | None = Field(default=None, ge=1, description="penalty_burst: N records")
    days: int | None = Field(default=None, ge=1, le=3650, description="within M days")
    field: str | None = None
    any_of: list[str] | None = None

    @model_validator(mode="after")
    def _complete(self) -> WarningRule:
        need = {
            "grade_drop": ("min_levels",),
            "penalty_burst": ("categories", "min_count", "days"),
            "blacklisted": ("categories", "days"),
            "commitment_breached": ("categories", "days", "field", "any_of"),
        }[self.kind]
        missing = [n for n in need if not getattr(self, n)]
        if missing:
            raise ValueError(f"rule {self.code} ({self.kind}) needs {', '.join(missing)}")
        return self


class WarningRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["warning_rules"]
    version: str
    rules: list[WarningRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> WarningRules:
        codes = [r.code for r in self.rules]
        if len(set(codes)) != len(codes):
            raise ValueError("rule codes repeat")
        return self
