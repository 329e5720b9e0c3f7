"""Pure rules of the portal: verification codes, tracking numbers, report signatures, application checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

# Crockford-like alphabet: no 0/O, 1/I/L, U — codes are read off paper and typed by people.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_RE = re.compile(r"^XY([2-9A-HJKMNP-TV-Z]{12})$")
APPLICATION_KINDS = {"objection": "异议申请", "repair": "信用修复申请"}
# Website columns the credit office publishes to. 政务诚信 (seeds: 政务诚信公示; 主动公开民生实事项目和进展, 依法行政,
# 权力和责任清单): the department's own integrity, published like the others.
CONTENT_KINDS = {"policy": "政策文件", "notice": "通知公告", "integrity": "政务诚信"}
# The website path of each column's list.
CONTENT_PATHS = {"policy": "/policies", "notice": "/notices", "integrity": "/integrity"}
CONTENT_STATUSES = {"draft": "草稿", "published": "已发布", "withdrawn": "已撤回"}
_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
REASON_MIN, REASON_MAX = 10, 2000


def new_report_code() -> str:
    """A random verification code ``XY-XXXX-XXXX-XXXX`` (60 bits: unguessable)."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"XY-{body[:4]}-{body[4:8]}-{body[8:]}"


def normalize_report_code(raw: str) -> str | None:
    """``xy 7k3m-9qpa 2dwe`` → ``XY-7K3M-9QPA-2DWE``; ``None`` when it cannot be a code."""
    compact = re.sub(r"[\s\-—_]", "", raw.upper())
    m = _CODE_RE.match(compact)
    if not m:
        return None
    body = m.group(1)
    return f"XY-{body[:4]}-{body[4:8]}-{body[8:]}"


TRACKING_PREFIXES = {"objection": "YY", "repair": "XF", "declaration": "ZB"}


def new_tracking_no(kind: str, day: dt.date) -> str:
    """``YY20261123-7K3M9Q`` (异议) / ``XF…`` (修复) / ``ZB…`` (自主申报): readable date plus a random part."""
    prefix = TRACKING_PREFIXES.get(kind, "XF")
    return f"{prefix}{day:%Y%m%d}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def report_signature(secret: str, code: str, sha256: str, subject_id: int, as_of: dt.date) -> str:
    """HMAC-SHA256 binding the code, the PDF's hash, the subject and the day (detects a tampered database row)."""
    msg = f"{code}|{sha256}|{subject_id}|{as_of.isoformat()}".encode()
    return hmac.new(secret.encode("utf-8"), msg, hashlib.sha256).hexdigest()


def signature_ok(secret: str, code: str, sha256: str, subject_id: int, as_of: dt.date, signature: str) -> bool:
    return hmac.compare_digest(report_signature(secret, code, sha256, subject_id, as_of), signature)


def check_applicant(applicant_name: str, contact: str) -> dict[str, str]:
    """Field errors of the applicant's name and telephone (every form of the website that asks for them)."""
    errors: dict[str, str] = {}
    if not (2 <= len(applicant_name.strip()) <= 100):
        errors["applicant_name"] = "请填写申请人（2–100 个字符）"
    if not _PHONE_RE.match(contact.strip().replace(" ", "")):
        errors["contact"] = "请填写有效的手机号码或固定电话（如 0371-12345678）"
    return errors


def check_application(kind: str, applicant_name: str, contact: str, reason: str) -> dict[str, str]:
    """Field errors of an application form (field → Chinese message); empty when valid."""
    errors: dict[str, str] = {}
    if "\x00" in applicant_name + contact + reason:
        errors["reason"] = "申请内容含有无效字符"
        return errors
    if kind not in APPLICATION_KINDS:
        errors["kind"] = "请选择申请类型（异议或信用修复）"
    errors.update(check_applicant(applicant_name, contact))
    if not (REASON_MIN <= len(reason.strip()) <= REASON_MAX):
        errors["reason"] = f"请说明申请理由（{REASON_MIN}–{REASON_MAX} 个字）"
    return errors
