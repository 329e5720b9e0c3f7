"""Catalog documents in the database: load_shipped idempotent, versioning, permissions, active catalog cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from transport_credit.catalog import service
from transport_credit.catalog.loader import CatalogFileError, data_dir, shipped_documents
from transport_credit.catalog.models import CatalogDocument
from transport_credit.catalog.rules import CatalogMergeError
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, SYSTEM, Actor
from transport_credit.common.errors import Conflict, PermissionDenied
from transport_credit.db.uow import Database

OFFICE = Actor(name="xyb", kind="account", roles=frozenset({ROLE_CREDIT_OFFICE}))
CLERK = Actor(name="clerk", kind="account", roles=frozenset({ROLE_DATA_OFFICER}))


def _count(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(CatalogDocument)) or 0)


def test_load_shipped_idempotent(db: Database) -> None:
    with db.unit_of_work() as s:
        rows = service.load_shipped(s, SYSTEM, "henan")
    assert len(rows) == len(shipped_documents("henan"))
    assert {(r.kind, r.scope, r.name) for r in rows} >= {
        ("catalog", "000000", "national"),
        ("catalog", "410400", "pingdingshan"),
        ("publicity", "000000", "dishonest"),
        ("mapping", "000000", "xzcf-legacy"),
    }
    assert all(r.active and r.loaded_by == "system:system" and len(r.sha256) == 64 for r in rows)
    with db.unit_of_work() as s:
        assert service.load_shipped(s, SYSTEM, "henan") == []
    assert _count(db) == len(rows)
    with db.read() as s:
        catalog = service.active_catalog(s)
        assert catalog.has_category("PDS-GJKH")
        assert catalog.category("XZCF").fields[-1].key == "enforcement_area"
        assert service.active_catalog(s) is catalog  # cached
        assert len(service.list_documents(s)) == len(rows)


def test_versioning(db: Database, tmp_path: Path) -> None:
    with db.unit_of_work() as s:
        service.load_shipped(s, SYSTEM, "henan")
    with db.read() as s:
        before = service.active_catalog(s)
    text = (data_dir() / "publicity" / "dishonest.yaml").read_text(encoding="utf-8")
    new = tmp_path / "dishonest.yaml"
    new.write_text(
        text.replace('version: "2026.1"', 'version: "2026.2"').replace(
            "serious: {min_months: 12", "serious: {min_months: 18"
        ),
        encoding="utf-8",
    )
    with db.unit_of_work() as s:
        row = service.load_file(s, OFFICE, new)
        assert row is not None
        assert (row.version, row.active, row.loaded_by) == ("2026.2", True, "account:xyb")
    with db.read() as s:
        rows = [r for r in service.list_documents(s) if r.kind == "publicity"]
        assert [(r.version, r.active) for r in rows] == [("2026.2", True), ("2026.1", False)]
        after = service.active_catalog(s)
        assert after is not before
        assert after.version != before.version
        assert after.publicity_rule_sets("dishonest")[-1].periods["serious"].min_months == 18
    # Shipped files again: already stored (inactive) → nothing; the admin's newer version stays active.
    with db.unit_of_work() as s:
        assert service.load_shipped(s, SYSTEM, "henan") == []
        assert service.active_catalog(s).publicity_rule_sets("dishonest")[-1].periods["serious"].min_months == 18
    # Loading the old file explicitly rolls back to it.
    with db.unit_of_work() as s:
        old = service.load_file(s, OFFICE, data_dir() / "publicity" / "dishonest.yaml")
        assert old is not None
        assert old.version == "2026.1"
    with db.read() as s:
        assert [r.version for r in service.list_documents(s, active_only=True) if r.kind == "publicity"] == ["2026.1"]
        assert service.active_catalog(s).version == before.version
    # Same content again → nothing.
    with db.unit_of_work() as s:
        assert service.load_file(s, OFFICE, data_dir() / "publicity" / "dishonest.yaml") is None


def test_same_version_other_content_conflicts(db: Database, tmp_path: Path) -> None:
    with db.unit_of_work() as s:
        service.load_shipped(s, SYSTEM, "henan")
    text = (data_dir() / "publicity" / "dishonest.yaml").read_text(encoding="utf-8")
    path = tmp_path / "d.yaml"
    path.write_text(text + "\n# a comment changes the sha256\n", encoding="utf-8")
    with db.unit_of_work() as s, pytest.raises(Conflict, match=r"版本 2026\.1 已存在但内容不同"):
        service.load_file(s, OFFICE, path)


def test_load_file_checks(db: Database, tmp_path: Path) -> None:
    with db.unit_of_work() as s:
        service.load_shipped(s, SYSTEM, "ningxia")
    path = tmp_path / "city.yaml"
    path.write_text(
        "kind: catalog\nname: yinchuan\nversion: '1'\nscope: '640100'\n"
        "extends:\n  - code: NOPE\n    fields: [{name: 区域, key: area}]\n",
        encoding="utf-8",
    )
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        service.load_file(s, CLERK, path)
    with db.unit_of_work() as s, pytest.raises(CatalogMergeError, match="不存在的类别 NOPE"):
        service.load_file(s, OFFICE, path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: mapping\nname: m\n", encoding="utf-8")
    with db.unit_of_work() as s, pytest.raises(CatalogFileError, match=r"bad\.yaml"):
        service.load_file(s, OFFICE, bad)
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        service.load_shipped(s, CLERK, "ningxia")
    assert _count(db) == len(shipped_documents("ningxia"))
