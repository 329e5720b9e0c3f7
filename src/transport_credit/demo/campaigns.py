"""Demo step of the 专项治理 campaigns: the 超限超载 campaign opened two months ago, with the responsible departments'
actions on most of its targets (约谈, 警示, 限期整改: some rectified and closed, some past their deadline), so the
console shows every state."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from transport_credit.campaigns import service
from transport_credit.campaigns.models import CampaignTarget
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.db.uow import Database
from transport_credit.settings import Settings

OFFICE = Actor("信用办演示经办人", "system", roles=frozenset({ROLE_CREDIT_OFFICE}))
NOTES = {
    "interview": "约谈企业负责人，通报超限超载违法情况，提出整改要求。",
    "warning": "下发信用警示函，告知继续违法将列入严重失信名单。",
    "rectify": "责令完善货物装载源头管理制度，整改到位前加强抽查。",
}


def build_campaigns_demo(db: Database, settings: Settings, *, today: dt.date, seed: int = 7) -> int:
    """Open the 超限超载 campaign and act on its targets; returns how many targets it took on."""
    rng = random.Random(seed * 13 + 1)
    starts = today - dt.timedelta(days=60)
    with db.unit_of_work() as s:
        campaign = service.open_campaign(
            s,
            OFFICE,
            settings,
            template_code="overload",
            starts_on=starts,
            ends_on=dt.date(today.year, 12, 31) if today.month < 12 else today + dt.timedelta(days=60),
            today=starts,
        )
        service.draw_targets(s, OFFICE, settings, campaign.id, today=today)  # those found since it began
        targets = list(
            s.scalars(
                select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id).order_by(CampaignTarget.id)
            )
        )
        for n, target in enumerate(targets):
            plan = n % 5  # 0: not yet acted on · 1: interviewed · 2: warned, to rectify (past due) · 3–4: rectified
            if plan == 0:
                continue
            first = starts + dt.timedelta(days=rng.randrange(1, 20))
            service.record_action(
                s, OFFICE, settings, target.id, action="interview", taken_on=first, note=NOTES["interview"], today=today
            )
            if plan == 1:
                continue
            service.record_action(
                s, OFFICE, settings, target.id, action="warning", taken_on=first, note=NOTES["warning"], today=today
            )
            due = first + dt.timedelta(days=15 if plan == 2 else 30)
            service.record_action(
                s,
                OFFICE,
                settings,
                target.id,
                action="rectify",
                taken_on=first + dt.timedelta(days=1),
                deadline=due,
                note=NOTES["rectify"],
                today=today,
            )
            if plan >= 3 and due <= today:
                service.finish_target(
                    s, OFFICE, target.id, finished_on=due, note="已完成整改，复查未发现超限超载。", today=today
                )
        return len(targets)
