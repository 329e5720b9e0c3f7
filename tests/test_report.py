"""Credit report PDF: sections, embedded Chinese font subset, QR code, stored hash; verification rejects changes."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from portal_kit import Seeded, seed_portal
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.common.errors import InvalidInput
from transport_credit.db.uow import Database
from transport_credit.portal import rules
from transport_credit.portal import service as portal
from transport_credit.portal.models import CreditReport
from transport_credit.portal.pdf import FontMissing, find_font
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings

OFFICE = Actor("信用办张三", "account", department_code="410000-fgc", roles=frozenset({ROLE_CREDIT_OFFICE}))
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "reports"


@pytest.fixture
def seeded(db: Database, settings: Settings) -> Seeded:
    return seed_portal(db, settings)


def _issue(db: Database, settings: Settings, subject_id: int) -> portal.IssuedReport:
    with db.unit_of_work() as s:
        return portal.issue_report(
            s, settings, subject_id, base_url="https://xy.example.gov.cn/", issuer="信用交通·河南"
        )


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("XY-7K3M-9QPA-2DWE", "XY-7K3M-9QPA-2DWE"),
        ("xy 2345 6789 ABCD", "XY-2345-6789-ABCD"),
        ("XY23456789ABCD", "XY-2345-6789-ABCD"),
        ("XY-2345-6789-ABC", None),
        ("XY-1345-6789-ABCD", None),  # 1 is not in the alphabet
        ("AB-2345-6789-ABCD", None),
        ("", None),
    ],
)
def test_normalize_report_code(raw: str, normalized: str | None) -> None:
    assert rules.normalize_report_code(raw) == normalized


def test_new_codes_round_trip() -> None:
    codes = {rules.new_report_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(rules.normalize_report_code(c) == c for c in codes)


def test_signature_binds_code_hash_subject_and_day() -> None:
    sig = rules.report_signature("k" * 32, "XY-2345-6789-ABCD", "ab" * 32, 7, dt.date(2026, 1, 2))
    assert rules.signature_ok("k" * 32, "XY-2345-6789-ABCD", "ab" * 32, 7, dt.date(2026, 1, 2), sig)
    assert not rules.signature_ok("k" * 32, "XY-2345-6789-ABCD", "ab" * 32, 8, dt.date(2026, 1, 2), sig)
    assert not rules.signature_ok("j" * 32, "XY-2345-6789-ABCD", "ab" * 32, 7, dt.date(2026, 1, 2), sig)


def test_report_pdf_embeds_a_chinese_font_subset_and_is_registered(
    db: Database, settings: Settings, seeded: Seeded
) -> None:
    started = time.perf_counter()
    issued = _issue(db, settings, seeded.org)
    elapsed = time.perf_counter() - started
    pdf = issued.pdf
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile3" in pdf  # the CFF font program is embedded …
    assert re.search(rb"/BaseFont /[A-Z]{6}\+NotoSansCJKSC", pdf)  # … as a subset (6-letter tag)
    assert b"/ToUnicode" in pdf  # text can be copied and searched
    assert len(pdf) < 400_000
    assert elapsed < 5  # the benchmark measures the ≤ 1 s goal on a quiet machine; this guards regressions
    with db.read() as s:
        stored = s.scalar(select(CreditReport).where(CreditReport.code == issued.code))
        assert stored is not None
        assert stored.sha256 == hashlib.sha256(pdf).hexdigest()
        assert stored.summary["行政处罚"] == 2
        assert stored.summary["信用评价结果"] == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(pdf)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm, pdftotext) not installed")
def test_report_renders_with_its_chinese_text(db: Database, settings: Settings, seeded: Seeded, tmp_path: Path) -> None:
    issued = _issue(db, settings, seeded.org)
    path = tmp_path / "report.pdf"
    path.write_bytes(issued.pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()
    for expected in (
        "信用报告",
        "主体身份信息",
        "洛阳顺达道路运输有限公司",
        "行政许可",
        "行政处罚",
        "信用评价结果",
        "红名单",
        "信用承诺",
        issued.code,
        "https://xy.example.gov.cn/verify/" + issued.code,
    ):
        assert expected in text, expected
    assert "洛交罚〔2024〕009号" not in text  # expired: not in the report
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path), str(ARTIFACTS / "report-page")], check=True
    )
    png = next(ARTIFACTS.glob("report-page*.png"))
    assert png.stat().st_size > 10_000  # a page with text, not blank


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_a_record_under_objection_is_marked_in_the_report(
    db: Database, settings: Settings, seeded: Seeded, tmp_path: Path
) -> None:
    """An accepted objection being handled marks its record 【异议处理中】; a merely submitted one does not."""
    with db.unit_of_work() as s:
        app = portal.submit_application(
            s,
            settings,
            portal.ApplicationInput(
                kind="objection",
                subject_id=seeded.org,
                record_id=seeded.records["penalty"],
                applicant_name="赵经理",
                contact="13812345678",
                reason="处罚决定书记载的车牌号有误。",
            ),
        )
    path = tmp_path / "report.pdf"

    def text() -> str:
        path.write_bytes(_issue(db, settings, seeded.org).pdf)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode()

    assert "【异议处理中】" not in text()
    with db.unit_of_work() as s:
        portal.accept_application(s, OFFICE, settings, app.id)
        title = s.get(CreditRecord, seeded.records["penalty"]).natural_key  # type: ignore[union-attr]
    marked = [line for line in text().splitlines() if "【异议处理中】" in line]
    assert len(marked) == 1
    assert title in marked[0]


def test_verification_accepts_the_issued_file_and_rejects_any_change(
    db: Database, settings: Settings, seeded: Seeded
) -> None:
    issued = _issue(db, settings, seeded.person)
    with db.read() as s:
        ok = portal.verify_report(s, settings, issued.code, issued.pdf)
        assert ok.genuine
        assert ok.file_matches is True
        just_code = portal.verify_report(s, settings, issued.code.replace("-", "").lower())
        assert just_code.genuine
        assert just_code.file_checked is False
        for altered in (issued.pdf + b"\n", issued.pdf.replace(b"/Title", b"/Titlf", 1), issued.pdf[:-10]):
            bad = portal.verify_report(s, settings, issued.code, altered)
            assert not bad.genuine
            assert bad.file_matches is False
        unknown = portal.verify_report(s, settings, "XY-2345-6789-ABCD", issued.pdf)
        assert not unknown.found
        with pytest.raises(InvalidInput) as err:
            portal.verify_report(s, settings, "nonsense")
        assert err.value.code == "invalid_report_code"
    # A database row changed behind the application's back fails the signature check.
    with db.unit_of_work() as s:
        s.execute(update(CreditReport).where(CreditReport.code == issued.code).values(sha256="0" * 64))
    with db.read() as s:
        tampered = portal.verify_report(s, settings, issued.code)
        assert not tampered.genuine
        assert "校验失败" in tampered.message


def test_report_of_a_person_is_masked(db: Database, settings: Settings, seeded: Seeded) -> None:
    issued = _issue(db, settings, seeded.person)
    with db.read() as s:
        stored = s.scalar(select(CreditReport).where(CreditReport.code == issued.code))
        assert stored is not None
        assert stored.subject_name == "李**"


def test_missing_font_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FontMissing) as err:
        find_font(tmp_path / "none.ttf")
    assert err.value.status == 503
    assert "字体" in err.value.message
