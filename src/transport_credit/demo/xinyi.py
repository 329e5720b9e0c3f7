"""Demo step of the 信易+ scenarios: where they run (信易批 and 交通信易货 province-wide, 信易行 in some cities, one
city's service stopped, 交通信易保 in the capital), and the providers' checks with their feedback this month, so the
console's coverage, the monthly report's 信易行 indicator and the scenarios' usage have something to show."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from transport_credit.catalog.loader import load_province
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.db.uow import Database
from transport_credit.incentives import service
from transport_credit.lists import checks
from transport_credit.lists.service import office_department
from transport_credit.records.models import CreditRecord
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

OFFICE = Actor("信用办演示经办人", "system", roles=frozenset({ROLE_CREDIT_OFFICE}))
CITY_SERVICES = (  # (scenario, provider in the city) launched in a share of the cities
    ("XYX-GJCX", "公共交通集团有限公司", 0.35),
    ("XYX-YXPD", "出租汽车和网约车平台公司", 0.25),
)
GRANTED = {"XY-XYH-YX": "已优先推送货源并优先结算运费", "XY-XYB-BZJ": "已减免投标保证金"}


def build_xinyi_demo(db: Database, settings: Settings, *, today: dt.date, seed: int = 7) -> tuple[int, int]:
    """Record the launches and the providers' checks with feedback; returns (launches, benefits granted)."""
    rng = random.Random(seed * 17 + 3)
    config = load_province(settings.province)
    year_start = dt.date(today.year, 1, 1)
    launched = 0
    with db.unit_of_work() as s:
        for scenario, provider, region in (
            ("XYP-LSTD", "各级交通运输主管部门、行政审批部门", config.code),
            ("XYH-YXPH", "省内网络货运平台企业", config.code),
            ("XYB-BZJ", "公路水运工程招标人、合作保险机构", config.cities[0]),
        ):
            service.launch(
                s,
                OFFICE,
                settings,
                scenario_code=scenario,
                region_code=region,
                provider=provider,
                started_on=year_start,
            )
            launched += 1
        stopped = None
        for scenario, provider, share in CITY_SERVICES:
            for city in config.cities:
                if rng.random() >= share:
                    continue
                started = year_start + dt.timedelta(days=rng.randrange(0, max(1, (today - year_start).days)))
                row = service.launch(
                    s,
                    OFFICE,
                    settings,
                    scenario_code=scenario,
                    region_code=city,
                    provider=provider,
                    started_on=started,
                    note="按本市“信易行”实施方案执行",
                )
                launched += 1
                if stopped is None and started < today - dt.timedelta(days=40):
                    stopped = row
        if stopped is not None:
            service.end_launch(
                s, OFFICE, stopped.id, ended_on=today - dt.timedelta(days=10), reason="合作协议到期，正在重新招募服务商"
            )
    return launched, _providers_feedback(db, settings, today, rng)


def _providers_feedback(db: Database, settings: Settings, today: dt.date, rng: random.Random) -> int:
    """The platform and the tender offices check graded and red-listed companies and report the benefit given."""
    granted = checked = 0
    with db.unit_of_work() as s:
        dept = office_department(s)
        codes = list(
            s.scalars(
                select(Subject.uscc)
                .join(CreditRecord, CreditRecord.subject_id == Subject.id)
                .where(CreditRecord.category.in_(("XYPJ", "HMD")), CreditRecord.is_current.is_(True))
                .where(Subject.uscc.is_not(None))
                .distinct()
                .order_by(Subject.uscc)
                .limit(400)
            )
        )
        for code in codes:
            matter = rng.choice(tuple(GRANTED))
            result = checks.run_check(
                s, OFFICE, settings, subject_code=str(code), matter_code=matter, department_code=dept
            )
            measure = next((m for m in result.measures if m.kind == "incentive"), None)
            if measure is None:
                continue
            applied = checked % 8 != 7  # now and then the benefit does not fit the business at hand
            checked += 1
            item = checks.FeedbackItem(
                measure.code, applied, GRANTED[matter] if applied else "本次业务不适用", today, result.matter_name
            )
            granted += len(
                [e for e in checks.report_feedback(s, OFFICE, settings, result.check_id, [item]) if e.applied]
            )
            if granted >= 40:
                break
    return granted
