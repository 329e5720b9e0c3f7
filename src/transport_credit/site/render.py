"""Templates of the public website: one Jinja2 environment, Chinese labels, the province's names."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from transport_credit.identifiers.regions import region_name
from transport_credit.portal.handling import STATUS_LABELS
from transport_credit.portal.rules import APPLICATION_KINDS

SITE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = SITE_DIR / "templates"
STATIC_DIR = SITE_DIR / "static"
CHINA = ZoneInfo("Asia/Shanghai")
SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}
KIND_LABELS = {"org": "法人及非法人组织", "individual_business": "个体工商户", "person": "自然人"}
CASE_KIND_LABELS = {"reward": "守信激励", "punishment": "失信惩戒"}
APPLICATION_KIND_LABELS = APPLICATION_KINDS
APPLICATION_STATUS_LABELS = STATUS_LABELS


def _date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.astimezone(CHINA).strftime("%Y-%m-%d")
    if value.year >= 2099:
        return "长期"
    return value.isoformat()


def _datetime(value: dt.datetime | None) -> str:
    return "—" if value is None else value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _region(code: str | None) -> str:
    if not code:
        return "—"
    return region_name(code) or code


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date=_date,
        datetime=_datetime,
        region=_region,
        severity=lambda v: SEVERITY_LABELS.get(v, v or "—"),
        subject_kind=lambda v: KIND_LABELS.get(v, v),
        case_kind=lambda v: CASE_KIND_LABELS.get(v, v),
        application_kind=lambda v: APPLICATION_KIND_LABELS.get(v, v),
        application_status=lambda v: APPLICATION_STATUS_LABELS.get(v, v),
        number=lambda v: f"{v or 0:,}",
    )
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(**context)
