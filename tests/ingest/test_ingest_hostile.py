"""Property: whatever the cells of a file hold (any Unicode, control characters, cells far over any length,
numbers and dates of every shape), an import ends in a batch whose every row is accounted for, or a file-level
refusal. Never an internal error, never a half batch; rejected rows are kept for correction."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from ingest_kit import XZCF_HEADERS, counts, penalty_row, run_import, table, write_csv

from transport_credit.db.uow import Database
from transport_credit.ingest.pipeline import BatchSummary
from transport_credit.ingest.readers import FileRefused
from transport_credit.settings import Settings

CELL = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),  # any Unicode but lone surrogates
    st.text(st.sampled_from("\x00\x01\x0b\x1f\x7f\t\r\n \u3000\ufeff\u200b,\"'"), max_size=6),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["2099/12/31", "2025-02-30", "99999", "0", "-1", "45000.5", "1e308", "长期", "91350100M0001TGQXM"]),
    st.integers(4000, 6000).map(lambda n: "超" * n),  # around the cell limit
)


@st.composite
def hostile_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    """Valid rows with some of their cells replaced by anything."""
    rows = []
    for n in range(1, draw(st.integers(1, 6)) + 1):
        row = penalty_row(n)
        for key in draw(st.sets(st.sampled_from(sorted(XZCF_HEADERS)), max_size=6)):
            row[key] = draw(CELL)
        rows.append(row)
    return rows


@hyp_settings(
    max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=hostile_rows(), encoding=st.sampled_from(["gb18030", "utf-8"]))
def test_any_cells_end_in_an_accounted_batch(
    platform: Database, settings: Settings, rows: list[dict[str, str]], encoding: str
) -> None:
    before = counts(platform)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "处罚.csv", table(XZCF_HEADERS, rows), encoding)
        outcome = _import(platform, settings, path)
    after = counts(platform)
    if isinstance(outcome, FileRefused) or outcome.already_imported:  # nothing written
        event(f"refused: {outcome.code}" if isinstance(outcome, FileRefused) else "already imported")
        assert after == before
        return
    event("some rows rejected" if outcome.rejected else "all rows stored")
    assert outcome.total == len(rows)
    assert outcome.accepted + outcome.warned + outcome.rejected + outcome.unchanged + outcome.revised == len(rows)
    assert after["quarantine_rows"] - before["quarantine_rows"] == outcome.rejected
    assert after["batches"] == before["batches"] + 1


def _import(platform: Database, settings: Settings, path: Path) -> BatchSummary | FileRefused:
    try:
        return run_import(platform, settings, path)
    except FileRefused as refused:  # a file-level refusal, with its code
        return refused


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_a_file_of_nothing_but_control_characters_is_refused(
    platform: Database, settings: Settings, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "坏文件.csv"
    path.write_bytes("\x00\x01\x02\x1f\n\x00\x00\n".encode(encoding))
    before = counts(platform)
    with pytest.raises(FileRefused):
        run_import(platform, settings, path)
    assert counts(platform) == before
