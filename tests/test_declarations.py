"""信用信息自主申报 on the real database: a company declares an award on the website; the catalog's rules check it
(nothing written by the check); the credit office adopts it as a 表彰奖励 record through the import pipeline, or
rejects it; the public credit file shows the adopted record with its origin; rights, conflicts, personal data."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent / "ingest"))
sys.path.insert(0, str(Path(__file__).parent / "lists"))

from ingest_kit import import_table, penalty_row, person_penalty_row, uscc
from lists_kit import OFFICE, OFFICER, PERSON_ID, VIEWER

from transport_credit.audit.models import AuditEntry
from transport_credit.bootstrap import initialize
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.disclosure import service as disclosure
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.portal import declarations
from transport_credit.portal.models import CreditDeclaration
from transport_credit.records.models import CreditRecord
from transport_credit.reminders.models import Reminder
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

AWARD = {
    "decision_no": "豫交表〔2026〕18号",
    "award_name": "2025年度诚信道路运输企业",
    "award_level": "",
    "award_content": "在道路货物运输诚信经营考核中成绩优异",
    "decision_date": "2026-03-15",
    "authority": "河南省交通运输厅",
    "domain": "道路运输",
}


@pytest.fixture
def platform(db: Database, settings: Settings, tmp_path: Path) -> Database:
    """A company (penalty 1) and a person (penalty 2) known to the platform."""
    initialize(db, settings)
    import_table(db, settings, tmp_path / "p.csv", [penalty_row(1), person_penalty_row(2, PERSON_ID)])
    return db


def _company(db: Database) -> int:
    with db.read() as s:
        found = s.scalar(select(Subject.id).where(Subject.uscc == uscc(1)))
    assert found is not None
    return found


def _submit(db: Database, settings: Settings, subject_id: int, **changes: str) -> CreditDeclaration:
    with db.unit_of_work() as s:
        d = declarations.submit_declaration(
            s,
            settings,
            subject_id=subject_id,
            category="BZJL",
            fields={**AWARD, **changes},
            applicant_name="王经理",
            contact="13812345678",
            statement="表彰文件见河南省交通运输厅官网通知公告栏目。",
        )
        s.expunge(d)
    return d


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as s:
        return (
            int(s.scalar(select(func.count()).select_from(CreditRecord)) or 0),
            int(s.scalar(select(func.count()).select_from(Batch)) or 0),
            int(s.scalar(select(func.count()).select_from(QuarantineRow)) or 0),
        )


def test_a_declaration_is_checked_by_the_catalog_and_adopted_as_a_record(
    platform: Database, settings: Settings
) -> None:
    db = platform
    company = _company(db)
    before = _counts(db)
    d = _submit(db, settings, company)
    assert d.tracking_no.startswith("ZB")
    assert d.status == "received"
    assert _counts(db) == before  # the check wrote nothing: no record, batch or quarantine row
    assert d.contact_masked != "13812345678"
    assert b"13812345678" not in d.contact_cipher  # the phone number is encrypted
    with db.read() as s:
        assert declarations.declaration_status(s, d.tracking_no.lower()).id == d.id

    with db.unit_of_work() as s:
        adopted = declarations.adopt_declaration(s, OFFICE, settings, d.id, reply="经核实，表彰信息属实，予以采纳。")
        record_id = adopted.record_id
    assert record_id is not None
    with db.read() as s:
        record = s.get(CreditRecord, record_id)
        assert record is not None
        assert (record.category, record.natural_key, record.subject_id) == ("BZJL", AWARD["decision_no"], company)
        assert record.department_code == OFFICE.department_code
        batch = s.get(Batch, record.batch_id)
        assert batch is not None
        assert batch.channel == "declaration"  # provenance: adopted from a 自主申报
        assert "主体自主申报" in record.data["remarks"]
        assert record.data["source_unit"] == "河南省交通运输厅法规处（信用办）"
        public = disclosure.public_subject(s, company, per_section=10)
        titles = [r.title for _code, _name, records in public.sections for r in records]
        assert AWARD["decision_no"] in titles  # on the public credit file
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.target_id == d.tracking_no)))
        assert actions == {"portal.declaration.adopt"}
        text = " ".join(str(e.details) for e in s.scalars(select(AuditEntry)))
        assert "13812345678" not in text  # never in the audit log
    with db.unit_of_work() as s, pytest.raises(Conflict):
        declarations.reject_declaration(s, OFFICE, settings, d.id, reply="重复处理的尝试。")
    with db.read() as s:  # the declarant heard of both steps (信用提醒), the number masked
        sent = s.scalars(select(Reminder).where(Reminder.ref == d.tracking_no).order_by(Reminder.id)).all()
        assert [r.kind for r in sent] == ["declaration_received", "declaration_decided"]
        assert {r.recipient_masked for r in sent} == {"138****5678"}
        assert f"您申报的表彰奖励信息已提交，受理编号{d.tracking_no}" in sent[0].text
        assert "已核实办结：已采纳，记入信用档案" in sent[1].text


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"decision_date": "2026-13-40"}, "decision_date", "日期无法识别"),
        ({"award_name": ""}, "award_name", "表彰奖励名称"),
        ({"domain": "航空运输"}, "domain", "行业领域"),
        ({"authority_uscc": "91410100MA0000001"}, "authority_uscc", "统一社会信用代码"),
    ],
)
def test_bad_fields_get_the_catalogs_chinese_messages_and_nothing_is_stored(
    platform: Database, settings: Settings, changes: dict[str, str], field: str, words: str
) -> None:
    before = _counts(platform)
    with pytest.raises(InvalidInput) as err:
        _submit(platform, settings, _company(platform), **changes)
    assert err.value.code == "invalid_declaration"
    assert field in err.value.details
    assert words in err.value.details[field]
    assert _counts(platform) == before
    with platform.read() as s:
        assert s.scalar(select(func.count()).select_from(CreditDeclaration)) == 0


def test_applicant_statement_subject_and_category_are_checked(platform: Database, settings: Settings) -> None:
    db = platform
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as err:
        declarations.submit_declaration(
            s,
            settings,
            subject_id=_company(db),
            category="BZJL",
            fields=AWARD,
            applicant_name="王",
            contact="12345",
            statement="太短",
        )
    assert set(err.value.details) == {"applicant_name", "contact", "statement"}
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as err:
        declarations.submit_declaration(
            s,
            settings,
            subject_id=_company(db),
            category="XZCF",  # a penalty cannot be self-declared
            fields=AWARD,
            applicant_name="王经理",
            contact="13812345678",
            statement="表彰文件见河南省交通运输厅官网。",
        )
    assert err.value.code == "category_not_declarable"
    with db.read() as s:
        person = s.scalar(select(Subject.id).where(Subject.kind == "person"))
    assert person is not None
    with pytest.raises(InvalidInput) as err:
        _submit(db, settings, person)
    assert err.value.code == "subject_not_declarable"
    with pytest.raises(NotFound):
        _submit(db, settings, 999_999)


def test_information_already_on_record_is_not_declared_again(platform: Database, settings: Settings) -> None:
    db = platform
    first = _submit(db, settings, _company(db))
    with db.unit_of_work() as s:
        declarations.adopt_declaration(s, OFFICE, settings, first.id, reply="经核实，予以采纳。")
    with pytest.raises(InvalidInput) as err:
        _submit(db, settings, _company(db))
    assert "平台已有该文号" in err.value.details["decision_no"]


def test_rejection_and_rights(platform: Database, settings: Settings) -> None:
    db = platform
    d = _submit(db, settings, _company(db))
    for actor in (OFFICER, VIEWER):
        with db.unit_of_work() as s, pytest.raises(PermissionDenied):
            declarations.adopt_declaration(s, actor, settings, d.id, reply="经核实，予以采纳。")
    with db.read() as s:
        assert [x.id for x in declarations.list_declarations(s, VIEWER, "open")] == [d.id]  # viewers may read
        with pytest.raises(PermissionDenied):
            declarations.list_declarations(s, OFFICER)
    with db.unit_of_work() as s, pytest.raises(InvalidInput):
        declarations.reject_declaration(s, OFFICE, settings, d.id, reply="")  # a reason is required
    with db.unit_of_work() as s:
        rejected = declarations.reject_declaration(s, OFFICE, settings, d.id, reply="未能在表彰单位官网查到该文件。")
        assert rejected.status == "rejected"
        decided = s.scalar(select(Reminder.text).where(Reminder.kind == "declaration_decided"))
        assert decided is not None
        assert "已核实办结：不予采纳" in decided
    with db.read() as s:
        assert declarations.list_declarations(s, OFFICE, "open") == []
        assert [x.id for x in declarations.list_declarations(s, OFFICE, "closed")] == [d.id]
        assert s.scalar(select(func.count()).where(CreditRecord.category == "BZJL")) == 0


def test_the_deadline_is_in_working_days(platform: Database, settings: Settings) -> None:
    with platform.unit_of_work() as s:
        d = declarations.submit_declaration(
            s,
            settings,
            subject_id=_company(platform),
            category="BZJL",
            fields=AWARD,
            applicant_name="王经理",
            contact="0371-12345678",
            statement="表彰文件见河南省交通运输厅官网通知公告栏目。",
            today=dt.date(2026, 9, 30),  # the day before the National Day holiday
        )
        assert d.decide_due > dt.date(2026, 10, 14)  # 10 working days, the holiday not counted


# --- the website ------------------------------------------------------------------------------------------------


def _post(client: object, subject: int, **changes: str) -> object:
    data = {
        "subject_id": str(subject),
        "category": "BZJL",
        "applicant_name": "王经理",
        "contact": "13812345678",
        "statement": "表彰文件见河南省交通运输厅官网通知公告栏目。",
        **{f"f_{k}": v for k, v in AWARD.items()},
        **changes,
    }
    return client.post("/declare", data=data)  # type: ignore[attr-defined]


def test_the_website_form_status_and_credit_file(platform: Database, settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from transport_credit.server import create_app

    company = _company(platform)
    with TestClient(create_app(settings, platform)) as client:
        subject_page = client.get(f"/subjects/{company}").text
        assert f'href="/declare?subject={company}"' in subject_page
        form = client.get("/declare", params={"subject": company})
        assert form.status_code == 200
        assert 'name="f_award_name"' in form.text  # the catalog's fields, by their Chinese names
        assert "表彰奖励名称" in form.text
        assert 'type="date"' in form.text
        bad = _post(client, company, f_decision_date="2026-13-40", contact="123")
        assert bad.status_code == 422  # type: ignore[attr-defined]
        assert "日期无法识别" in bad.text  # type: ignore[attr-defined]
        assert "有效的手机号码" in bad.text  # type: ignore[attr-defined]
        assert 'value="2025年度诚信道路运输企业"' in bad.text  # type: ignore[attr-defined]  # what was typed stays
        good = _post(client, company)
        assert good.status_code == 200  # type: ignore[attr-defined]
        with platform.read() as s:
            d = s.scalars(select(CreditDeclaration)).one()
            s.expunge(d)
        assert d.tracking_no in good.text  # type: ignore[attr-defined]
        assert "13812345678" not in good.text  # type: ignore[attr-defined]
        status = client.get("/declare/status", params={"no": d.tracking_no})
        assert "已提交，待核实" in status.text
        with platform.unit_of_work() as s:
            declarations.adopt_declaration(s, OFFICE, settings, d.id, reply="经核实，表彰信息属实，予以采纳。")
        status = client.get("/declare/status", params={"no": d.tracking_no})
        assert "已核实采纳" in status.text
        assert 'id="record-link"' in status.text
        assert AWARD["decision_no"] in client.get(f"/subjects/{company}").text  # on the public credit file
        assert client.get("/declare/status", params={"no": "ZB20260101-XXXXXX"}).status_code == 404
        assert client.post("/declare", data={"subject_id": "x"}).status_code == 422
        with platform.read() as s:
            person = s.scalar(select(Subject.id).where(Subject.kind == "person"))
        assert 'id="declare-link"' not in client.get(f"/subjects/{person}").text  # companies only


def test_the_console_adopts_and_rejects(platform: Database, settings: Settings, cheap_hashing: None) -> None:
    sys.path.insert(0, str(Path(__file__).parent / "web"))
    from console_kit import CITY_DEPT, CREDIT_OFFICE, MANAGER, OFFICER, PASSWORD, csrf_of, login
    from fastapi.testclient import TestClient

    from transport_credit.auth import service as auth
    from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM
    from transport_credit.server import create_app

    with platform.unit_of_work() as s:
        auth.create_account(s, SYSTEM, MANAGER, "信用办管理员", PASSWORD, CREDIT_OFFICE, [ROLE_CREDIT_OFFICE])
        auth.create_account(s, SYSTEM, OFFICER, "郑州报送员", PASSWORD, CITY_DEPT, [ROLE_DATA_OFFICER])
    company = _company(platform)
    first = _submit(platform, settings, company)
    second = _submit(platform, settings, company, f_decision_no="豫交表〔2026〕19号")
    with TestClient(create_app(settings, platform), base_url="http://testserver") as client:
        login(client, MANAGER)
        home = client.get("/console").text
        assert 'href="/console/portal/declarations"' in home  # in the navigation
        card = home.split("待核实的信用信息自主申报")[0].rsplit('class="worklist-count"', 1)[1]
        assert ">2<" in card.replace(" ", "")  # the 工作台 counts the two waiting declarations
        queue = client.get("/console/portal/declarations")
        assert first.tracking_no in queue.text
        assert "表彰奖励：2025年度诚信道路运输企业" in queue.text  # what was declared, in a few words
        assert second.tracking_no in queue.text
        page = client.get(f"/console/portal/declarations/{first.id}")
        assert "2025年度诚信道路运输企业" in page.text
        assert "表彰奖励名称" in page.text  # the catalog's labels
        assert "13812345678" not in page.text  # the phone is masked
        empty = client.post(
            f"/console/portal/declarations/{first.id}/reject", data={"csrf_token": csrf_of(page.text), "reply": ""}
        )
        assert empty.status_code == 422
        assert 'id="error"' in empty.text
        adopted = client.post(
            f"/console/portal/declarations/{first.id}/adopt",
            data={"csrf_token": csrf_of(page.text), "reply": "经核实，表彰信息属实，予以采纳。"},
            follow_redirects=True,
        )
        assert adopted.status_code == 200
        assert 'id="done"' in adopted.text
        assert "已核实采纳" in adopted.text
        assert 'id="adopt-form"' not in adopted.text  # decided: no more forms
        history = re.search(r'href="(/console/records\?category=BZJL&amp;key=[^"]+)" id="record"', adopted.text)
        assert history is not None  # the adopted record's history, by its natural key
        assert AWARD["decision_no"] in client.get(history.group(1).replace("&amp;", "&")).text
        rejected = client.post(
            f"/console/portal/declarations/{second.id}/reject",
            data={"csrf_token": csrf_of(page.text), "reply": "未能在表彰单位官网查到该文件。"},
            follow_redirects=True,
        )
        assert "不予采纳" in rejected.text
        again = client.post(
            f"/console/portal/declarations/{second.id}/adopt",
            data={"csrf_token": csrf_of(page.text), "reply": "经核实，予以采纳。"},
        )
        assert again.status_code == 409
        closed = client.get("/console/portal/declarations", params={"view": "closed"}).text
        assert first.tracking_no in closed
        assert second.tracking_no in closed
        no_csrf = client.post(f"/console/portal/declarations/{first.id}/reject", data={"reply": "没有令牌的请求。"})
        assert no_csrf.status_code == 403
        login(client, OFFICER)
        assert 'href="/console/portal/declarations"' not in client.get("/console").text
        assert client.get("/console/portal/declarations").status_code == 403
    with platform.read() as s:
        assert s.scalar(select(func.count()).where(CreditRecord.category == "BZJL")) == 1


@pytest.mark.browser
def test_a_company_declares_an_award_in_a_browser(platform: Database, settings: Settings) -> None:
    from playwright.sync_api import expect

    from browser_kit import launch, serve, shot
    from transport_credit.server import create_app

    company = _company(platform)
    with serve(create_app(settings, platform)) as base, launch() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        try:
            p = context.new_page()
            p.goto(f"{base}/subjects/{company}")
            p.locator("#declare-link").click()
            expect(p.locator("h1")).to_have_text("信用信息自主申报")
            p.get_by_label("表彰决定文号 *").fill(AWARD["decision_no"])
            p.get_by_label("表彰奖励名称 *").fill(AWARD["award_name"])
            p.get_by_label("表彰日期 *").fill("2026-03-15")
            p.get_by_label("表彰单位 *").fill(AWARD["authority"])
            p.get_by_label("行业领域").select_option("道路运输")
            p.get_by_label("申报说明（信息来源、可供核实的途径）").fill("表彰文件见河南省交通运输厅官网通知公告栏目。")
            p.get_by_label("申报人（单位联系人）").fill("王经理")
            p.get_by_label("联系电话").fill("12345")  # wrong: the page says so and keeps what was typed
            p.locator("#declare-submit").click()
            expect(p.locator("#d-contact-err")).to_contain_text("有效的手机号码")
            expect(p.get_by_label("表彰奖励名称 *")).to_have_value(AWARD["award_name"])
            p.get_by_label("联系电话").fill("13812345678")
            p.locator("#declare-submit").click()
            expect(p.locator("h1")).to_have_text("申报已提交")
            tracking = p.locator("#tracking-no").inner_text()
            assert tracking.startswith("ZB")
            shot(p, "site-declared")
            with platform.read() as s:
                d = s.scalars(select(CreditDeclaration)).one()
                declaration_id = d.id
            with platform.unit_of_work() as s:
                declarations.adopt_declaration(s, OFFICE, settings, declaration_id, reply="经核实，予以采纳。")
            p.goto(f"{base}/declare/status?no={tracking}")
            expect(p.locator("#status-label")).to_have_text("已核实采纳，已记入信用档案")
            p.locator("#record-link").click()
            expect(p.locator("body")).to_contain_text("主体自主申报")
        finally:
            context.close()


COMMITMENT = {
    "commitment_type": "主动型",
    "commitment_matter": "守法诚信经营",
    "commitment_content": "本单位承诺依法依规从事道路货物运输经营，不超限超载，接受社会监督。",
    "decision_date": "2026-10-08",
    "valid_until": "2027-10-07",
    "domain": "道路运输",
}


def test_a_company_makes_a_commitment_to_the_public(platform: Database, settings: Settings) -> None:
    """主动型 and 行业自律型 commitments are declared like an award: checked by the catalog, adopted by the credit
    office as a 信用承诺 record numbered with the declaration's tracking number, accepted by the office, 履约中."""
    from fastapi.testclient import TestClient

    from transport_credit.server import create_app

    company = _company(platform)
    with pytest.raises(InvalidInput) as refused, platform.unit_of_work() as s:
        declarations.submit_declaration(
            s,
            settings,
            subject_id=company,
            category="XYCN",
            fields={**COMMITMENT, "commitment_type": "审批替代型"},  # made in an approval, not declared
            applicant_name="王经理",
            contact="13812345678",
            statement="承诺书原件存于本单位，可来电核实。",
        )
    assert refused.value.details["commitment_type"] == "「承诺类型」可以申报的是：主动型、行业自律型"
    with platform.unit_of_work() as s:
        d = declarations.submit_declaration(
            s,
            settings,
            subject_id=company,
            category="XYCN",
            fields=COMMITMENT,
            applicant_name="王经理",
            contact="13812345678",
            statement="承诺书原件存于本单位，可来电核实。",
        )
        tracking = d.tracking_no
        assert d.fields["commitment_no"] == tracking
    with platform.unit_of_work() as s:
        [view] = declarations.list_declarations(s, OFFICE, "open")
        assert ("承诺书编号", tracking) in view.fields  # named as the catalog names it
        adopted = declarations.adopt_declaration(s, OFFICE, settings, d.id, reply="经核实，承诺已签署，予以公示。")
        record = s.get(CreditRecord, adopted.record_id)
        assert record is not None
        assert (record.category, record.natural_key) == ("XYCN", tracking)
        assert record.data["accepting_unit"] == "河南省交通运输厅法规处（信用办）"
        assert record.data["fulfilment"] == "履约中"
        assert record.data["commitment_type"] == "主动型"
        assert record.data["remarks"].endswith("核实采纳】")
    with TestClient(create_app(settings, platform)) as client:
        form = client.get("/declare", params={"subject": company, "category": "XYCN"})
        assert 'name="f_commitment_content"' in form.text
        assert "<option>审批替代型</option>" not in form.text  # only what may be declared is offered
        assert "<option>行业自律型</option>" in form.text
        assert 'name="f_award_name"' not in form.text
        public = client.get("/commitments", params={"commitment_type": "主动型"})
        assert tracking in public.text
