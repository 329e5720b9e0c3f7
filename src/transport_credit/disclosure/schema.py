"""Schema of the disclosure policy file (``data/disclosure/*.yaml``), validated at load."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transport_credit.catalog.schema import FieldType, SubjectKind

NameDisplay = Literal["full", "surname"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Section(_Strict):
    code: str = Field(description="catalog category code")
    title: str


class DisclosurePolicy(_Strict):
    """The public-disclosure rules (社会公开规则)."""

    kind: Literal["disclosure"] = "disclosure"
    version: str
    name: str
    basis: str
    subject_name: dict[SubjectKind, NameDisplay]
    person_name_fields: dict[SubjectKind, list[str]]
    masked_field_types: list[FieldType]
    shown_statuses: list[str] = Field(min_length=1)
    sections: list[Section] = Field(min_length=1)
    dual_publicity: list[str]
    lists: list[str]
    commitments: list[str] = Field(default_factory=list, description="信用承诺 categories offered as a public list")
    evaluations: list[str] = Field(default_factory=list, description="信用评价结果 categories offered as a public list")
    field_filters: dict[str, list[str]] = Field(
        default_factory=dict,
        description="category → public field keys the public lists and exports can be filtered by",
    )
    field_values: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict,
        description="category → field → the values offered for a filterable field that is not an enumeration",
    )
    title_fields: list[str]

    def public_list_categories(self) -> list[str]:
        """Every category offered as a browsable public list or an open-data download."""
        return [*self.dual_publicity, *self.lists, *self.commitments, *self.evaluations]

    @model_validator(mode="after")
    def _complete(self) -> DisclosurePolicy:
        kinds = {"org", "individual_business", "person"}
        if set(self.subject_name) != kinds or set(self.person_name_fields) != kinds:
            raise ValueError("subject_name and person_name_fields must cover org, individual_business and person")
        if "id_number" not in self.masked_field_types:
            raise ValueError("masked_field_types must include id_number")
        codes = [s.code for s in self.sections]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate section codes")
        return self

    def section_title(self, code: str) -> str | None:
        for s in self.sections:
            if s.code == code:
                return s.title
        return None
