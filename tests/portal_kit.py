"""Helpers of the public-website tests: a small province with subjects and records in every public section."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from transport_credit.bootstrap import initialize
from transport_credit.common.actor import SYSTEM
from transport_credit.db.uow import Database
from transport_credit.identifiers.citizen_id import citizen_id_check_char, mask_id_number
from transport_credit.identifiers.uscc import uscc_check_char
from transport_credit.records.service import write_revision
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

LUOYANG_DEPT = "410300-jtj"
ZHENGZHOU_DEPT = "410100-jtj"
PERSON_ID = "410302199001011" + "23"
PERSON_ID += citizen_id_check_char(PERSON_ID)
PHONE = "13812345678"


def uscc(body16: str) -> str:
    """A valid USCC from 16 characters after the registering-body prefix 91."""
    first17 = ("91" + body16 + "0" * 17)[:17]
    return first17 + uscc_check_char(first17)


@dataclass
class Seeded:
    today: dt.date
    org: int
    org_uscc: str
    business: int
    person: int
    others: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)


def _penalty(no: str, name: str, code: str | None, day: dt.date, **extra: str) -> dict[str, str]:
    data = {
        "subject_name": name,
        "subject_kind": "法人及非法人组织" if code else "自然人",
        "decision_no": no,
        "violation_type": "未按规定维护和检测车辆",
        "violation_facts": "经查，该单位营运车辆未按规定进行二级维护。",
        "penalty_basis": "《道路运输条例》第七十条",
        "penalty_type": "罚款",
        "penalty_content": "罚款人民币五千元",
        "fine_amount": "0.5",
        "decision_date": day.isoformat(),
        "valid_until": (day + dt.timedelta(days=365)).isoformat(),
        "authority": "洛阳市交通运输局",
        "authority_uscc": "11410300MB0000000X",
        "source_unit": "洛阳市交通运输局",
        "source_unit_uscc": "11410300MB0000000X",
        "domain": "道路运输",
    }
    if code:
        data["uscc"] = code
    data.update(extra)
    return data


def seed_portal(db: Database, settings: Settings, *, today: dt.date | None = None) -> Seeded:
    """Initialise the platform and write subjects and records covering every disclosure rule."""
    initialize(db, settings)
    today = today or dt.date.today()
    org_code = uscc("410300MA0001")
    with db.unit_of_work() as s:
        org = Subject(
            kind="org",
            name="洛阳顺达道路运输有限公司",
            uscc=org_code,
            region_code="410300",
            legal_representative="张三丰",
        )
        business = Subject(
            kind="individual_business",
            name="洛阳市老城区王记汽车修理部",
            uscc=uscc("410302MA0002"),
            region_code="410302",
            legal_representative="王小明",
        )
        person = Subject(
            kind="person",
            name="李四光",
            person_key="k-" + PERSON_ID[-6:],
            id_masked=mask_id_number(PERSON_ID),
            region_code="410300",
        )
        others = {
            "顺达": Subject(kind="org", name="顺达", uscc=uscc("410100MA0003"), region_code="410100"),
            "顺达物流有限公司": Subject(
                kind="org", name="顺达物流有限公司", uscc=uscc("410100MA0004"), region_code="410100"
            ),
            "郑州市顺达客运有限公司": Subject(
                kind="org", name="郑州市顺达客运有限公司", uscc=uscc("410100MA0005"), region_code="410100"
            ),
            "100%_安全运输公司": Subject(
                kind="org", name="100%_安全运输公司", uscc=uscc("410100MA0006"), region_code="410100"
            ),
        }
        s.add_all([org, business, person, *others.values()])
        s.flush()
        seeded = Seeded(
            today=today,
            org=org.id,
            org_uscc=org_code,
            business=business.id,
            person=person.id,
            others={k: v.id for k, v in others.items()},
        )

        def write(
            key: str,
            category: str,
            natural_key: str,
            subject_id: int,
            data: dict[str, str],
            *,
            dept: str = LUOYANG_DEPT,
            start: dt.date | None = None,
            end: dt.date | None = None,
            status: str = "active",
            severity: str | None = None,
        ) -> None:
            decision = dt.date.fromisoformat(data["decision_date"])
            written = write_revision(
                s,
                SYSTEM,
                settings,
                category=category,
                natural_key=natural_key,
                subject_id=subject_id,
                department_code=dept,
                data=data,
                status=status,
                decision_date=decision,
                publicity_start=start or decision,
                publicity_end=end,
                severity=severity,
            )
            seeded.records[key] = written.record_id

        d = today - dt.timedelta(days=3)
        write(
            "penalty",
            "XZCF",
            "洛交罚〔2026〕001号",
            org.id,
            _penalty("洛交罚〔2026〕001号", org.name, org_code, d, legal_rep="张三丰"),
            end=d + dt.timedelta(days=365),
            severity="general",
        )
        old = today - dt.timedelta(days=500)
        write(
            "expired",
            "XZCF",
            "洛交罚〔2024〕009号",
            org.id,
            _penalty("洛交罚〔2024〕009号", org.name, org_code, old),
            end=old + dt.timedelta(days=90),
            severity="general",
        )
        write(
            "repaired",
            "XZCF",
            "洛交罚〔2026〕002号",
            org.id,
            _penalty("洛交罚〔2026〕002号", org.name, org_code, d),
            end=d + dt.timedelta(days=365),
            status="repaired",
            severity="general",
        )
        write(
            "future",
            "XZCF",
            "洛交罚〔2026〕003号",
            org.id,
            _penalty("洛交罚〔2026〕003号", org.name, org_code, d),
            start=today + dt.timedelta(days=5),
            end=today + dt.timedelta(days=365),
            severity="general",
        )
        # A corrected record: revision 1 is superseded by revision 2 (only the latter is shown).
        write(
            "superseded",
            "XZCF",
            "洛交罚〔2026〕004号",
            org.id,
            _penalty("洛交罚〔2026〕004号", org.name, org_code, d, penalty_content="罚款人民币一万元（已更正）"),
            end=d + dt.timedelta(days=365),
            severity="general",
        )
        write(
            "corrected",
            "XZCF",
            "洛交罚〔2026〕004号",
            org.id,
            _penalty("洛交罚〔2026〕004号", org.name, org_code, d, penalty_content="罚款人民币八千元"),
            end=d + dt.timedelta(days=365),
            severity="general",
        )
        write(
            "person_penalty",
            "XZCF",
            "洛交罚〔2026〕005号",
            person.id,
            _penalty(
                "洛交罚〔2026〕005号",
                person.name,
                None,
                d,
                id_type="01",
                id_number=PERSON_ID,
                violation_facts=f"当事人李四光（身份证号 {PERSON_ID}，电话 {PHONE}）未取得从业资格证从事营运。",
            ),
            end=d + dt.timedelta(days=365),
            severity="general",
        )
        write(
            "business_penalty",
            "XZCF",
            "洛交罚〔2026〕006号",
            business.id,
            _penalty(
                "洛交罚〔2026〕006号",
                business.name,
                uscc("410302MA0002"),
                d,
                subject_kind="个体工商户",
                legal_rep="王小明",
                domain="道路运输",
            ),
            end=d + dt.timedelta(days=365),
            severity="minor",
        )
        write(
            "zz_penalty",
            "XZCF",
            "郑交罚〔2026〕001号",
            others["顺达"].id,
            _penalty(
                "郑交罚〔2026〕001号",
                "顺达",
                None,
                d,
                uscc=uscc("410100MA0003"),
                domain="公路管理",
                authority="郑州市交通运输局",
            ),
            dept=ZHENGZHOU_DEPT,
            end=d + dt.timedelta(days=365),
            severity="general",
        )
        write(
            "licence",
            "XZXK",
            "洛交许〔2026〕001号",
            org.id,
            {
                "subject_name": org.name,
                "subject_kind": "法人及非法人组织",
                "uscc": org_code,
                "doc_name": "道路运输经营许可决定书",
                "decision_no": "洛交许〔2026〕001号",
                "license_type": "普通",
                "certificate_name": "道路运输经营许可证",
                "license_no": "豫A-0001",
                "license_content": "道路普通货物运输",
                "decision_date": d.isoformat(),
                "valid_from": d.isoformat(),
                "valid_until": "2099-12-31",
                "authority": "洛阳市交通运输局",
                "authority_uscc": "11410300MB0000000X",
                "status": "有效",
                "source_unit": "洛阳市交通运输局",
                "source_unit_uscc": "11410300MB0000000X",
                "domain": "道路运输",
            },
            end=dt.date(2099, 12, 31),
        )
        write(
            "grade",
            "XYPJ",
            "PJ-2026-0001",
            org.id,
            {
                "subject_name": org.name,
                "subject_kind": "法人及非法人组织",
                "uscc": org_code,
                "result_no": "PJ-2026-0001",
                "evaluation_year": "2026",
                "evaluation_period": "2025年度",
                "evaluation_model": "道路运输企业质量信誉考核",
                "score": "92",
                "grade": "AA",
                "decision_date": d.isoformat(),
                "valid_until": (d + dt.timedelta(days=365)).isoformat(),
                "evaluation_authority": "河南省交通运输厅",
                "source_unit": "河南省交通运输厅",
                "source_unit_uscc": "11410000MB0000000X",
            },
            dept="410000-fgc",
            end=d + dt.timedelta(days=365),
        )
        for key, cat, name in (
            ("red", "HMD", "守信激励对象名单"),
            ("black", "HEIMD", "严重失信主体名单"),
            ("watch", "ZDGZ", "重点关注对象名单"),
        ):
            subject_id = org.id if cat == "HMD" else others["顺达物流有限公司"].id
            subject_name = org.name if cat == "HMD" else "顺达物流有限公司"
            write(
                key,
                cat,
                f"豫交信〔2026〕{cat}号",
                subject_id,
                {
                    "subject_name": subject_name,
                    "subject_kind": "法人及非法人组织",
                    "decision_no": f"豫交信〔2026〕{cat}号",
                    "list_name": name,
                    "reason": "依据认定标准列入",
                    "basis": "交政研发〔2018〕181号",
                    "decision_date": d.isoformat(),
                    "valid_until": (d + dt.timedelta(days=365)).isoformat(),
                    "authority": "河南省交通运输厅",
                    "source_unit": "河南省交通运输厅",
                    "source_unit_uscc": "11410000MB0000000X",
                },
                dept="410000-fgc",
                end=d + dt.timedelta(days=365),
            )
        write(
            "commitment",
            "XYCN",
            "CN-2026-0001",
            org.id,
            {
                "subject_name": org.name,
                "subject_kind": "法人及非法人组织",
                "uscc": org_code,
                "commitment_no": "CN-2026-0001",
                "commitment_type": "审批替代型",
                "commitment_matter": "道路运输经营许可",
                "commitment_content": "本单位承诺所提交材料真实有效。",
                "decision_date": d.isoformat(),
                "accepting_unit": "洛阳市交通运输局",
                "source_unit": "洛阳市交通运输局",
                "source_unit_uscc": "11410300MB0000000X",
            },
            end=d + dt.timedelta(days=365),
        )
    return seeded


def minimum_period_passed(db: Database, record_id: int) -> None:
    """Make the record's minimum publicity period end yesterday, as the import stores it for a decision old enough
    to be repaired (the seeded penalties were decided three days ago)."""
    from transport_credit.records.models import CreditRecord

    with db.unit_of_work() as s:
        record = s.get(CreditRecord, record_id)
        assert record is not None
        record.publicity_min_end = dt.date.today() - dt.timedelta(days=1)
