"""Personal-information scan: every page and public endpoint of a demo province built in the test.

The demo's records come through the real import path with natural persons' citizen ID numbers and names in them.
The crawler follows every link of the public website (and the public API's links to subjects and records) and
fails on any 18-character citizen ID number with a valid check character, any 15-digit old ID (with a valid birth
date), any 11-digit mobile number, and any natural person's full name.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections import deque

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from transport_credit.db.uow import Database
from transport_credit.demo.build import build_demo
from transport_credit.identifiers.citizen_id import citizen_id_check_char
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject

DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])|(?<![0-9A-Za-z])[0-9]{15}(?![0-9A-Za-z])")
# Like DIGIT_RUN, a run of digits inside a longer token of letters and digits is not a number on its own: the
# verification page prints the report's SHA-256, and one hex digest in a few hundred holds "1[3-9]" and nine digits
# between two letters (a failure seen in CI). A mobile number beside Chinese text or punctuation is still found.
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")
HREF = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/static/", "/api/docs", "/console", "/favicon")
MAX_PAGES = 700


def _looks_like_id(value: str) -> bool:
    """A run of digits that could be a citizen ID: 18 characters with a valid check character, or 15 digits (the
    old form, no check character) whose birth date (YYMMDD) is a date. Runs inside a longer token of letters and
    digits (a report's SHA-256 or signature in hex) are not IDs; DIGIT_RUN does not return them."""
    if len(value) == 15:
        try:
            dt.date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
        except ValueError:
            return False
        return True
    return citizen_id_check_char(value[:17]) == value[17].upper()


def _scan(text: str, where: str, names: set[str]) -> list[str]:
    problems = [f"{where}: ID {m}" for m in DIGIT_RUN.findall(text) if _looks_like_id(m)]
    problems += [f"{where}: mobile {m}" for m in MOBILE.findall(text)]
    problems += [f"{where}: name {n}" for n in names if n in text]
    return problems


@pytest.mark.slow
def test_no_unmasked_personal_information_anywhere(db: Database, settings: Settings, cheap_hashing: None) -> None:
    build_demo(db, settings, subjects=120, months=6, seed=5)
    with db.read() as s:
        people = {n for n in s.scalars(select(Subject.name).where(Subject.kind == "person")) if len(n) >= 2}
        person_ids = list(s.scalars(select(Subject.id).where(Subject.kind == "person").limit(5)))
        org_ids = list(s.scalars(select(Subject.id).where(Subject.kind != "person").limit(5)))
    assert people, "the demo has natural persons"
    problems: list[str] = []
    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        start = [
            "/",
            "/search?q=运输",
            "/search?q=有限公司",
            "/disclosures",
            "/disclosures?kind=XZCF",
            "/disclosures?kind=XZXK",
            "/disclosures?page=2",
            "/lists",
            "/cases",
            "/policies",
            "/notices",
            "/verify",
            "/apply",
            *[f"/subjects/{i}" for i in person_ids + org_ids],
        ]
        seen: set[str] = set()
        queue = deque(start)
        while queue and len(seen) < MAX_PAGES:
            path = queue.popleft()
            if path in seen or path.startswith(SKIP):
                continue
            seen.add(path)
            r = client.get(path)
            assert r.status_code in (200, 404), (path, r.status_code)
            problems += _scan(r.text, path, people)
            for href in HREF.findall(r.text):
                href = urllib.parse.unquote(href.replace("&amp;", "&"))
                if href not in seen and not href.startswith(SKIP) and not href.endswith((".csv", ".json")):
                    queue.append(href)
        assert len(seen) > 50
        # Downloads and the public API.
        for path in (
            "/disclosures.csv",
            "/disclosures.json",
            "/lists.csv",
            "/lists.json",
            "/disclosures.csv?kind=XZCF",
            "/api/v1/public/export?category=XZCF",
            "/api/v1/public/export?category=XZCF&format=json",
            "/api/v1/public/export?category=XZXK",
            "/api/v1/public/records?category=XZCF&limit=200",
            "/api/v1/public/records?category=HEIMD&limit=200",
            "/api/v1/public/subjects?q=运输",
            *[f"/api/v1/public/subjects/{i}" for i in person_ids + org_ids],
        ):
            r = client.get(path)
            assert r.status_code == 200, (path, r.text[:200])
            problems += _scan(r.content.decode("utf-8-sig"), path, people)
        for sid in person_ids[:2]:
            pdf = client.post(f"/subjects/{sid}/report")
            assert pdf.status_code == 200
            code = pdf.headers["x-report-code"]
            problems += _scan(client.get(f"/verify/{code}").text, f"/verify/{code}", people)
    assert not problems, "\n".join(sorted(set(problems))[:30])
