"""Build the demo province (``tcredit demo``) through the real collection path.

Every record enters the way a department's records would: the generator writes the files each department
exports (GB18030 CSV with the standard headers, CSV with the legacy export headers of the ``*-legacy`` mappings,
.xlsx with a merged title row) into ``data_dir/demo/exports`` and each file is imported with
:func:`transport_credit.ingest.service.import_file` in its own unit of work, as that department's data officer.
Nothing is inserted into the record tables directly.

The province is configuration: cities come from the province file, their names from the GB/T 2260 table, the
source departments and their USCCs from the province's department list. A few rows are flawed on purpose (bad
dates, malformed codes, empty mandatory cells, the pilot code ``91350100M0001TGQXM`` whose check character does
not match) so the quarantine is not empty, and a later corrected re-export of one department's penalties gives
some records a second revision.

The demo accounts' passwords and the API key are random; they are printed once and kept in
``data_dir/demo/credentials.json`` (file mode 600) so ``tcredit demo`` can show them again on the next start.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import shutil
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

from transport_credit.audit.events import record as audit
from transport_credit.audit.models import AuditEntry
from transport_credit.auth.models import Account, ApiClient
from transport_credit.auth.passwords import generate_password
from transport_credit.auth.schema import SCOPE_CHECK, SCOPE_READ, SCOPE_SUBMIT
from transport_credit.auth.service import authenticate_api_key, create_account, create_api_client
from transport_credit.bootstrap import initialize
from transport_credit.catalog.loader import load_province
from transport_credit.catalog.province import DepartmentConfig, ProvinceConfig
from transport_credit.catalog.rules import Catalog
from transport_credit.catalog.schema import CategoryDef
from transport_credit.catalog.service import active_catalog
from transport_credit.common.actor import ROLE_ADMIN, ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.db.uow import Database
from transport_credit.demo import generator as gen
from transport_credit.demo.campaigns import build_campaigns_demo
from transport_credit.demo.evaluation import build_evaluation_demo
from transport_credit.demo.exchange import build_exchange_demo
from transport_credit.demo.ledger import build_ledger_demo
from transport_credit.demo.lists import build_approval_checks, build_lists_demo
from transport_credit.demo.portal import build_portal_demo
from transport_credit.demo.reminders import build_reminders_demo
from transport_credit.demo.xinyi import build_xinyi_demo
from transport_credit.identifiers.regions import region_name
from transport_credit.ingest.pipeline import BatchSummary
from transport_credit.ingest.service import import_file, push_records
from transport_credit.lists.checks import run_check
from transport_credit.monitoring import facts as analysis_facts
from transport_credit.monitoring.numbering import parse_number
from transport_credit.settings import Settings

DEMO_ACTION = "demo.build"
PILOT_USCC = "91350100M0001TGQXM"  # a real-world pilot code whose check character does not match: a warning
RECORDS_PER_SUBJECT = 5
LICENCE_SHARE = 0.55  # of all records; the rest are penalties
CITY_SHARE = 0.65  # of each category's records exported by the city bureaus (the rest by provincial units)
CAMPAIGN_DAYS = 100  # the 治超 campaign of the demo's last months (generator.penalty_rows)
PERIOD_MONTHS = 12  # a busy department exports one file per year (or part of a year) and category …
MIN_FILE_ROWS = 300  # … a department with fewer decisions than this sends a single file for the whole span

FileFormat = Literal["csv", "legacy", "xlsx"]

# Which subjects a provincial unit deals with, by department kind (None: all).
_DOMAINS_BY_KIND: dict[str, frozenset[str] | None] = {
    "highway": frozenset({"公路建设", "公路管理"}),
    "quality": frozenset({"公路建设"}),
    "waterway": frozenset({"水路运输", "港口"}),
    "transport": frozenset({"道路运输"}),
    "enforcement": frozenset({"道路运输", "公路建设"}),
}
# One character for a provincial unit in its document numbers (豫交执罚〔2026〕000001号).
_KIND_CHAR = {
    "enforcement": "执",
    "highway": "路",
    "transport": "运",
    "waterway": "航",
    "quality": "质",
    "office": "厅",
}


@dataclass
class DemoAccount:
    username: str
    display_name: str
    roles: list[str]
    department_code: str
    password: str | None  # None: the account existed before (password unchanged)


@dataclass
class DemoFile:
    department_code: str
    category: str
    path: str
    format: FileFormat
    rows: int
    flawed_rows: int
    batch_no: str | None = None


@dataclass
class DemoReport:
    province: str
    province_name: str
    subjects: int  # generated subjects
    months: int
    seed: int
    start: dt.date
    end: dt.date
    files: list[DemoFile] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # total / accepted / warned / rejected / … over all batches
    flawed_rows: int = 0
    corrected_file: str | None = None
    accounts: list[DemoAccount] = field(default_factory=list)
    api_client: str | None = None
    api_key: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"] = self.start.isoformat()
        out["end"] = self.end.isoformat()
        return out


@dataclass(frozen=True)
class _Unit:
    """A department exporting files, with its document-number prefix and the subjects it deals with."""

    config: DepartmentConfig
    short: str
    pool: Sequence[gen.DemoSubject]

    @property
    def authority(self) -> gen.Authority:
        return gen.Authority(name=self.config.name, uscc=self.config.uscc or "", short=self.short)


# --- status ---------------------------------------------------------------------------------------------------


def demo_status(db: Database) -> dict[str, Any] | None:
    """The details of the last demo build in this database, or None when the demo was never built."""
    with db.read() as session:
        details = session.scalar(
            select(AuditEntry.details).where(AuditEntry.action == DEMO_ACTION).order_by(AuditEntry.seq.desc()).limit(1)
        )
    return dict(details) if isinstance(details, Mapping) else None


def credentials_path(settings: Settings) -> Path:
    return settings.data_dir / "demo" / "credentials.json"


def saved_credentials(settings: Settings) -> dict[str, Any] | None:
    """The demo passwords and API key saved by the last build (None when there is no readable file)."""
    path = credentials_path(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- the build ------------------------------------------------------------------------------------------------


def build_demo(
    db: Database,
    settings: Settings,
    subjects: int = 20_000,
    months: int = 18,
    seed: int = 7,
    *,
    today: dt.date | None = None,
) -> DemoReport:
    """Initialise the database and fill it with a synthetic province through the real import path.

    ``subjects`` subjects across all the province's cities, about :data:`RECORDS_PER_SUBJECT` 行政许可 and 行政处罚
    records per subject over the last ``months`` months, exported per department and half year. Deterministic for
    a given ``seed`` (except the random passwords and key).
    """
    if subjects < 1 or months < 1:
        raise ValueError("subjects and months must be positive")
    started = time.perf_counter()
    initialize(db, settings)
    province = load_province(settings.province)
    with db.read() as session:
        catalog = active_catalog(session)
    rng = random.Random(seed)
    today = today or dt.date.today()
    end = today - dt.timedelta(days=2)
    start = _months_before(end, months)
    report = DemoReport(
        province=province.code,
        province_name=province.name,
        subjects=subjects,
        months=months,
        seed=seed,
        start=start,
        end=end,
    )

    city_names = {c: region_name(c) or c for c in province.cities}
    people = gen.subjects(subjects, province.cities, city_names, seed=seed)
    out_dir = settings.data_dir / "demo" / "exports"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    plans = _plan_files(province, catalog, people, start, end, subjects * RECORDS_PER_SUBJECT, rng)
    flaw_every = max(2, len(plans) // 12)  # about a dozen files carry flawed rows, never all of them
    serials: dict[tuple[str, str], int] = defaultdict(int)
    numbering: dict[tuple[str, str, int], int] = defaultdict(int)  # (department, category, year) → last serial
    clean_penalties: list[tuple[DemoFile, list[dict[str, str]], _Unit, CategoryDef]] = []
    for index, (unit, cat, p_start, p_end, count) in enumerate(plans):
        key = (unit.config.code, cat.code)
        rows = _rows(cat, unit, p_start, p_end, count, rng, serials[key] + 1, end - dt.timedelta(days=CAMPAIGN_DAYS))
        serials[key] += count
        _number_in_order(rows, numbering, key)
        fmt: FileFormat = ("csv", "legacy", "csv", "xlsx", "csv", "legacy")[index % 6]
        flawed = _flaw(rows, cat, index // flaw_every, rng) if index % flaw_every == flaw_every - 1 else 0
        path = (
            out_dir / f"{unit.config.code}_{cat.name}_{p_start:%Y%m}-{p_end:%Y%m}{'.xlsx' if fmt == 'xlsx' else '.csv'}"
        )
        _write(
            path,
            fmt,
            cat,
            catalog,
            rows,
            title=f"{unit.config.name}{cat.name}信息（{p_start:%Y年%m月}—{p_end:%Y年%m月}）",
        )
        demo_file = DemoFile(unit.config.code, cat.code, str(path), fmt, len(rows), flawed)
        report.flawed_rows += flawed
        _import(db, settings, unit, cat, demo_file, report)
        if cat.code == "XZCF" and not flawed:
            clean_penalties.append((demo_file, rows, unit, cat))

    # A department finds mistakes in a file it sent and exports the corrected file again: revision 2.
    if clean_penalties:
        demo_file, rows, unit, cat = max(clean_penalties, key=lambda item: item[0].rows)
        corrected = [dict(r) for r in rows]
        for n, row in enumerate(corrected):
            if n % 7 == 0:
                _correct(row)
        path = Path(demo_file.path)
        path = path.with_name(f"{path.stem}_更正{path.suffix}")
        _write(path, demo_file.format, cat, catalog, corrected, title=None)
        fixed = DemoFile(unit.config.code, cat.code, str(path), demo_file.format, len(corrected), 0)
        _import(db, settings, unit, cat, fixed, report)
        report.corrected_file = str(path)

    _accounts_and_client(db, settings, province, report)
    _business_system_traffic(db, settings, report, plans, numbering, rng, start=end + dt.timedelta(days=1), end=today)
    build_approval_checks(db, settings, today=today, seed=seed)
    build_lists_demo(db, settings)
    build_portal_demo(db, settings, seed=seed)
    build_evaluation_demo(db, settings, today=end, seed=seed)
    build_exchange_demo(db, settings, seed=seed)
    build_ledger_demo(db, settings, today=today, seed=seed)
    build_xinyi_demo(db, settings, today=today, seed=seed)
    build_campaigns_demo(db, settings, today=today, seed=seed)
    build_reminders_demo(db, settings, seed=seed)
    with db.unit_of_work() as session:  # the 监测分析 page opens at once
        analysis_facts.refresh(session, province.cities)
    report.seconds = round(time.perf_counter() - started, 2)
    with db.unit_of_work() as session:
        audit(
            session,
            SYSTEM,
            DEMO_ACTION,
            "province",
            province.code,
            {
                "subjects": subjects,
                "months": months,
                "seed": seed,
                "files": len(report.files),
                "totals": report.totals,
                "start": start.isoformat(),
                "end": end.isoformat(),
            },
        )
    return report


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def _periods(start: dt.date, end: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """``count`` consecutive spans of (nearly) equal length covering ``start`` … ``end``."""
    span = (end - start).days + 1
    bounds = [start + dt.timedelta(days=span * i // count) for i in range(count + 1)]
    return [(bounds[i], bounds[i + 1] - dt.timedelta(days=1)) for i in range(count)]


def _short_codes(province: ProvinceConfig, units: Sequence[DepartmentConfig]) -> dict[str, str]:
    """Document-number prefixes unique per department: 豫交执, 豫郑州交, 豫交路2 …"""
    taken: set[str] = set()
    out: dict[str, str] = {}
    for d in units:
        if d.level == "province":
            base = f"{province.short_name}交{_KIND_CHAR.get(d.kind, '厅')}"
        else:
            name = region_name(d.region_code) or d.region_code
            place = name.removesuffix("市").removesuffix("地区").removesuffix("自治州").removesuffix("盟")[:2]
            base = f"{province.short_name}{place}交"
        short, n = base, 1
        while short in taken:
            n += 1
            short = f"{base}{n}"
        taken.add(short)
        out[d.code] = short
    return out


def _plan_files(
    province: ProvinceConfig,
    catalog: Catalog,
    people: Sequence[gen.DemoSubject],
    start: dt.date,
    end: dt.date,
    total_records: int,
    rng: random.Random,
) -> list[tuple[_Unit, CategoryDef, dt.date, dt.date, int]]:
    """(unit, category, period start, period end, rows) for every file the departments export."""
    wanted = [c for c in ("XZXK", "XZCF") if catalog.has_category(c)]
    sources = [d for d in province.departments if d.kind != "credit_office" and any(c in d.categories for c in wanted)]
    shorts = _short_codes(province, sources)
    by_region: dict[str, list[gen.DemoSubject]] = defaultdict(list)
    for s in people:
        by_region[s.region].append(s)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    max_files = max(1, math.ceil(months / PERIOD_MONTHS))
    plans: list[tuple[_Unit, CategoryDef, dt.date, dt.date, int]] = []
    for code in wanted:
        cat = catalog.category(code)
        share = LICENCE_SHARE if code == "XZXK" else 1 - LICENCE_SHARE
        cat_total = total_records * share
        depts = [d for d in sources if code in d.categories]
        cities = [d for d in depts if d.kind == "city_bureau" and by_region.get(d.region_code)]
        provincial = [d for d in depts if d not in cities and d.level == "province"]
        city_total = cat_total * (CITY_SHARE if provincial else 1.0) if cities else 0.0
        prov_total = cat_total - city_total if provincial else 0.0
        counts: list[tuple[_Unit, float]] = []
        city_people = sum(len(by_region[d.region_code]) for d in cities) or 1
        for d in cities:
            pool = _eligible(by_region[d.region_code], code)
            counts.append((_Unit(d, shorts[d.code], pool), city_total * len(by_region[d.region_code]) / city_people))
        for d in provincial:
            domains = _DOMAINS_BY_KIND.get(d.kind)
            pool = [s for s in people if domains is None or s.domain in domains] or list(people)
            counts.append((_Unit(d, shorts[d.code], _eligible(pool, code)), prov_total / len(provincial)))
        for unit, n in counts:
            if not unit.pool:
                continue
            # A unit with few decisions sends one file for the whole span; busy units one per period.
            periods = _periods(start, end, max(1, min(max_files, round(n / MIN_FILE_ROWS))))
            per_period = n / len(periods)
            for p_start, p_end in periods:
                rows = int(per_period) + (1 if rng.random() < per_period - int(per_period) else 0)
                if rows > 0:
                    plans.append((unit, cat, p_start, p_end, rows))
    # Files arrive interleaved in time, as they would from many departments.
    plans.sort(key=lambda p: (p[2], p[0].config.code, p[1].code))
    return plans


def _eligible(pool: Sequence[gen.DemoSubject], category: str) -> list[gen.DemoSubject]:
    if category == "XZXK":
        return [s for s in pool if s.kind != "自然人"]
    return list(pool)


def _rows(
    cat: CategoryDef,
    unit: _Unit,
    start: dt.date,
    end: dt.date,
    count: int,
    rng: random.Random,
    serial: int,
    campaign_from: dt.date | None = None,
) -> list[dict[str, str]]:
    if cat.code == "XZXK":
        rows = list(gen.licence_rows(unit.pool, unit.authority, start, end, count, rng, serial_start=serial))
    else:
        rows = list(
            gen.penalty_rows(
                unit.pool, unit.authority, start, end, count, rng, serial_start=serial, campaign_from=campaign_from
            )
        )
    # The decision is the department's own: where it decided, not where the subject is registered.
    for row in rows:
        row["region_code"] = unit.config.region_code
    return rows


def _number_in_order(
    rows: list[dict[str, str]], numbering: dict[tuple[str, str, int], int], key: tuple[str, str]
) -> None:
    """Number a department's decisions the way offices do: per year, in the order they were decided
    (``<prefix>〔<year>〕<serial>号``), continuing from the department's earlier files, so that the decision-number
    check (文书号核查) finds only the holes the demo's flawed rows leave."""
    rows.sort(key=lambda r: (r["decision_date"], r["decision_no"]))
    for row in rows:
        number = parse_number(row["decision_no"])
        if number is None:
            continue
        year = int(row["decision_date"][:4])
        numbering[(*key, year)] += 1
        row["decision_no"] = f"{number.prefix}〔{year}〕{numbering[(*key, year)]:06d}号"


_FLAWS = ("bad_date", "malformed_uscc", "missing_mandatory", "pilot_uscc", "bad_enum")


def _flaw(rows: list[dict[str, str]], cat: CategoryDef, n: int, rng: random.Random) -> int:
    """Spoil one or two rows the way real exports are spoiled; returns how many rows were touched."""
    touched = 0
    for k in range(1 + (n % 2)):
        org_rows = [r for r in rows if r.get("uscc")]
        if not org_rows:
            return touched
        row = rng.choice(org_rows)
        kind = _FLAWS[(n + k) % len(_FLAWS)]
        if kind == "bad_date":
            row["decision_date"] = "2025/13/45"
        elif kind == "malformed_uscc":
            row["uscc"] = row["uscc"][:9] + "O" + row["uscc"][11:]  # letter O is not in the alphabet, one char short
        elif kind == "missing_mandatory":
            row["decision_no"] = ""
        elif kind == "pilot_uscc":
            row["uscc"] = PILOT_USCC
            row["subject_name"] = "福州试点运输有限公司"
            row["subject_kind"] = "法人及非法人组织"
        else:  # an enumeration value the catalog does not know
            row["subject_kind"] = "单位"
        touched += 1
    return touched


def _correct(row: dict[str, str]) -> None:
    """What a department corrects after the fact: the amount of the fine, or the facts."""
    if row.get("fine_amount"):
        amount = round(float(row["fine_amount"]) * 10_000 / 2)
        row["fine_amount"] = f"{amount / 10000:g}"
        row["penalty_content"] = f"罚款人民币{amount}元（经复核更正）"
    else:
        row["violation_facts"] = row["violation_facts"].rstrip("。") + "（经复核补充：当事人已当场改正）。"


def _headers(cat: CategoryDef, catalog: Catalog, fmt: FileFormat) -> dict[str, str]:
    """Field key → column title: the catalog's standard names, or the first legacy name where one exists."""
    headers = {f.key: f.name for f in cat.fields}
    if fmt == "legacy":
        legacy = next((m for m in catalog.mappings_for(cat.code) if m.name.endswith("-legacy")), None)
        if legacy is not None:
            first: dict[str, str] = {}
            for title, key in legacy.columns.items():
                first.setdefault(key, title)
            headers = {k: first.get(k, v) for k, v in headers.items()}
    return headers


_DATE_KEYS = ("decision_date", "valid_from", "valid_until")


def _write(
    path: Path, fmt: FileFormat, cat: CategoryDef, catalog: Catalog, rows: list[dict[str, str]], title: str | None
) -> None:
    headers = _headers(cat, catalog, fmt)
    if fmt == "xlsx":
        gen.write_xlsx(path, headers, rows, title=title)
        return
    if fmt == "legacy":
        # Old systems wrote dates as YYYYMMDD.
        rows = [{**r, **{k: _compact(r[k]) for k in _DATE_KEYS if r.get(k)}} for r in rows]
    gen.write_csv(path, headers, rows, encoding="gb18030")


def _compact(value: str) -> str:
    digits = value.replace("/", "").replace("-", "")
    return digits if len(digits) == 8 and digits.isdigit() else value


def _import(
    db: Database, settings: Settings, unit: _Unit, cat: CategoryDef, demo_file: DemoFile, report: DemoReport
) -> BatchSummary:
    actor = Actor(
        name=f"demo-{unit.config.code}",
        kind="cli",
        department_code=unit.config.code,
        roles=frozenset({ROLE_DATA_OFFICER}),
    )
    with db.unit_of_work() as session:
        summary = import_file(
            session, actor, settings, Path(demo_file.path), category=cat.code, department=unit.config.code
        )
    demo_file.batch_no = summary.batch_no
    report.files.append(demo_file)
    for name in ("total", "accepted", "warned", "rejected", "unchanged", "revised", "new_subjects"):
        report.totals[name] = report.totals.get(name, 0) + int(getattr(summary, name))
    return summary


# --- accounts and the API client ---------------------------------------------------------------------------


def _accounts_and_client(db: Database, settings: Settings, province: ProvinceConfig, report: DemoReport) -> None:
    office = next(d for d in province.departments if d.kind == "credit_office")
    city = next((d for d in province.departments if d.kind == "city_bureau"), None)
    wanted = [
        ("admin", f"{province.short_name}信用办管理员", [ROLE_ADMIN, ROLE_CREDIT_OFFICE], office.code),
    ]
    if city is not None:
        city_name = region_name(city.region_code) or city.region_code
        wanted.append(("officer", f"{city_name}数据报送员", [ROLE_DATA_OFFICER], city.code))
    licensing = next(
        (d for d in province.departments if d.kind == "transport" and d.level == "province" and "XZXK" in d.categories),
        None,
    ) or next((d for d in province.departments if "XZXK" in d.categories), None)

    with db.unit_of_work() as session:
        for username, display, roles, dept in wanted:
            existing = session.scalar(select(Account).where(Account.username == username))
            password = None
            if existing is None:
                password = generate_password()
                create_account(session, SYSTEM, username, display, password, dept, roles)
            report.accounts.append(DemoAccount(username, display, roles, dept, password))
        if licensing is not None:
            name = f"{province.short_name}交通运输行政许可审批系统"
            report.api_client = name
            if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is None:
                _client, key = create_api_client(
                    session, SYSTEM, name, licensing.code, ["XZXK"], [SCOPE_SUBMIT, SCOPE_CHECK, SCOPE_READ]
                )
                report.api_key = key
    _save_credentials(settings, report)


# The licensing system pushes the last days' decisions itself and checks applicants before approving (逢批必查):
# the 接口监测 page has traffic to show.
API_PUSHED_LICENCES = 40
API_CHECKS = 12


def _business_system_traffic(
    db: Database,
    settings: Settings,
    report: DemoReport,
    plans: Sequence[tuple[_Unit, CategoryDef, dt.date, dt.date, int]],
    numbering: dict[tuple[str, str, int], int],
    rng: random.Random,
    *,
    start: dt.date,
    end: dt.date,
) -> None:
    """Through the API's own service functions, under the demo key (only when the key was issued in this run)."""
    if report.api_key is None:
        return
    with db.unit_of_work() as session:
        actor = authenticate_api_key(session, report.api_key)
    unit = next((u for u, cat, *_ in plans if cat.code == "XZXK" and u.config.code == actor.department_code), None)
    if unit is None or not unit.pool:
        return
    rows = list(gen.licence_rows(unit.pool, unit.authority, start, end, API_PUSHED_LICENCES, rng))
    _number_in_order(rows, numbering, (unit.config.code, "XZXK"))
    for row in rows:
        row["region_code"] = unit.config.region_code
    with db.unit_of_work() as session:
        push_records(session, actor, settings, category="XZXK", records=rows)
    applicants = [r["uscc"] for r in rows if r.get("uscc")][:API_CHECKS]
    with db.unit_of_work() as session:
        for code in applicants:
            run_check(session, actor, settings, subject_code=code, matter_code="XK-DLYS-JY")


def _save_credentials(settings: Settings, report: DemoReport) -> None:
    """Keep the fresh demo secrets next to the database so a later ``tcredit demo`` can show them again."""
    path = credentials_path(settings)
    saved = saved_credentials(settings) or {}
    passwords: dict[str, str] = dict(saved.get("passwords") or {})
    for account in report.accounts:
        if account.password:
            passwords[account.username] = account.password
    data = {
        "note": "演示环境账号与密钥，仅供本机演示使用",
        "passwords": passwords,
        "api_client": report.api_client,
        "api_key": report.api_key or saved.get("api_key"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
