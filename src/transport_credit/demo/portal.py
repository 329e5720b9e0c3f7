"""Demo step of the public website: policy documents and notices, credit commitments, a few applications.

Runs after the records are imported (and after the lists step): content is published by the credit office as on
the console; commitments (信用承诺, XYCN) are written as credit records of the accepting city bureaus; a few
objection and repair applications are submitted against records on public display, as a citizen would.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from transport_credit.catalog.loader import load_province
from transport_credit.catalog.rules import add_months
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.db.uow import Database
from transport_credit.disclosure.rules import china_today, load_policy
from transport_credit.disclosure.service import shown_filter
from transport_credit.portal import declarations, transfers
from transport_credit.portal import service as portal
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import write_revision
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

COMMITMENTS = 30


@dataclass
class PortalDemoReport:
    contents: int = 0
    commitments: int = 0
    applications: int = 0
    declarations: int = 0


# (kind, the step the demo leaves it at)
_DEMO_APPLICATIONS = (
    ("objection", "answered"),
    ("repair", "accepted"),
    ("objection", "new"),
    ("objection", "accepted"),
)


def _contents(province_name: str, authority: str, office: str, today: dt.date) -> list[portal.ContentInput]:
    short = province_name.removesuffix("省").removesuffix("回族自治区")
    return [
        portal.ContentInput(
            kind="policy",
            title=f"{short}交通运输信用信息管理办法",
            doc_no=f"{short[:1]}交规〔{today.year}〕1号",
            issuer=authority,
            summary="规范交通运输信用信息的归集、公开、共享和使用。",
            body="第一条 为规范全省交通运输信用信息管理，根据有关法律法规，制定本办法。\n"
            "第二条 本办法所称信用信息，是指交通运输管理部门在履行职责过程中产生或者获取的信用主体信息。\n"
            "第三条 行政许可和行政处罚信息自作出决定之日起7个工作日内向社会公示。",
            published_on=today - dt.timedelta(days=60),
        ),
        portal.ContentInput(
            kind="policy",
            title=f"{short}交通运输守信联合激励和失信联合惩戒对象名单管理实施细则",
            doc_no=f"{short[:1]}交规〔{today.year}〕3号",
            issuer=authority,
            body="第一条 为做好红黑名单认定和管理工作，"
            "依据《交通运输守信联合激励和失信联合惩戒对象名单管理办法（试行）》，制定本细则。\n"
            "第二条 名单的认定、告知、公示、移出适用本细则。",
            published_on=today - dt.timedelta(days=30),
        ),
        portal.ContentInput(
            kind="policy",
            title="信用修复管理办法（国家发展改革委）",
            issuer="国家发展改革委",
            body="失信信息公示期限：轻微失信原则上不公示；一般失信最短3个月、最长1年；严重失信最短1年、最长3年。"
            "公示期满最短期限、履行相关义务并作出信用承诺的，可申请信用修复。",
            published_on=today - dt.timedelta(days=90),
        ),
        portal.ContentInput(
            kind="integrity",
            title=f"{today.year}年交通运输民生实事项目进展情况",
            issuer=authority,
            summary="农村公路、城乡客运一体化、出租汽车电召服务等民生实事项目的进展。",
            body=f"按照{short}政务公开工作要求，现将本年度交通运输民生实事项目进展情况公布如下：\n"
            "一、新改建农村公路：年度任务已完成约七成，其余项目正在加紧施工。\n"
            "二、城乡客运一体化：新增通客车建制村已全部完成线路审批，正在组织车辆投放。\n"
            "三、出租汽车电召服务：全部设区市已开通统一电召平台。\n"
            "欢迎社会各界监督，意见建议请通过本网站“异议与修复”页面所列联系方式反映。",
            published_on=today - dt.timedelta(days=20),
        ),
        portal.ContentInput(
            kind="integrity",
            title=f"{authority}行政权力清单和责任清单（{today.year}年版）",
            issuer=authority,
            body="依法公开本部门行政许可、行政处罚、行政检查等行政权力事项的名称、依据、实施主体和责任事项，"
            "接受社会监督。清单调整的，及时向社会公布。\n"
            "本部门坚持依法行政，严格执法程序；对作出的政务承诺和签订的合同依法履约，不拖欠企业账款。",
            published_on=today - dt.timedelta(days=45),
        ),
        portal.ContentInput(
            kind="notice",
            title="关于开展交通运输领域信用修复专项服务的通知",
            issuer=office,
            body="各有关单位：为帮助失信主体及时纠正失信行为，即日起在本网站开通信用修复在线申请服务。",
            published_on=today - dt.timedelta(days=7),
        ),
        portal.ContentInput(
            kind="notice",
            title=f"{today.year}年第{(today.month - 1) // 3 + 1}季度交通运输信用评价结果公示",
            issuer=office,
            body="现将本季度信用评价结果予以公示，公示期7个工作日。对评价结果有异议的，可在公示期内提出。",
            published_on=today - dt.timedelta(days=3),
        ),
        portal.ContentInput(
            kind="notice",
            title="信用交通网站开放数据接口上线公告",
            issuer=office,
            body="本网站双公示、红黑名单数据已通过开放数据接口提供 CSV、JSON 下载，接口文档见网站底部“API 文档”。",
            published_on=today - dt.timedelta(days=1),
        ),
    ]


def build_portal_demo(db: Database, settings: Settings, *, seed: int = 7) -> PortalDemoReport:
    report = PortalDemoReport()
    province = load_province(settings.province)
    today = china_today()
    rng = random.Random(seed)
    with db.unit_of_work() as s:
        for item in _contents(province.name, province.authority_name, province.credit_office, today):
            portal.create_content(s, SYSTEM, item, publish=True)
            report.contents += 1
    bureaus = [d for d in province.departments if d.kind == "city_bureau"] or list(province.departments)
    with db.unit_of_work() as s:
        orgs = list(s.scalars(select(Subject).where(Subject.kind == "org").order_by(Subject.id).limit(COMMITMENTS)))
        for n, subject in enumerate(orgs, start=1):
            bureau = rng.choice(bureaus)
            day = today - dt.timedelta(days=rng.randint(5, 200))
            no = f"CN{day:%Y%m%d}{n:04d}"
            write_revision(
                s,
                SYSTEM,
                settings,
                category="XYCN",
                natural_key=no,
                subject_id=subject.id,
                department_code=bureau.code,
                decision_date=day,
                publicity_start=day,
                publicity_end=add_months(day, 12),
                data={
                    "subject_name": subject.name,
                    "subject_kind": "法人及非法人组织",
                    "uscc": subject.uscc,
                    "commitment_no": no,
                    "commitment_type": rng.choice(["审批替代型", "证明事项告知承诺型", "容缺受理型", "主动型"]),
                    "commitment_matter": rng.choice(["道路运输经营许可", "道路运输车辆年度审验", "守法诚信经营"]),
                    "commitment_content": "本单位承诺所提交的材料真实、合法、有效，如有虚假，愿意承担相应法律责任。",
                    "decision_date": day.isoformat(),
                    "accepting_unit": bureau.name,
                    "source_unit": bureau.name,
                    "source_unit_uscc": bureau.uscc,
                    # Most are being kept, older ones fulfilled, a few broken (违诺): the public list shows all three.
                    "fulfilment": "未履约" if n % 17 == 0 else "已履约" if (today - day).days > 150 else "履约中",
                },
            )
            report.commitments += 1
    policy = load_policy()
    # The objection awaiting verification concerns a record of the first city bureau, the demo officer's unit.
    city = next((d.code for d in province.departments if d.kind == "city_bureau"), None)
    R = CreditRecord
    shown = [R.category == "XZCF", shown_filter(policy, today)]
    with db.read() as s:
        candidates = list(
            s.execute(
                select(R.id, R.subject_id, R.department_code)
                .where(*shown, *([R.department_code != city] if city else []))
                .order_by(R.id)
                .limit(len(_DEMO_APPLICATIONS) - 1)
            )
        )
        candidates += s.execute(
            select(R.id, R.subject_id, R.department_code)
            .where(*shown, R.subject_id.not_in([c.subject_id for c in candidates]))
            .order_by((R.department_code == city).desc(), R.id)
            .limit(1)
        ).all()
    # The applications reach different steps, as in a running inbox: the first objection was verified by the unit
    # that provided the record and answered, the repair is accepted and awaits its decision, an objection is new,
    # and another waits for the providing unit's verification (the console's 异议核实 page).
    office = Actor("信用办演示经办人", "system", roles=frozenset({ROLE_CREDIT_OFFICE}))
    for n, ((record_id, subject_id, department), (kind, step)) in enumerate(
        zip(candidates, _DEMO_APPLICATIONS, strict=False)
    ):
        reason = (
            "已按处罚决定履行全部义务并完成整改，公示已满最短期限，申请信用修复。"
            if kind == "repair"
            else "处罚决定书记载的车辆号牌与实际不符，申请核实更正。"
        )
        with db.unit_of_work() as s:
            submitted = portal.submit_application(
                s,
                settings,
                portal.ApplicationInput(
                    kind=kind,
                    subject_id=subject_id,
                    record_id=record_id,
                    applicant_name=["赵经理", "钱主任", "孙女士", "李经理"][n % 4],
                    contact=f"1390000{1000 + n:04d}",
                    reason=reason,
                ),
                today=today,
            )
            if step != "new":
                portal.accept_application(s, office, settings, submitted.id, today=today)
            if step == "answered":
                unit = Actor(
                    "提供单位演示报送员", "system", department_code=department, roles=frozenset({ROLE_DATA_OFFICER})
                )
                portal.submit_verification(
                    s,
                    unit,
                    submitted.id,
                    finding="accurate",
                    note="经调取执法记录和现场照片核对，处罚决定书记载的车辆号牌与执法记录一致。",
                )
                portal.decide_application(
                    s,
                    office,
                    settings,
                    submitted.id,
                    outcome="dismissed",
                    reply="经处罚机关核实，处罚决定书记载的车辆号牌与执法记录一致，异议不成立，维持原信息。",
                    today=today,
                )
        report.applications += 1
    report.applications += _transfers(db, settings, office, today, [c.subject_id for c in candidates])
    report.declarations = _declarations(db, settings, office, today)
    return report


def _transfers(db: Database, settings: Settings, office: Actor, today: dt.date, subject_ids: list[int]) -> int:
    """Two requests transferred by other platforms (转办): one from 信用中国 received yesterday and not yet accepted,
    one from 信用交通 refused (outside the department's remit) and waiting for its reply to the platform."""
    with db.read() as s:
        codes = [c for c in s.scalars(select(Subject.uscc).where(Subject.id.in_(subject_ids))) if c]
    if not codes:
        return 0
    plans = [
        (
            "creditchina",
            f"XYZG{today:%Y%m%d}0031",
            "已缴清罚款并完成整改，申请信用修复。",
            "repair",
            None,
        ),
        (
            "transport_credit",
            f"JT{today:%Y%m%d}-0007",
            "对公示的处罚信息有异议，经信用交通网站提出。",
            "objection",
            "经核查，该事项不属于本部门职责范围，不予受理。请向作出处罚决定的机关提出。",
        ),
    ]
    made = 0
    for n, (source, ref, reason, kind, refusal) in enumerate(plans):
        with db.unit_of_work() as s:
            app = transfers.register_transfer(
                s,
                office,
                settings,
                transfers.TransferInput(
                    source=source,
                    source_ref=ref,
                    received_on=today - dt.timedelta(days=1 + n),
                    kind=kind,
                    subject_code=codes[n % len(codes)],
                    applicant_name=["周经理", "吴女士"][n],
                    contact=f"1390000{2000 + n:04d}",
                    reason=reason,
                ),
                today=today,
            )
            if refusal:
                portal.refuse_application(s, office, settings, app.id, reply=refusal)
        made += 1
    return made


def _declarations(db: Database, settings: Settings, office: Actor, today: dt.date) -> int:
    """Two awards declared by companies (信用信息自主申报): one adopted into the credit file, one waiting for the
    credit office on the console's 自主申报 page."""
    with db.read() as s:
        orgs = list(
            s.scalars(
                select(Subject.id).where(Subject.kind == "org", Subject.uscc.is_not(None)).order_by(Subject.id).limit(2)
            )
        )
    if len(orgs) < 2:
        return 0
    awards = (("2025年度诚信道路运输企业", "adopt"), ("2025年度安全生产先进单位", "wait"))
    for n, (subject_id, (name, step)) in enumerate(zip(orgs, awards, strict=True), start=1):
        with db.unit_of_work() as s:
            declared = declarations.submit_declaration(
                s,
                settings,
                subject_id=subject_id,
                category="BZJL",
                fields={
                    "decision_no": f"豫交表〔{today.year}〕{n}号",
                    "award_name": name,
                    "decision_date": (today - dt.timedelta(days=40 * n)).isoformat(),
                    "authority": load_province(settings.province).authority_name,
                    "domain": "道路运输",
                },
                applicant_name=["周经理", "吴主任"][n - 1],
                contact=f"1390000{2000 + n:04d}",
                statement="表彰文件已在表彰单位官网通知公告栏目公布，可查阅核实。",
                today=today,
            )
            if step == "adopt":
                declarations.adopt_declaration(
                    s, office, settings, declared.id, reply="经核实，表彰文件属实，予以采纳，已记入信用档案。"
                )
    return len(awards)
