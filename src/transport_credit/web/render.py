"""Templates of the console: one Jinja2 environment, Chinese labels for the codes the services return."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from transport_credit.catalog.loader import load_province
from transport_credit.catalog.province import ProvinceConfig
from transport_credit.identifiers.regions import region_name
from transport_credit.ingest.codes import OUTCOME_LABELS

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
CHINA = ZoneInfo("Asia/Shanghai")

DISCLOSURE_LABELS = {"public": "社会公开", "shared": "政务共享", "private": "不公开"}
FIELD_TYPE_LABELS = {
    "string": "文本",
    "text": "长文本",
    "date": "日期",
    "amount_wan": "金额（万元）",
    "integer": "整数",
    "decimal": "数值",
    "enum": "枚举",
    "uscc": "统一社会信用代码",
    "id_number": "证件号码",
    "phone": "电话号码",
    "region": "行政区划代码",
    "plate": "车牌号",
}
SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "serious": "严重"}
RECORD_STATUS_LABELS = {"active": "有效", "revoked": "已撤销", "repaired": "已修复", "superseded": "已被更正"}
QUARANTINE_STATUS_LABELS = {"open": "待更正", "resubmitted": "已重新报送", "dismissed": "已关闭"}
CATEGORY_KIND_LABELS = {"dishonest": "失信信息", "honest": "守信信息", "neutral": "一般信息"}
SUBJECT_KIND_LABELS = {"org": "法人及非法人组织", "individual_business": "个体工商户", "person": "自然人"}
CHANNEL_LABELS = {"file": "文件导入", "api": "接口推送", "resubmit": "更正重报", "declaration": "自主申报采纳"}
ROLE_LABELS = {"admin": "系统管理员", "credit_office": "信用办", "data_officer": "数据报送员", "viewer": "查询用户"}
ALIAS_LABELS = {
    "reg_no": "工商注册号",
    "org_code": "组织机构代码",
    "tax_no": "税务登记号",
    "institution_no": "事业单位证书号",
    "social_org_no": "社会组织登记证号",
}
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市")


@functools.cache
def province(name: str) -> ProvinceConfig:
    """The province configuration (read once per process)."""
    return load_province(name)


def province_short_name(config: ProvinceConfig) -> str:
    """河南省 → 河南, 宁夏回族自治区 → 宁夏."""
    for suffix in _PROVINCE_SUFFIXES:
        if config.name.endswith(suffix) and len(config.name) > len(suffix):
            return config.name[: -len(suffix)]
    return config.name


def _datetime(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _date(value: dt.date | None) -> str:
    if value is None:
        return "—"
    if value >= dt.date(2099, 12, 31):
        return "长期"
    return value.strftime("%Y-%m-%d")


def _label(value: object, table: dict[str, str]) -> str:
    if value is None:
        return "—"
    return table.get(str(value), str(value))


def _region(code: str | None) -> str:
    if not code:
        return "—"
    name = region_name(code)
    return f"{name}（{code}）" if name else code


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _number(value: int | None) -> str:
    return "0" if value is None else f"{value:,}"


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
        datetime=_datetime,
        date=_date,
        region=_region,
        percent=_percent,
        number=_number,
        disclosure=lambda v: _label(v, DISCLOSURE_LABELS),
        field_type=lambda v: _label(v, FIELD_TYPE_LABELS),
        severity=lambda v: _label(v, SEVERITY_LABELS),
        record_status=lambda v: _label(v, RECORD_STATUS_LABELS),
        quarantine_status=lambda v: _label(v, QUARANTINE_STATUS_LABELS),
        category_kind=lambda v: _label(v, CATEGORY_KIND_LABELS),
        subject_kind=lambda v: _label(v, SUBJECT_KIND_LABELS),
        channel=lambda v: _label(v, CHANNEL_LABELS),
        role=lambda v: _label(v, ROLE_LABELS),
        alias_kind=lambda v: _label(v, ALIAS_LABELS),
        outcome=lambda v: _label(v, OUTCOME_LABELS),
    )
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(**context)
