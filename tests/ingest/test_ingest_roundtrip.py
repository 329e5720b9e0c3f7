"""Property: random valid rows written to a CSV and imported are stored as their normalised values."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from ingest_kit import XZCF_HEADERS, citizen_id, import_table, penalty_row, stored, uscc

from transport_credit.db.uow import Database
from transport_credit.settings import Settings

_counter = itertools.count(1)
TEXT = (
    st.text(
        alphabet=st.sampled_from("运输超限公司道路货物罚款警告当事人经调查属实ABCxyz0123456789（）《》，。-/ "),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def penalty_rows(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, object]]:
    """A raw row as an office might write it, and the values the platform must store."""
    n = next(_counter)
    decided = draw(st.dates(dt.date(2019, 1, 1), dt.date.today() - dt.timedelta(days=1)))
    until = draw(st.one_of(st.just(dt.date(2099, 12, 31)), st.dates(decided, dt.date(2035, 12, 31))))
    date_fmt = draw(st.sampled_from(["%Y/%m/%d", "%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"]))
    fine = draw(st.one_of(st.none(), st.decimals(0, 9999, places=2).map(float)))
    person = draw(st.booleans())
    facts, content = draw(TEXT), draw(TEXT)
    ptype = draw(st.sampled_from(["罚款", "警告", "吊销许可证件", "通报批评"]))
    code = uscc(n * 7 + 3, draw(st.sampled_from(["410100", "410300", "419001"])))
    raw_code = draw(st.sampled_from([code, code.lower(), f" {code} "]))
    overrides: dict[str, str] = {
        "violation_facts": facts,
        "penalty_content": content,
        "penalty_type": ptype,
        "fine_amount": "" if fine is None else draw(st.sampled_from([f"{fine:g}", f"{fine:,.2f}", f"{fine:g}万元"])),
        "decision_date": decided.strftime(date_fmt),
        "valid_until": until.strftime("%Y/%m/%d"),
        "uscc": raw_code,
    }
    if person:
        pid = citizen_id("410102", dt.date(1970, 1, 1) + dt.timedelta(days=n % 9000), n % 1000)
        overrides |= {
            "subject_kind": "自然人",
            "subject_name": "李四",
            "uscc": "",
            "legal_rep": "",
            "id_type": "01",
            "id_number": pid,
        }
    row = penalty_row(n, **overrides)
    expected: dict[str, object] = {
        "decision_no": row["decision_no"],
        "violation_facts": facts,
        "penalty_content": content,
        "penalty_type": ptype,
        "fine_amount": fine,
        "decision_date": decided.isoformat(),
        "valid_until": until.isoformat(),
        "uscc": None if person else code,
        "subject_kind": "自然人" if person else "法人及非法人组织",
        "source_unit": row["source_unit"],
    }
    return row, expected


@hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(penalty_rows(), min_size=1, max_size=8))
def test_csv_round_trip(
    platform: Database, settings: Settings, cases: list[tuple[dict[str, str], dict[str, object]]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        summary = import_table(platform, settings, Path(tmp) / "h.csv", [row for row, _ in cases], XZCF_HEADERS)
    assert summary.rejected == 0, summary
    assert summary.accepted + summary.warned == len(cases)
    recs = stored(platform)
    for row, expected in cases:
        data = recs[row["decision_no"]].data
        for key, value in expected.items():
            assert data.get(key) == value, (key, row.get(key, None))  # empty fields are absent
        if row.get("id_number"):
            assert data["id_number"] != row["id_number"]
