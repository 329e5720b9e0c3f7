"""Helpers of the console tests: accounts, sign-in, a GB18030 penalty file, uploads."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from transport_credit.catalog.service import active_catalog
from transport_credit.db.uow import Database
from transport_credit.demo import generator as gen

PASSWORD = "console-pass-2026"
OFFICER = "zz.officer"  # data officer of 郑州市交通运输局
MANAGER = "xyb.manager"  # 信用办
CITY_DEPT = "410100-jtj"
CREDIT_OFFICE = "410000-fgc"
BAD_DATE = "2025/13/45"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ID18_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, username: str = OFFICER, password: str = PASSWORD) -> None:
    page = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@dataclass
class PenaltyFile:
    path: Path
    person_name: str
    person_id: str
    bad_row: int  # line number of the bad row in the file (the header is line 1)
    rows: int


def write_penalty_file(db: Database, directory: Path, *, name: str = "郑州处罚.csv", seed: int = 11) -> PenaltyFile:
    """A 行政处罚 CSV in GB18030 with the standard headers: good rows (the last one for a person), one bad date."""
    with db.read() as session:
        category = active_catalog(session).category("XZCF")
    headers = {f.key: f.name for f in category.fields}
    rng = random.Random(seed)
    subs = gen.subjects(60, ["410100"], {"410100": "郑州市"}, seed=seed)
    person = next(s for s in subs if s.kind == "自然人")
    orgs = [s for s in subs if s.kind == "法人及非法人组织"][:5]
    authority = gen.Authority(name="郑州市交通运输局", uscc="11410100MB0001014R", short="郑交执")
    today = dt.date.today()
    rows = list(gen.penalty_rows(orgs, authority, today - dt.timedelta(days=90), today, 6, rng))
    rows += list(gen.penalty_rows([person], authority, today - dt.timedelta(days=30), today, 1, rng, 900))
    rows[2]["decision_date"] = BAD_DATE
    used = {k for r in rows for k, v in r.items() if v}
    columns = {k: v for k, v in headers.items() if k in used}
    path = directory / name
    gen.write_csv(path, columns, rows, encoding="gb18030")
    assert person.id_number is not None
    return PenaltyFile(path=path, person_name=person.name, person_id=person.id_number, bad_row=4, rows=len(rows))


def upload(client: TestClient, path: Path, *, category: str = "XZCF", department: str = CITY_DEPT) -> str:
    """Upload a file through the import form and follow the redirect; returns the result page's HTML."""
    form = client.get("/console/import")
    assert form.status_code == 200, form.text
    with path.open("rb") as fh:
        response = client.post(
            "/console/import",
            data={"category": category, "department": department, "csrf_token": csrf_of(form.text)},
            files={"file": (path.name, fh, "text/csv")},
        )
    assert response.status_code == 200, response.text
    return response.text
