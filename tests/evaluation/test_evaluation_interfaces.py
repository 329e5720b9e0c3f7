"""The front doors of evaluation, supervision and warnings: REST API (API keys), CLI and console pages."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from evaluation_kit import OFFICE, licence, penalty, subject
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from transport_credit.auth import service as auth
from transport_credit.auth.schema import SCOPE_CHECK, SCOPE_READ, SCOPE_SUBMIT
from transport_credit.cli.main import app as cli_app
from transport_credit.common.actor import ROLE_DATA_OFFICER, ROLE_VIEWER, SYSTEM
from transport_credit.db.uow import Database
from transport_credit.evaluation import service as evaluation
from transport_credit.server import create_app
from transport_credit.settings import Settings
from transport_credit.supervision import service as supervision

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
from console_kit import CSRF_RE, PASSWORD

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    pass


def _seed(db: Database, settings: Settings) -> dict[str, int]:
    with db.unit_of_work() as s:
        ids = {}
        for n in range(8):
            firm = subject(s, 900 + n, region="410102")
            licence(s, firm.id, dt.date(2020, 1, 1), "道路运输", "道路货物运输")
            for k in range(n % 4):
                penalty(s, firm.id, dt.date(2025, 3 + k, 1), severity="serious", fine=2)
            ids[f"f{n}"] = firm.id
        for n in range(4):
            supervision.add_inspector(
                s,
                OFFICE,
                code=f"ZF{n}",
                name=f"执法员{n}",
                department_code="410100-jtj",
                region_code="410100",
                domains=["道路运输"],
            )
        evaluation.run_evaluation(s, OFFICE, settings, "road_transport_enterprise", "2025", today=TODAY)
    return ids


@pytest.fixture
def api(platform: Database, settings: Settings) -> Iterator[tuple[TestClient, dict[str, str], dict[str, int]]]:
    ids = _seed(platform, settings)
    with platform.unit_of_work() as s:
        _, full = auth.create_api_client(s, SYSTEM, "执法系统", "410100-jtj", ["XZCF"], [SCOPE_SUBMIT, SCOPE_READ])
        _, check = auth.create_api_client(s, SYSTEM, "审批系统", "410100-jtj", [], [SCOPE_CHECK])
    with TestClient(create_app(settings, platform)) as c:
        yield c, {"full": full, "check": check}, ids


def test_api_evaluation_supervision_warnings(api: tuple[TestClient, dict[str, str], dict[str, int]]) -> None:
    c, keys, ids = api
    h = {"X-API-Key": keys["full"]}
    models = c.get("/api/v1/evaluation/models", headers=h).json()
    assert {m["code"] for m in models} >= {"highway_construction", "road_transport_enterprise"}
    r = c.get(f"/api/v1/evaluation/subjects/{ids['f3']}", headers=h)
    assert r.status_code == 200
    body = r.json()[0]
    assert body["model_code"] == "road_transport_enterprise"
    assert body["hits"]
    assert {h_["rule_code"] for h_ in body["hits"]} >= {"RT02"}
    dist = c.get("/api/v1/evaluation/distribution", params={"model": "road_transport_enterprise"}, headers=h).json()
    assert sum(dist["total"].values()) == 8
    # bad input → 4xx with a machine code
    r = c.post("/api/v1/evaluation/runs", json={"model": "road_transport_enterprise", "period": "20x5"}, headers=h)
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_period"
    r = c.post("/api/v1/evaluation/runs", json={"model": "nope", "period": "2025"}, headers=h)
    assert r.status_code == 404
    assert r.json()["code"] == "evaluation_model_not_found"
    r = c.get("/api/v1/evaluation/models", headers={"X-API-Key": keys["check"]})
    assert r.status_code == 403
    r = c.post("/api/v1/evaluation/reevaluate", json={"subject_ids": [ids["f1"]]}, headers=h)
    assert r.status_code == 200
    assert r.json()[0]["kind"] == "dynamic"
    # a 双随机 task
    r = c.post(
        "/api/v1/supervision/tasks",
        headers=h,
        json={
            "name": "郑州道路运输抽查",
            "domain": "道路运输",
            "region_code": "410100",
            "size": 4,
            "task_date": "2026-11-21",
            "seed": "api-seed",
        },
    )
    assert r.status_code == 201, r.text
    task = r.json()
    assert len(task["items"]) == 4
    assert task["task"]["seed"] == "api-seed"
    tid = task["task"]["id"]
    assert c.get(f"/api/v1/supervision/tasks/{tid}/verify", headers=h).json()["same"] is True
    for it in task["items"]:
        r = c.post(
            f"/api/v1/supervision/items/{it['id']}/result",
            headers=h,
            json={"result": "未发现问题", "inspected_on": "2026-11-22"},
        )
        assert r.status_code == 200
    assert c.get(f"/api/v1/public/inspections/{tid}").status_code == 404
    assert c.post(f"/api/v1/supervision/tasks/{tid}/publish", headers=h).json()["status"] == "published"
    assert len(c.get(f"/api/v1/public/inspections/{tid}").json()["items"]) == 4
    assert c.get("/api/v1/supervision/linkage", headers=h).json()["linkage_rate"] == 1.0
    r = c.post(
        "/api/v1/supervision/tasks",
        headers=h,
        json={"name": "x", "domain": "道路运输", "region_code": "410100", "size": 0, "task_date": "2026-11-21"},
    )
    assert r.status_code == 422
    # warnings: list and feed
    feed = c.get("/api/v1/warnings/feed", headers=h, params={"after_id": 0}).json()
    assert feed["next_after_id"] >= 0
    bad_kind = c.get("/api/v1/warnings", headers=h, params={"kind": "bad"}).json()  # kinds are an enumeration
    assert (bad_kind["code"], bad_kind["details"]["errors"][0]["loc"]) == ("invalid_request", ["query", "kind"])
    assert (
        c.post("/api/v1/warnings/99999/handle", headers=h, json={"status": "handled", "note": "x"}).status_code == 404
    )


def test_cli(platform: Database, settings: Settings, cli_env: Path) -> None:
    ids = _seed(platform, settings)
    runner = CliRunner()
    r = runner.invoke(cli_app, ["evaluate", "models"])
    assert r.exit_code == 0
    assert "公路施工企业信用评价" in r.output
    r = runner.invoke(cli_app, ["evaluate", "run", "highway_construction", "--period", "2025", "--json"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli_app, ["evaluate", "run", "road_transport_enterprise", "--period", "2025x"])
    assert r.exit_code == 1
    assert "评价周期" in r.output
    r = runner.invoke(cli_app, ["evaluate", "explain", str(ids["f3"])])
    assert r.exit_code == 0, r.output
    assert "道路运输企业信用评价" in r.output
    assert "RT02" in r.output
    with platform.read() as s:
        from transport_credit.subjects.models import Subject

        code = s.get(Subject, ids["f2"]).uscc  # type: ignore[union-attr]
    r = runner.invoke(cli_app, ["evaluate", "explain", code, "--json"])
    assert r.exit_code == 0
    assert json.loads(r.output)[0]["subject_id"] == ids["f2"]
    r = runner.invoke(
        cli_app,
        [
            "supervise",
            "draw",
            "--domain",
            "道路运输",
            "--region",
            "410100",
            "--size",
            "3",
            "--seed",
            "cli",
            "--date",
            "2026-11-21",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "随机种子" in r.output
    assert "cli" in r.output
    r = runner.invoke(cli_app, ["supervise", "verify", "1"])
    assert r.exit_code == 0
    assert "结果一致" in r.output
    r = runner.invoke(cli_app, ["warnings", "scan"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli_app, ["evaluate", "distribution", "road_transport_enterprise"])
    assert r.exit_code == 0
    assert "410100" in r.output


def _login(c: TestClient, username: str) -> str:
    page = c.get("/console/login")
    token = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
    r = c.post(
        "/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    return token


def test_console_pages(platform: Database, settings: Settings) -> None:
    ids = _seed(platform, settings)
    with platform.unit_of_work() as s:
        auth.create_account(s, SYSTEM, "zz.officer", "郑州报送员", PASSWORD, "410100-jtj", [ROLE_DATA_OFFICER])
        auth.create_account(s, SYSTEM, "viewer", "查询员", PASSWORD, "410100-jtj", [ROLE_VIEWER])
    with TestClient(create_app(settings, platform)) as c:
        _login(c, "zz.officer")
        page = c.get("/console/evaluation", params={"model": "road_transport_enterprise"})
        assert page.status_code == 200
        assert "当前等级分布（共 8 个主体）" in page.text
        assert "郑州市" in page.text
        csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        r = c.post(
            "/console/evaluation/run",
            data={"model": "highway_construction", "period": "2025", "csrf_token": csrf},
            follow_redirects=True,
        )
        assert r.status_code == 200
        assert "批次" in r.text
        r = c.post(
            "/console/evaluation/run", data={"model": "highway_construction", "period": "2025", "csrf_token": "forged"}
        )
        assert r.status_code == 403
        r = c.get(f"/console/evaluation/subjects/{ids['f3']}")
        assert r.status_code == 200
        assert "严重失信行为" in r.text
        assert "逐条说明" in r.text
        r = c.post(
            "/console/supervision/draw",
            data={
                "name": "郑州抽查",
                "domain": "道路运输",
                "region_code": "410100",
                "size": "3",
                "task_date": "2026-11-21",
                "seed": "web",
                "csrf_token": csrf,
            },
            follow_redirects=True,
        )
        assert r.status_code == 200
        assert "分层抽取" in r.text
        task_url = str(r.url)
        r = c.get(task_url, params={"verify": 1})
        assert "复核一致" in r.text
        r = c.post(
            "/console/supervision/draw",
            data={
                "name": "x",
                "domain": "道路运输",
                "region_code": "410100",
                "size": "abc",
                "task_date": "2026-11-21",
                "csrf_token": csrf,
            },
        )
        assert r.status_code == 422
        r = c.get("/console/warnings")
        assert r.status_code == 200
        assert "信用监测预警" in r.text
        assert c.get("/console/evaluation/subjects/999999").status_code == 404
        assert re.search(r'href="/console/warnings"', page.text)
    with TestClient(create_app(settings, platform)) as c:
        _login(c, "viewer")
        page = c.get("/console/evaluation")
        assert page.status_code == 200
        assert "执行周期评价" not in page.text
