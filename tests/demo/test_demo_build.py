"""`tcredit demo --no-serve` builds a province through the real import path, for any configured province."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from transport_credit.auth.models import Account, ApiClient, Department
from transport_credit.catalog.loader import load_province
from transport_credit.cli.main import app
from transport_credit.common.actor import SYSTEM
from transport_credit.db.engine import make_engine
from transport_credit.db.uow import Database
from transport_credit.exchange.models import ExchangePackage, ExchangeReceipt, ExchangeRejection
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.monitoring.coverage import measure as measure_coverage
from transport_credit.monitoring.interfaces import interface_report
from transport_credit.portal.models import CreditDeclaration, PortalApplication
from transport_credit.portal.transfers import awaiting_reply
from transport_credit.records.models import CreditRecord
from transport_credit.reminders.models import Reminder, ReminderSubscription
from transport_credit.subjects.models import Subject


@pytest.mark.parametrize("province", ["henan", "ningxia"])
def test_demo_builds_a_province_through_the_import_path(
    cli_env: Path, runner: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch, province: str
) -> None:
    monkeypatch.setenv("TRANSPORT_CREDIT_PROVINCE", province)
    from transport_credit.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["demo", "--no-serve", "--subjects", "300", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["built"] is True
    report = data["report"]
    config = load_province(province)
    assert report["province"] == config.code
    totals = report["totals"]
    assert totals["total"] >= 1200  # about 5 records per subject
    assert totals["rejected"] > 0
    assert totals["warned"] > 0
    assert totals["revised"] > 0
    formats = {f["format"] for f in report["files"]}
    assert formats == {"csv", "legacy", "xlsx"}
    # Every file went through import_file as a batch of its department.
    assert all(f["batch_no"] for f in report["files"])
    exported = {f["department_code"] for f in report["files"]}
    assert {d.code for d in config.departments if d.kind == "city_bureau"} <= exported

    engine = make_engine(database_url)
    try:
        with Database(engine).read() as s:
            # every imported file is one batch (records written by services, e.g. list decisions, adopted
            # declarations and the business system's push have their own)
            files = select(func.count()).select_from(Batch).where(Batch.channel == "file")
            assert s.scalar(files) == len(report["files"])
            # The business system pushed the last days' licences and checked applicants: 接口监测 has traffic.
            [system] = interface_report(s, SYSTEM).interfaces
            assert (system.batches, system.records, system.rejected, system.checks) == (1, 40, 0, 12)
            assert system.health == "ok"
            assert system.last_used_at is not None
            # The licensing offices checked most applicants before deciding: 信用查询办率 has last month to show.
            last_month_end = dt.date.today().replace(day=1)
            measured = measure_coverage(s, (last_month_end - dt.timedelta(days=1)).replace(day=1), last_month_end, 30)
            checked, licences = map(sum, zip(*measured.by_department().values(), strict=True))
            assert 0 < checked <= licences
            assert measured.matter_checks
            subjects = s.scalar(select(func.count()).select_from(Subject)) or 0
            assert 250 <= subjects <= 310  # the 300 generated (a few only in rejected rows) + the pilot code
            regions = set(s.scalars(select(Subject.region_code).distinct()))
            assert set(config.cities) <= regions  # subjects across all the cities
            assert (s.scalar(select(func.count()).select_from(CreditRecord)) or 0) >= 1200
            assert (s.scalar(select(func.count()).select_from(QuarantineRow)) or 0) > 0
            assert s.scalar(select(func.max(CreditRecord.revision))) == 2
            sources = set(s.scalars(select(CreditRecord.department_code).distinct()))
            assert sources <= {d.code for d in config.departments}
            # Decision numbers are unique per authority: one current record per number.
            dupes = s.execute(
                select(CreditRecord.natural_key)
                .where(CreditRecord.is_current.is_(True))
                .group_by(CreditRecord.category, CreditRecord.natural_key)
                .having(func.count() > 1)
            ).all()
            assert dupes == []
            # The website's applications stand at different steps of their handling, as in a running inbox.
            statuses = set(s.scalars(select(PortalApplication.status)))
            assert statuses == {"received", "accepted", "dismissed", "refused"}
            # Two requests transferred by other platforms (转办): one new, one refused and waiting for its reply.
            transferred = s.scalars(select(PortalApplication.status).where(PortalApplication.channel == "transfer"))
            assert sorted(transferred) == ["received", "refused"]
            assert awaiting_reply(s, SYSTEM) == {"transport_credit": 1}
            # One objection waits for verification by the demo officer's unit (its 异议核实 page is not empty);
            # the answered one was verified before it was decided.
            A = PortalApplication
            waiting = s.scalars(
                select(A.verify_department).where(
                    A.kind == "objection", A.status == "accepted", A.verification.is_(None)
                )
            )
            officer_unit = s.scalar(
                select(Department.code)
                .join(Account, Account.department_id == Department.id)
                .where(Account.username == "officer")
            )
            assert list(waiting) == [officer_unit]
            assert set(s.scalars(select(A.verification).where(A.status == "dismissed"))) == {"accurate"}
            # 自主申报: one award adopted into the credit file, one waiting for the credit office.
            D = CreditDeclaration
            assert sorted(s.scalars(select(D.status))) == ["adopted", "received"]
            adopted = s.scalar(select(D.record_id).where(D.status == "adopted"))
            assert adopted is not None
            assert s.get(CreditRecord, adopted).category == "BZJL"  # type: ignore[union-attr]
            # 信用提醒: the website applicants' reminders, and three subscribers with theirs, none in clear.
            subscriptions = s.scalars(select(ReminderSubscription.state)).all()
            assert subscriptions == ["active"] * 3
            kinds = set(s.scalars(select(Reminder.kind)))
            assert {"application_received", "subscription_code", "subscription_confirmed"} <= kinds
            assert "repair_available" in kinds  # 18 months of penalties: some are past their minimum publicity
            assert all(
                r.startswith("137****") or r.startswith("139****") for r in s.scalars(select(Reminder.recipient_masked))
            )
            # Last month's full package to the ministry, and its receipt sending a few penalties back.
            [package] = s.scalars(select(ExchangePackage)).all()
            assert (package.target, package.kind, package.sequence) == ("ministry", "full", 1)
            assert package.period < f"{dt.date.today():%Y-%m}"
            receipt = s.scalar(select(ExchangeReceipt))
            assert receipt is not None
            assert receipt.package_id == package.id
            assert receipt.rejected == 8
            assert receipt.accepted == package.rows - 8
            back = s.execute(select(ExchangeRejection.category, ExchangeRejection.department_code)).all()
            assert {category for category, _ in back} <= {"XZCF", "XZXK"}
            # The demo's data officer and business system each have one of their department's records sent back.
            users = {
                str(code)
                for code in s.scalars(
                    select(Department.code).join(ApiClient, ApiClient.department_id == Department.id)
                ).all()
            }
            users |= {
                str(code)
                for code in s.scalars(
                    select(Department.code)
                    .join(Account, Account.department_id == Department.id)
                    .where(Account.username == "officer")
                ).all()
            }
            assert users <= {dept for _, dept in back}
            assert set(s.scalars(select(Account.username))) == {"admin", "officer"}
            assert s.scalar(select(func.count()).select_from(ApiClient)) == 1
    finally:
        engine.dispose()

    creds = data["credentials"]
    assert set(creds["passwords"]) == {"admin", "officer"}
    for password in creds["passwords"].values():
        assert len(password) >= 10
        assert any(c.isdigit() for c in password)
        assert any(c.isalpha() for c in password)
    assert creds["api_key"].startswith("tc_")

    # A second run finds the demo and does not rebuild it.
    again = runner.invoke(app, ["demo", "--no-serve", "--subjects", "300"])
    assert again.exit_code == 0, again.output
    assert "已有演示数据" in again.stdout
    assert creds["passwords"]["admin"] in again.stdout
    get_settings.cache_clear()


def test_demo_quarantine_and_pilot_code_warning(cli_env: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--subjects", "200", "--months", "6"])
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(app, ["quarantine", "list", "--json"]).stdout)
    codes = {e["code"] for item in listed["items"] for e in item["errors"]}
    assert listed["total"] > 0
    assert codes & {"invalid_date", "uscc_malformed", "missing_mandatory", "invalid_enum"}
    pilot = runner.invoke(app, ["subjects", "show", "91350100M0001TGQXM", "--json"])
    assert pilot.exit_code == 0, pilot.output
    records = json.loads(pilot.stdout)["records"]
    assert any(w["code"] == "uscc_checksum" for r in records for w in r["warnings"])
