"""Where reminders go (``TRANSPORT_CREDIT_REMINDER_CHANNEL``).

- ``webhook``: each message is POSTed as JSON (``{"id", "kind", "phone", "text"}``) to the SMS gateway the province
  runs or contracts (政务短信平台), with an ``X-Signature: sha256=<hex>`` header, the HMAC-SHA256 of the body under
  ``TRANSPORT_CREDIT_REMINDER_WEBHOOK_SECRET``. A 2xx answer is delivery (its JSON ``id``, when there is one, is kept as
  the gateway's reference); anything else is a failed attempt, retried by the rules' back-off.
- ``file``: each message is appended to ``<data_dir>/reminders/outbox-YYYYMMDD.jsonl`` with the number masked: what
  would be sent, for trials and development (the demo's verification codes are read there).
- ``off``: nothing is sent; reminders stay in the outbox (the console shows them waiting).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import orjson

from transport_credit.identifiers.citizen_id import mask_phone
from transport_credit.reminders.rules import CHINA_TZ
from transport_credit.settings import Settings

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Message:
    id: int
    kind: str
    phone: str  # in clear: only the channel sees it
    text: str


class DeliveryError(Exception):
    """The channel did not take the message; ``str()`` is the reason kept on the reminder (no personal data)."""


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> str | None:
        """Hand the message over; returns the gateway's reference, if any. Raises :class:`DeliveryError`."""
        ...


class FileChannel:
    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()

    def send(self, message: Message) -> str | None:
        now = dt.datetime.now(CHINA_TZ)
        line = orjson.dumps(
            {
                "id": message.id,
                "kind": message.kind,
                "to": mask_phone(message.phone),
                "text": message.text,
                "at": now.isoformat(timespec="seconds"),
            }
        )
        try:
            with self._lock:
                self.directory.mkdir(parents=True, exist_ok=True)
                with (self.directory / f"outbox-{now:%Y%m%d}.jsonl").open("ab") as f:
                    f.write(line + b"\n")
        except OSError as exc:
            raise DeliveryError(f"无法写入提醒文件：{exc.strerror}") from exc
        return None


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, secret: str | None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def send(self, message: Message) -> str | None:
        body = orjson.dumps({"id": message.id, "kind": message.kind, "phone": message.phone, "text": message.text})
        headers = {"Content-Type": "application/json", "X-Reminder-Id": str(message.id)}
        if self.secret:
            headers["X-Signature"] = signature(self.secret, body)
        try:  # one connection a message: reminders are a few a minute, and nothing stays open between runs
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                response = client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError("短信网关响应超时") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"无法连接短信网关：{type(exc).__name__}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"短信网关拒绝：HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            return None
        ref = answer.get("id") if isinstance(answer, dict) else None
        return str(ref)[:100] if ref is not None else None


def channel_for(settings: Settings) -> Channel | None:
    """The configured channel; None when sending is off."""
    if settings.reminder_channel == "off":
        return None
    if settings.reminder_channel == "webhook":
        assert settings.reminder_webhook_url is not None  # the settings refuse webhook without a URL
        secret = settings.reminder_webhook_secret
        return WebhookChannel(settings.reminder_webhook_url, secret.get_secret_value() if secret else None)
    return FileChannel(settings.data_dir / "reminders")


CHANNEL_LABELS = {"file": "文件（试运行）", "webhook": "短信网关", "off": "未开启发送"}
