"""Test data for the API tests (records as business systems send them)."""

from __future__ import annotations

from typing import Any

from transport_credit.identifiers.citizen_id import citizen_id_check_char

LICENSING_DEPT = "410000-ysj"  # 道路运输局: a source for XZXK and XZCF
ENFORCEMENT_DEPT = "410000-zfj"  # 执法局: a source for XZCF, not XZXK
AUTHORITY_USCC = "11410000MB0001011B"
ORG_USCC = "91350100M000100Y43"
BAD_CHECKSUM_USCC = "91350100M0001TGQXM"  # an early pilot code: checksum mismatch → warning, not rejection
_PERSON17 = "41010519900307123"
PERSON_ID = _PERSON17 + citizen_id_check_char(_PERSON17)


def licence(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid 行政许可 record keyed by standard Chinese names."""
    record: dict[str, Any] = {
        "行政相对人名称": "郑州顺达运输有限公司",
        "行政相对人类别": "法人及非法人组织",
        "行政相对人代码_1（统一社会信用代码）": ORG_USCC,
        "行政许可决定文书名称": "道路运输经营许可决定书",
        "行政许可决定文书号": f"豫运许〔2026〕{n}号",
        "许可类别": "普通",
        "许可内容": "道路普通货物运输",
        "许可决定日期": "2026-01-05",
        "有效期自": "2026-01-05",
        "有效期至": "2030-01-04",
        "许可机关": "河南省交通运输厅道路运输局",
        "许可机关统一社会信用代码": AUTHORITY_USCC,
        "当前状态": "有效",
        "法定代表人": "王五",
        "许可证书名称": "道路运输经营许可证",
        "许可编号": "豫交运管许可郑字410100000001号",
        "地方编码": "410100",
        "行业领域": "道路运输",
        "二级领域": "道路货物运输",
        "备注": "无",
    }
    record.update(overrides)
    return record


def person_licence(n: int) -> dict[str, Any]:
    """A licence for a natural person, keyed by field keys (the API accepts both)."""
    record = {k: v for k, v in licence(n).items() if not k.startswith("行政相对人") and k != "法定代表人"}
    record.update({"subject_name": "张三", "subject_kind": "自然人", "id_type": "01", "id_number": PERSON_ID})
    return record
