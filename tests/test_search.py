"""Subject search: ranking, codes, the index kept in sync on insert, rename and bulk import; property tests."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text, update

from portal_kit import Seeded, seed_portal, uscc
from transport_credit.auth import service as auth
from transport_credit.common.actor import ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.db.uow import Database
from transport_credit.ingest.service import import_file
from transport_credit.search.rules import bigrams, classify, fts_phrase, like_escape, rank_of, rarest_pair
from transport_credit.search.service import search
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject


@pytest.fixture
def seeded(db: Database, settings: Settings) -> Seeded:
    return seed_portal(db, settings)


@pytest.mark.parametrize(
    ("raw", "text", "code"),
    [
        ("顺", None, None),
        ("  顺达 ", "顺达", None),
        ("9141 0300", "9141 0300", "91410300"),
        ("ｑ１２", "ｑ１２", "Q12"),
        ("运输公司", "运输公司", None),
        ("AB", "AB", None),  # no digit: a name, not a code
    ],
)
def test_classify(raw: str, text: str | None, code: str | None) -> None:
    q = classify(raw)
    if text is None:
        assert q is None
    else:
        assert q is not None
        assert q.text == text
        assert q.code == code


@pytest.mark.parametrize(
    ("name", "query", "rank"),
    [("顺达", "顺达", "exact"), ("顺达物流", "顺达", "prefix"), ("洛阳顺达", "顺达", "substring")],
)
def test_rank_of(name: str, query: str, rank: str) -> None:
    assert rank_of(name, query) == rank


def test_escaping() -> None:
    assert fts_phrase('a"b') == '"a""b"'
    assert like_escape("100%_") == "100\\%\\_"


def test_ranking_and_codes(db: Database, seeded: Seeded) -> None:
    with db.read() as s:
        names = [h.name for h in search(s, "顺达", limit=10)]
        assert names[:2] == ["顺达", "顺达物流有限公司"]
        assert set(names[2:]) == {"洛阳顺达道路运输有限公司", "郑州市顺达客运有限公司"}
        assert [h.rank for h in search(s, "顺达", limit=10)][:2] == ["exact", "prefix"]
        full = search(s, seeded.org_uscc)
        assert full[0].id == seeded.org
        assert full[0].rank == "code"
        assert seeded.org in {h.id for h in search(s, seeded.org_uscc[:10].lower())}
        assert [h.name for h in search(s, "道路运输有限")] == ["洛阳顺达道路运输有限公司"]
        assert [h.name for h in search(s, "100%_")] == ["100%_安全运输公司"]  # wildcards are literal
        assert search(s, "%%") == []
        assert search(s, "顺") == []
        assert search(s, "李四光") == []  # natural persons are not publicly searchable
        assert search(s, "王记汽车")[0].id == seeded.business  # individual businesses are


def test_index_follows_inserts_and_renames(db: Database, seeded: Seeded) -> None:
    with db.unit_of_work() as s:
        s.add(Subject(kind="org", name="新乡市铁骑货运有限公司", uscc=uscc("410700MA0099"), region_code="410700"))
    with db.read() as s:
        assert [h.name for h in search(s, "铁骑货运")] == ["新乡市铁骑货运有限公司"]
    with db.unit_of_work() as s:
        s.execute(update(Subject).where(Subject.name == "新乡市铁骑货运有限公司").values(name="新乡市飞驰货运有限公司"))
    with db.read() as s:
        assert search(s, "铁骑货运") == []
        assert [h.name for h in search(s, "飞驰货运")] == ["新乡市飞驰货运有限公司"]


def test_two_character_index_follows_inserts_renames_and_deletes(db: Database, seeded: Seeded) -> None:
    """Two characters (a firm's 字号) go through the bigram table, kept in step by triggers; ASCII is case-blind."""
    with db.unit_of_work() as s:
        s.add(Subject(kind="org", name="新乡市铁骑ZX货运有限公司", uscc=uscc("410700MA0098"), region_code="410700"))
    with db.read() as s:
        assert [h.name for h in search(s, "铁骑")] == ["新乡市铁骑ZX货运有限公司"]
        assert [h.name for h in search(s, "zx")] == ["新乡市铁骑ZX货运有限公司"]
        assert [h.rank for h in search(s, "骑Z")] == ["substring"]
    with db.unit_of_work() as s:
        s.execute(
            update(Subject).where(Subject.name == "新乡市铁骑ZX货运有限公司").values(name="新乡市飞驰货运有限公司")
        )
    with db.read() as s:
        assert search(s, "铁骑") == []
        assert search(s, "zx") == []
        assert [h.name for h in search(s, "飞驰")] == ["新乡市飞驰货运有限公司"]
    with db.unit_of_work() as s:
        s.execute(delete(Subject).where(Subject.name == "新乡市飞驰货运有限公司"))
    with db.read() as s:
        assert search(s, "飞驰") == []
        left = s.execute(text("SELECT count(*) FROM subject_name_bigrams WHERE gram IN ('飞驰', '驰货')")).scalar()
        assert left == 0


def test_subjects_created_by_a_bulk_import_are_searchable(
    db: Database, settings: Settings, seeded: Seeded, tmp_path: Path
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "web"))
    from console_kit import CITY_DEPT, write_penalty_file

    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "zz.officer2", "报送员", "pass-2026-abcdef", CITY_DEPT, [ROLE_DATA_OFFICER])
    pf = write_penalty_file(db, tmp_path)
    actor = Actor(name="zz.officer2", kind="account", department_code=CITY_DEPT, roles=frozenset({ROLE_DATA_OFFICER}))
    with db.unit_of_work() as s:
        import_file(s, actor, settings, pf.path, category="XZCF", department=CITY_DEPT)
    with db.read() as s:
        created = s.scalars(select(Subject).where(Subject.created_batch_id.is_not(None))).all()
        assert len(created) > 3
        org = next(c for c in created if c.kind == "org")
        fragment = org.name[2:6]
        assert org.id in {h.id for h in search(s, fragment, limit=50)}
        # every subject the import created has exactly its name's bigrams (indexed set-wise after the bulk insert
        # on SQLite, migration b1a2c3d4e509) and is found by a three-character and a two-character fragment
        ids = [c.id for c in created]
        rows = s.execute(
            select(text("gram"), text("subject_id"))
            .select_from(text("subject_name_bigrams"))
            .where(text("subject_id IN (" + ",".join(str(i) for i in ids) + ")"))
        ).all()
        assert sorted(rows) == sorted({(g, c.id) for c in created for g in bigrams(c.name)})
        for c in created:
            assert c.id in {h.id for h in search(s, c.name[1:4], limit=50, kinds=(c.kind,))}, c.name
            assert c.id in {h.id for h in search(s, c.name[-2:], limit=500, kinds=(c.kind,))}, c.name
        if db.dialect == "sqlite":  # the deferral flag never outlives the import
            assert s.execute(text("SELECT count(*) FROM subject_index_deferred")).scalar() == 0


NAME_CHARS = "洛阳郑州顺达运输物流有限公司汽车维修客运货运新乡平顶山"


@hsettings(max_examples=25)
@given(name=st.text(alphabet=NAME_CHARS, min_size=4, max_size=16), data=st.data())
def test_any_substring_finds_the_subject(db: Database, settings: Settings, name: str, data: st.DataObject) -> None:
    """Property: every substring of 2+ characters of a name finds that subject (among at most 50 results)."""
    with db.unit_of_work() as s:
        subject = s.scalar(select(Subject).where(Subject.name == name))
        if subject is None:
            subject = Subject(kind="org", name=name, uscc=None, region_code="410100")
            s.add(subject)
            s.flush()
        sid = subject.id
    start = data.draw(st.integers(0, len(name) - 2))
    end = data.draw(st.integers(start + 2, len(name)))
    fragment = name[start:end]
    with db.read() as s:
        hits = search(s, fragment, limit=50)
        total = s.scalar(select(Subject.id).where(Subject.name.contains(fragment)).limit(1))
    assert total is not None
    # Exact and prefix tiers come first; the subject is found unless 50 better-or-equal matches precede it.
    if len(hits) < 50:
        assert sid in {h.id for h in hits}
    for a, b in itertools.pairwise(hits):
        order = {"code": 0, "exact": 1, "prefix": 2, "substring": 3}
        assert order[a.rank] <= order[b.rank]


@pytest.mark.parametrize(
    ("text", "frequency", "pair"),
    [
        ("百宝邦", {}, ("百宝", "宝邦")),  # no statistics: the first two
        ("运输有限公司", {"运输": 0.2, "输有": 0.2, "有限": 0.9, "限公": 0.9, "公司": 0.95}, ("运输", "输有")),
        ("郑州百宝运输", {"郑州": 0.06, "运输": 0.2}, ("州百", "百宝")),  # unlisted bigrams are the rarest
        ("AB运", {}, ("ab", "b运")),  # ASCII folded like SQL lower()
        ("啊啊啊", {}, ("啊啊", "啊啊")),  # one distinct bigram
    ],
)
def test_rarest_pair(text: str, frequency: dict[str, float], pair: tuple[str, str]) -> None:
    assert rarest_pair(text, frequency) == pair
    assert set(pair) <= set(bigrams(text))
