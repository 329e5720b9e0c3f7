"""Row-level result codes (machine-readable) and their Chinese message templates.

Messages never repeat the value of a personal-information field.
"""

from __future__ import annotations

from typing import Final, Literal

Outcome = Literal["accepted", "warned", "rejected", "unchanged", "revised"]

OUTCOME_LABELS: Final[dict[str, str]] = {
    "accepted": "已接收",
    "warned": "已接收（有警告）",
    "rejected": "已拒收",
    "unchanged": "无变化",
    "revised": "已更正（新版本）",
}

# code → (severity, description used in docs and in the template download)
CODES: Final[dict[str, tuple[Literal["error", "warning"], str]]] = {
    "missing_mandatory": ("error", "必填项为空"),
    "too_long": ("error", "内容超过最大长度"),
    "invalid_enum": ("error", "取值不在允许范围内"),
    "invalid_date": ("error", "日期无法识别"),
    "future_date": ("error", "日期晚于今天"),
    "date_order": ("error", "日期先后顺序错误"),
    "invalid_amount": ("error", "金额无效"),
    "negative_amount": ("error", "金额为负数"),
    "invalid_number": ("error", "数字无效"),
    "invalid_pattern": ("error", "格式不符合要求"),
    "invalid_region": ("error", "行政区划代码无效"),
    "invalid_plate": ("error", "车牌号无效"),
    "uscc_malformed": ("error", "统一社会信用代码格式错误"),
    "reg_no_required": ("error", "个体工商户使用 17 个 0 加 X 时工商注册号必填"),
    "id_malformed": ("error", "身份证号码格式错误"),
    "id_checksum": ("error", "身份证号码校验位不符"),
    "subject_kind_not_allowed": ("error", "该类别不接受此类主体"),
    "subject_unidentified": ("error", "无法识别信用主体（缺少统一社会信用代码或证件号码）"),
    "duplicate_in_file": ("error", "同一批次内记录重复且内容不同"),
    "uscc_checksum": ("warning", "统一社会信用代码校验位不符，需人工核实"),
    "amount_unit_suspect": ("warning", "数值偏大（如金额疑似以元填报），请核实"),
    "low_quality": ("warning", "数据项完整率不高于合格线（默认 60%）"),
    "id_legacy_15": ("warning", "15 位旧身份证号码已转换为 18 位"),
    "control_characters": ("warning", "含有不可见的控制字符（如空字符），已删除"),
}


def is_error(code: str) -> bool:
    return CODES[code][0] == "error"
