"""Demo step of sharing: last month's full package to the national platform, and its receipt (回执).

Runs last, on the finished demo data: the credit office generated the full set for the ministry's platform last
month, the platform answered with a receipt that sends a handful of records back with its reasons (one of each
department with a demo data officer or business system among them), and those records now wait on their
departments (the console's 共享交换 page, the data officers' 工作台, the business system's API). This month's
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
from sqlalchemy import select

from transport_credit.auth.models import Account, ApiClient, Department
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, Actor
from transport_credit.db.uow import Database
from transport_credit.disclosure.rules import china_today
from transport_credit.exchange import receipts, service
from transport_credit.settings import Settings

# What a receiving platform's checks say when it sends a record back (plausible wording, not an official list).
REASONS = {
    "XZCF": (
        "行政相对人名称与统一社会信用代码不一致",
        "处罚依据不规范：未写明具体条款",
        "法定代表人证件号码校验未通过",
        "公示截止期早于处罚决定日期",
        "违法事实描述过短，无法判断违法行为",
    ),
    "XZXK": (
        "行政相对人名称与统一社会信用代码不一致",
        "许可证书编号为空",
        "有效期至早于许可决定日期",
        "许可内容过短，无法判断许可事项",
    ),
}
OFFICE = Actor("信用办（演示）", "account", roles=frozenset({ROLE_CREDIT_OFFICE}))


def _departments_with_users(db: Database) -> set[str]:
    """Departments with a data officer's account or a business system's key."""
    with db.read() as s:
        officers = s.execute(
            select(Department.code, Account.roles).join(Account, Account.department_id == Department.id)
        )
        found = {str(code) for code, roles in officers if ROLE_DATA_OFFICER in (roles or [])}
        found |= {
            str(c) for c in s.scalars(select(Department.code).join(ApiClient, ApiClient.department_id == Department.id))
        }
    return found


@dataclass
class ExchangeDemoReport:
    package_rows: int = 0
    sent_back: int = 0


def build_exchange_demo(db: Database, settings: Settings, *, seed: int = 7, sent_back: int = 8) -> ExchangeDemoReport:
    last_month = china_today().replace(day=1) - dt.timedelta(days=1)
    with db.unit_of_work() as s:
        package = service.export_package(s, OFFICE, settings, "ministry", today=last_month)
    rng = random.Random(seed)
    by_department: dict[str, list[int]] = {}
    category_of: dict[int, str] = {}
    with (Path(package.directory) / "records.jsonl").open("rb") as fh:
        for line in fh:
            row = orjson.loads(line)
            if row["category"] in REASONS:
                rid = int(row["record_id"])
                by_department.setdefault(str(row["department_code"]), []).append(rid)
                category_of[rid] = str(row["category"])
    # One record of each department with a demo data officer or business system, so that the loop shows on their
    # 工作台 and through their API key; the rest at random.
    chosen = {rng.choice(by_department[d]) for d in sorted(_departments_with_users(db)) if d in by_department}
    pool = sorted({rid for ids in by_department.values() for rid in ids} - chosen)
    chosen |= set(rng.sample(pool, max(0, min(sent_back - len(chosen), len(pool)))))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "回执.csv"
        with path.open("w", encoding="gb18030", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["记录编号", "处理结果", "原因"])
            writer.writerows([rid, "退回", rng.choice(REASONS[category_of[rid]])] for rid in sorted(chosen))
        with db.unit_of_work() as s:
            view = receipts.import_receipt(
                s, OFFICE, settings, target="ministry", sequence=package.sequence, path=path, file_name="部平台回执.csv"
            )
    return ExchangeDemoReport(package.rows, view.rejected)
