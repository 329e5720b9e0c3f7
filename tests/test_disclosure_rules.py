"""Disclosure rules as tables of cases: visibility, field levels, masking of names, IDs and phones in text."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transport_credit.catalog.loader import shipped_documents
from transport_credit.catalog.rules import merge_catalog
from transport_credit.disclosure.rules import (
    is_publicly_shown,
    load_policy,
    public_fields,
    public_subject_name,
    record_title,
    scrub_text,
)
from transport_credit.identifiers.citizen_id import citizen_id_check_char

POLICY = load_policy()
TODAY = dt.date(2026, 6, 1)
ID17 = "41030219900101123"
ID18 = ID17 + citizen_id_check_char(ID17)


@pytest.mark.parametrize(
    ("is_current", "status", "start", "end", "shown"),
    [
        (True, "active", dt.date(2026, 5, 1), dt.date(2027, 5, 1), True),
        (True, "active", None, None, True),
        (True, "active", dt.date(2026, 6, 1), dt.date(2026, 6, 2), True),  # first day
        (True, "active", dt.date(2025, 6, 1), dt.date(2026, 6, 1), False),  # end is exclusive
        (True, "active", dt.date(2026, 6, 2), None, False),  # not yet started
        (False, "active", dt.date(2026, 5, 1), None, False),  # superseded revision
        (True, "repaired", dt.date(2026, 5, 1), None, False),
        (True, "revoked", dt.date(2026, 5, 1), None, False),
        (True, "removed", dt.date(2026, 5, 1), None, False),
        (True, "superseded", dt.date(2026, 5, 1), None, False),
    ],
)
def test_visibility(is_current: bool, status: str, start: dt.date | None, end: dt.date | None, shown: bool) -> None:
    assert (
        is_publicly_shown(
            POLICY, is_current=is_current, status=status, publicity_start=start, publicity_end=end, today=TODAY
        )
        is shown
    )


@pytest.mark.parametrize(
    ("kind", "name", "shown"),
    [
        ("org", "洛阳顺达道路运输有限公司", "洛阳顺达道路运输有限公司"),
        ("individual_business", "洛阳市老城区王记汽车修理部", "洛阳市老城区王记汽车修理部"),
        ("person", "李四光", "李**"),
        ("person", "欧阳娜娜", "欧***"),
        ("person", "王", "*"),
    ],
)
def test_subject_names(kind: str, name: str, shown: str) -> None:
    assert public_subject_name(POLICY, kind, name) == shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证号{ID18}。", "身份证号4103**********" + ID18[-4:] + "。"),
        ("电话13812345678", "电话138****5678"),
        ("统一社会信用代码91410300MA0001000C", "统一社会信用代码91410300MA0001000C"),  # a USCC is not an ID
        ("罚款5000元，文号洛交罚〔2026〕001号", "罚款5000元，文号洛交罚〔2026〕001号"),
        ("订单号 123456789012345678901", "订单号 123456789012345678901"),  # no ID inside: left alone
        (f"编号0{ID18}", "编号04" + "*" * 15 + ID18[-2:]),  # an ID glued to other digits is still masked
        ("旧证号410302900101123", "旧证号41***********23"),  # 15-digit ID
    ],
)
def test_scrub_text(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


@given(st.text(alphabet="0123456789Xx，。 号码电话", max_size=60))
def test_scrubbed_text_never_holds_an_id_or_mobile(text: str) -> None:
    out = scrub_text(text + ID18 + "，" + "13912345678")
    assert ID18 not in out
    assert "13912345678" not in out


def test_public_fields_drop_private_levels_and_mask_people() -> None:
    catalog = merge_catalog(d.document for d in shipped_documents("henan"))
    cat = catalog.category("XZCF")
    data = {
        "subject_name": "李四光",
        "subject_kind": "自然人",
        "id_type": "01",
        "id_number": ID18,
        "legal_rep": "李四光",
        "legal_rep_id_number": ID18,
        "violation_facts": f"当事人李四光（{ID18}）无证营运",
        "decision_no": "洛交罚〔2026〕005号",
    }
    shown = public_fields(POLICY, cat, data, "person")
    assert "证件号码" not in shown
    assert "法定代表人证件号码" not in shown
    assert shown["行政相对人名称"] == "李**"
    assert ID18 not in str(shown)
    assert "李四光" not in str(shown)
    assert shown["行政处罚决定书文号"] == "洛交罚〔2026〕005号"
    org = public_fields(POLICY, cat, {**data, "subject_name": "顺达公司", "legal_rep": "张三"}, "org")
    assert org["行政相对人名称"] == "顺达公司"
    assert org["法定代表人"] == "张三"
    assert record_title(POLICY, data, "key") == "洛交罚〔2026〕005号"


def test_policy_file_is_validated() -> None:
    assert POLICY.version
    assert [s.code for s in POLICY.sections][:2] == ["XZXK", "XZCF"]
    assert "id_number" in POLICY.masked_field_types
