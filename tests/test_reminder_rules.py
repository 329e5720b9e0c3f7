"""The reminder service's pure rules, from tables: the shipped templates, quiet hours, retries, verification codes,
the subscription form, and the refusal of a broken rules file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from transport_credit.common.datafiles import shipped_path
from transport_credit.common.errors import InvalidInput
from transport_credit.reminders import rules

DOC = rules.reminder_rules("henan")
CST = rules.CHINA_TZ


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=CST)


def test_every_template_renders_with_its_placeholders_and_fits_two_messages() -> None:
    sample = {
        "application_kind": "信用修复申请",
        "tracking_no": "XF20261125-7K3M9Q",
        "due": "2026年12月3日",
        "outcome": "准予修复：该信息停止公示",
        "subject_name": "郑州顺达物流有限公司",
        "code": "123456",
        "minutes": 10,
        "unsubscribe_url": "https://xy.example.gov.cn/reminders/unsubscribe/AbCdEfGhIjKlMnOp",
        "category_name": "行政处罚",
        "title": "豫交执罚〔2026〕000012号",
        "date": "2026年6月1日",
    }
    for t in DOC.templates:
        values = {k: v for k, v in sample.items() if k in rules.PLACEHOLDERS[t.kind]}
        text = rules.render(DOC, t.kind, "信用交通·河南", values)
        assert text.startswith("【信用交通·河南】"), text
        assert "{" not in text
        assert "}" not in text
        assert rules.segments(text) <= 3, (t.kind, len(text))
    with pytest.raises(ValueError, match="no value for code"):
        rules.render(DOC, "subscription_code", "信用交通·河南", {"subject_name": "x", "minutes": 10})


@pytest.mark.parametrize(("length", "parts"), [(0, 1), (70, 1), (71, 2), (134, 2), (135, 3)])
def test_segments(length: int, parts: int) -> None:
    assert rules.segments("信" * length) == parts


@pytest.mark.parametrize(
    ("kind", "now", "expected"),
    [
        ("application_accepted", _at(25, 20, 59), _at(25, 20, 59)),
        ("application_accepted", _at(25, 21, 0), _at(26, 8, 0)),
        ("application_accepted", _at(25, 23, 30), _at(26, 8, 0)),
        ("application_accepted", _at(26, 0, 10), _at(26, 8, 0)),
        ("application_accepted", _at(26, 7, 59), _at(26, 8, 0)),
        ("application_accepted", _at(26, 8, 0), _at(26, 8, 0)),
        ("repair_available", _at(26, 12, 0), _at(26, 12, 0)),
        ("subscription_code", _at(25, 23, 30), _at(25, 23, 30)),  # urgent: never held
    ],
)
def test_quiet_hours_hold_all_but_urgent_reminders(kind: str, now: dt.datetime, expected: dt.datetime) -> None:
    assert rules.send_after(DOC, kind, now.astimezone(dt.UTC)) == expected.astimezone(dt.UTC)


@pytest.mark.parametrize(
    ("start", "end", "now", "expected"),
    [
        ("12:00", "14:00", _at(25, 11, 59), _at(25, 11, 59)),
        ("12:00", "14:00", _at(25, 12, 0), _at(25, 14, 0)),
        ("12:00", "14:00", _at(25, 14, 0), _at(25, 14, 0)),
        ("08:00", "08:00", _at(25, 3, 0), _at(25, 3, 0)),  # an empty window holds nothing
    ],
)
def test_quiet_hours_within_a_day(start: str, end: str, now: dt.datetime, expected: dt.datetime) -> None:
    assert rules.out_of_quiet_hours(rules.QuietHours(start=start, end=end), now) == expected


@pytest.mark.parametrize(("attempts", "wait_minutes"), [(1, 5), (2, 30), (3, 120), (4, 480), (5, None), (6, None)])
def test_retries_back_off_then_give_up(attempts: int, wait_minutes: int | None) -> None:
    now = _at(25, 10, 0)
    again = rules.next_attempt(DOC, "application_accepted", attempts, now)
    assert again == (None if wait_minutes is None else now + dt.timedelta(minutes=wait_minutes))


def test_a_retry_that_would_land_in_quiet_hours_waits_for_the_morning() -> None:
    assert rules.next_attempt(DOC, "application_accepted", 4, _at(25, 16, 0)) == _at(26, 8, 0)


def test_codes_are_stored_keyed_and_bound_to_their_subscription() -> None:
    code = rules.new_code(6)
    assert len(code) == 6
    assert code.isdigit()
    stored = rules.code_hash("secret", "DY20261125-ABCDEF", code)
    assert code not in stored
    assert rules.code_matches("secret", "DY20261125-ABCDEF", f" {code} ", stored)
    assert not rules.code_matches("secret", "DY20261125-GHJKMN", code, stored)  # another subscription's code
    assert not rules.code_matches("other", "DY20261125-ABCDEF", code, stored)
    assert not rules.code_matches("secret", "DY20261125-ABCDEF", code, None)


@pytest.mark.parametrize(
    ("name", "phone", "fields"),
    [
        ("王经理", "13812345678", set()),
        ("王经理", "138 1234 5678", set()),
        ("王", "13812345678", {"contact_name"}),
        ("王经理", "0371-12345678", {"phone"}),  # a landline cannot receive a short message
        ("王经理", "12812345678", {"phone"}),
        ("王经理", "1381234567", {"phone"}),
        ("", "", {"contact_name", "phone"}),
    ],
)
def test_the_subscription_form(name: str, phone: str, fields: set[str]) -> None:
    assert set(rules.check_subscriber(name, phone)) == fields


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    doc = yaml.safe_load((shipped_path("reminders") / "reminders.yaml").read_text("utf-8"))
    doc.update(change)
    (tmp_path / "reminders.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return tmp_path


def test_a_broken_rules_file_is_refused_naming_the_problem(tmp_path: Path) -> None:
    templates = [
        dict(t) for t in yaml.safe_load((shipped_path("reminders") / "reminders.yaml").read_text("utf-8"))["templates"]
    ]
    stray = [dict(t, text=t["text"] + "{phone}") if t["kind"] == "record_published" else t for t in templates]
    with pytest.raises(InvalidInput, match="unknown placeholders: phone") as err:
        rules.load_reminders(_write(tmp_path, {"templates": stray}), None)
    assert err.value.code == "reminders_invalid"
    with pytest.raises(InvalidInput, match="missing"):
        rules.load_reminders(_write(tmp_path, {"templates": templates[:-1]}), None)
    with pytest.raises(InvalidInput, match="HH:MM"):
        rules.load_reminders(_write(tmp_path, {"quiet_hours": {"start": "9pm", "end": "08:00"}}), None)
    assert rules.load_reminders(_write(tmp_path, {}), None).version == DOC.version


def test_the_webhook_channel_needs_its_address(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from transport_credit.reminders.channels import FileChannel, WebhookChannel, channel_for
    from transport_credit.settings import Settings

    with pytest.raises(ValidationError, match="REMINDER_WEBHOOK_URL"):
        Settings(reminder_channel="webhook", data_dir=tmp_path)
    hook = channel_for(
        Settings(reminder_channel="webhook", reminder_webhook_url="https://sms.example/api", data_dir=tmp_path)
    )
    assert isinstance(hook, WebhookChannel)
    assert hook.secret is None
    assert isinstance(channel_for(Settings(data_dir=tmp_path)), FileChannel)  # the default
    assert channel_for(Settings(reminder_channel="off", data_dir=tmp_path)) is None
