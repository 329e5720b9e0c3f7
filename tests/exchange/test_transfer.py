"""Sending packages to the exchange directory (前置交换目录, exchange/transfer.py) on the real database: whole packages
marked ready, in order, never a damaged one; again when asked; the CLI and the console."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
sys.path.insert(0, str(Path(__file__).parents[1] / "lists"))

from ingest_kit import import_table, penalty_row
from lists_kit import OFFICE, OFFICER

from transport_credit import audit
from transport_credit.auth import service as auth
from transport_credit.bootstrap import initialize
from transport_credit.cli.main import app
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, SYSTEM
from transport_credit.common.errors import Conflict, InvalidInput, PermissionDenied
from transport_credit.db.uow import Database
from transport_credit.exchange import service, transfer
from transport_credit.server import create_app
from transport_credit.settings import Settings


@pytest.fixture
def packages(db: Database, settings: Settings, tmp_path: Path) -> tuple[service.PackageView, service.PackageView]:
    """The ministry's full package and a first increment."""
    initialize(db, settings)
    import_table(db, settings, tmp_path / "first.csv", [penalty_row(n) for n in range(1, 4)])
    with db.unit_of_work() as s:
        full = service.export_package(s, OFFICE, settings, "ministry")
    import_table(db, settings, tmp_path / "second.csv", [penalty_row(n) for n in range(4, 6)])
    with db.unit_of_work() as s:
        increment = service.export_package(s, OFFICE, settings, "ministry")
    return full, increment


@pytest.fixture
def outbox(tmp_path: Path, settings: Settings) -> Path:
    path = tmp_path / "前置机"
    path.mkdir()
    settings.exchange_outbox = path
    return path


def test_nothing_is_sent_without_an_exchange_directory(
    db: Database, settings: Settings, packages: tuple[service.PackageView, ...]
) -> None:
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as excinfo:
        transfer.send_package(s, OFFICE, settings, packages[0].id)
    assert excinfo.value.code == "outbox_not_configured"
    settings.exchange_outbox = Path("/nonexistent/share")
    with db.unit_of_work() as s, pytest.raises(InvalidInput) as excinfo:
        transfer.send_package(s, OFFICE, settings, packages[0].id)
    assert excinfo.value.code == "outbox_unavailable"


def test_packages_are_sent_whole_in_order_and_marked_ready(
    db: Database, settings: Settings, packages: tuple[service.PackageView, ...], outbox: Path
) -> None:
    full, increment = packages
    with db.unit_of_work() as s, pytest.raises(Conflict) as excinfo:
        transfer.send_package(s, OFFICE, settings, increment.id)  # the full set first
    assert excinfo.value.code == "earlier_unsent"
    with db.unit_of_work() as s, pytest.raises(PermissionDenied):
        transfer.send_package(s, OFFICER, settings, full.id)

    with db.unit_of_work() as s:
        sent = transfer.send_pending(s, OFFICE, settings, "ministry")
    assert [(r.sequence, r.sent) for r in sent] == [(1, True), (2, True)]
    for package in (full, increment):
        name = Path(package.directory).name
        placed = outbox / "ministry" / name
        assert service.verify_directory(placed).ok  # a receiver's check passes on the copy
        ready = outbox / "ministry" / f"{name}.ready"
        assert ready.read_text(encoding="ascii").strip() == package.manifest_sha256
    assert sorted(p.name for p in (outbox / "ministry").iterdir() if p.name.startswith(".")) == []  # no leftovers
    with db.read() as s:
        listed = {p.sequence: p for p in service.list_packages(s, OFFICE, settings, target="ministry")}
        assert all(p.sent_at is not None for p in listed.values())
        assert listed[1].sent_to == str(outbox / "ministry" / Path(full.directory).name)
        actions = [e.action for e in audit.list_entries(s, OFFICE, target_type="exchange_package")]
        assert actions.count("exchange.send") == 2

    # Sent before: left as it is, unless asked again.
    with db.unit_of_work() as s:
        assert transfer.send_package(s, OFFICE, settings, full.id).sent is False
        assert transfer.send_pending(s, OFFICE, settings, "ministry") == []
    marker = outbox / "ministry" / f"{Path(full.directory).name}.ready"
    marker.unlink()
    with db.unit_of_work() as s:
        assert transfer.send_package(s, OFFICE, settings, full.id, again=True).sent is True
    assert marker.exists()


def test_a_damaged_package_is_never_sent(
    db: Database, settings: Settings, packages: tuple[service.PackageView, ...], outbox: Path
) -> None:
    full = packages[0]
    data = Path(full.directory) / "records.jsonl"
    data.write_bytes(data.read_bytes()[:-10])
    with db.unit_of_work() as s, pytest.raises(Conflict) as excinfo:
        transfer.send_package(s, OFFICE, settings, full.id)
    assert excinfo.value.code == "package_damaged"
    assert not (outbox / "ministry").exists() or list((outbox / "ministry").iterdir()) == []


def test_the_cli_exports_and_sends(
    db: Database,
    settings: Settings,
    packages: tuple[service.PackageView, ...],
    outbox: Path,
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRANSPORT_CREDIT_EXCHANGE_OUTBOX", str(outbox))
    monkeypatch.setenv("TRANSPORT_CREDIT_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    one = runner.invoke(app, ["exchange", "send", "--target", "ministry", "--sequence", "1", "--json"])
    assert one.exit_code == 0, one.output
    assert [r["sequence"] for r in json.loads(one.stdout)] == [1]
    refused = runner.invoke(app, ["exchange", "send", "--target", "ministry", "--sequence", "9"])
    assert refused.exit_code != 0
    assert "没有第 9 号交换包" in refused.stderr
    exported = runner.invoke(app, ["exchange", "export", "--target", "ministry", "--send", "--json"])
    assert exported.exit_code == 0, exported.output
    body = json.loads(exported.stdout)
    assert body["sequence"] == 3
    assert [r["sequence"] for r in body["sent"]] == [2, 3]  # the one left behind, then the new one
    text = runner.invoke(app, ["exchange", "send", "--target", "ministry"])
    assert "没有需要发送的交换包" in text.stdout


def test_the_console_sends(
    db: Database, settings: Settings, packages: tuple[service.PackageView, ...], outbox: Path
) -> None:
    with db.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "xyb.manager", "信用办", "console-pass-2026", "410000-fgc", [ROLE_CREDIT_OFFICE])
    with TestClient(create_app(settings, db), base_url="http://testserver") as client:
        page = client.get("/console/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/console/login", data={"username": "xyb.manager", "password": "console-pass-2026", "csrf_token": token}
        )
        home = client.get("/console")
        assert "已生成、尚未发送到前置机的交换包" in home.text
        view = client.get("/console/exchange")
        assert "发送至前置机" in view.text
        token = view.text.split('name="csrf_token" value="')[1].split('"')[0]
        wrong = client.post(f"/console/exchange/{packages[1].id}/send", data={"csrf_token": token})
        assert wrong.status_code == 409
        assert "请先发送第 1 号交换包" in wrong.text
        done = client.post(f"/console/exchange/{packages[0].id}/send", data={"csrf_token": token})
        assert done.status_code == 200
        assert "已将全国交通运输信用信息共享平台第 1 号交换包发送到前置交换目录" in done.text
        assert "重新发送" in done.text
