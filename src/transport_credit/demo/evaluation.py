"""Demo step of credit evaluation, tiered supervision and early warning: grades for every shipped model, an
inspector pool, a 双随机 task in the provincial capital with some results, and the warning scan."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select

from transport_credit.catalog.loader import load_province
from transport_credit.common.actor import SYSTEM
from transport_credit.common.errors import InvalidInput
from transport_credit.db.uow import Database
from transport_credit.demo.generator import person_name
from transport_credit.evaluation import service as evaluation
from transport_credit.settings import Settings
from transport_credit.supervision import service as supervision
from transport_credit.supervision.models import Inspector
from transport_credit.warnings import scan

DEMO_SEED = "demo-2026"
INSPECTORS_PER_CITY = 6


def build_evaluation_demo(db: Database, settings: Settings, *, today: dt.date, seed: int = 7) -> dict[str, Any]:
    """Run the shipped models for the demo province (annual models for last year, cycle models as of ``today``),
    publish the results as XYPJ records, draw a 双随机 task and scan for warnings. Deterministic for a seed."""
    rng = random.Random(seed)
    province = load_province(settings.province)
    out: dict[str, Any] = {"runs": {}}
    with db.unit_of_work() as s:
        models = evaluation.list_models(s, SYSTEM, settings)
        for m in models:
            period = str(today.year - 1) if m.period.kind == "annual" else today.isoformat()
            summary = evaluation.run_evaluation(s, SYSTEM, settings, m.code, period, publish=True, today=today)
            out["runs"][m.code] = summary.grade_counts
    with db.unit_of_work() as s:
        if s.scalar(select(Inspector.id).limit(1)) is None:
            for city in province.cities:
                dept = next(
                    (d.code for d in province.departments if d.region_code == city), province.departments[0].code
                )
                for n in range(INSPECTORS_PER_CITY):
                    supervision.add_inspector(
                        s,
                        SYSTEM,
                        code=f"ZF{city}{n:03d}",
                        name=person_name(rng),
                        department_code=dept,
                        region_code=city,
                        domains=["道路运输", "公路建设"] if n % 2 == 0 else ["道路运输"],
                    )
    capital = province.cities[0]
    with db.unit_of_work() as s:
        try:
            task = supervision.create_task(
                s,
                SYSTEM,
                settings,
                name=f"{today.year}年道路运输企业双随机抽查（第一批）",
                domain="道路运输",
                region_code=capital,
                size=12,
                task_date=today,
                seed=DEMO_SEED,
            )
        except InvalidInput:
            task = None  # a tiny demo without road transport firms in the capital
        if task is not None:
            view = supervision.task_detail(s, SYSTEM, task.id)
            for n, item in enumerate(view.items[:8]):
                result = supervision.RESULTS[1] if n % 4 == 0 else supervision.RESULTS[0]
                supervision.record_result(s, SYSTEM, item["id"], result=result, inspected_on=today)
            out["task_id"] = task.id
    with db.unit_of_work() as s:
        out["warnings"] = scan.scan(s, SYSTEM, as_of=today)
    return out
