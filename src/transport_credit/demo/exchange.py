"""Demo step of sharing: last month's full package to the national platform, and its receipt (回执).

Runs last, on the finished demo data: the credit office generated the full set for the ministry's platform last
month, the platform answered with a receipt that sends a handful of records back with its reasons, and those
records now wait on their departments (the console's 共享交换 page, the data officers' 工作台). This month's
increment is still to be generated, as the work list says.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson

from transport_credit.common.actor import ROLE_CREDIT_OFFICE, Actor
from transport_credit.db.uow import Database
from transport_credit.disclosure.rules import china_today
from transport_credit.exchange import receipts, service
from transport_credit.settings import Settings

# What a receiving platform's checks say when it sends a record back (plausible wording, not an official list).
REASONS = (
    "行政相对人名称与统一社会信用代码不一致",
    "处罚依据不规范：未写明具体条款",
    "法定代表人证件号码校验未通过",
    "公示截止期早于处罚决定日期",
    "违法事实描述过短，无法判断违法行为",
)
OFFICE = Actor("信用办（演示）", "account", roles=frozenset({ROLE_CREDIT_OFFICE}))


@dataclass
class ExchangeDemoReport:
    package_rows: int = 0
    sent_back: int = 0


def build_exchange_demo(db: Database, settings: Settings, *, seed: int = 7, sent_back: int = 8) -> ExchangeDemoReport:
    last_month = china_today().replace(day=1) - dt.timedelta(days=1)
    with db.unit_of_work() as s:
        package = service.export_package(s, OFFICE, settings, "ministry", today=last_month)
    rng = random.Random(seed)
    penalties = []
    with (Path(package.directory) / "records.jsonl").open("rb") as fh:
        for line in fh:
            row = orjson.loads(line)
            if row["category"] == "XZCF":
                penalties.append(int(row["record_id"]))
    chosen = sorted(rng.sample(penalties, min(sent_back, len(penalties))))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "回执.csv"
        with path.open("w", encoding="gb18030", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["记录编号", "处理结果", "原因"])
            writer.writerows([rid, "退回", rng.choice(REASONS)] for rid in chosen)
        with db.unit_of_work() as s:
            view = receipts.import_receipt(
                s, OFFICE, settings, target="ministry", sequence=package.sequence, path=path, file_name="部平台回执.csv"
            )
    return ExchangeDemoReport(package.rows, view.rejected)
