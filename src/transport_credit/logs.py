"""Structured logging (structlog). Personal information is never logged: a processor drops known PII keys and
masks anything that looks like a citizen ID or mobile number in log values."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE_LIKE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_PII_KEYS = {"id_number", "password", "api_key", "phone", "证件号码", "法定代表人证件号码"}


def scrub(text: str) -> str:
    text = _ID_LIKE.sub(lambda m: m.group(1)[:4] + "*" * 10 + m.group(3)[-4:], text)
    return _PHONE_LIKE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


def _drop_pii(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key in _PII_KEYS:
            event[key] = "[已隐藏]"
        elif isinstance(event[key], str):
            event[key] = scrub(event[key])
    return event


class ScrubFilter(logging.Filter):
    """Masks ID-like and phone-like numbers in stdlib log records: message, arguments (uvicorn's access log shows
    URLs) and the traceback of a logged exception (a database error may quote a value)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub(_FORMATTER.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_FORMATTER = logging.Formatter()


def configure_logging(level: str = "INFO") -> None:
    for name in ("uvicorn.access", "uvicorn.error", ""):
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScrubFilter) for f in logger.filters):
            logger.addFilter(ScrubFilter())
    logging.basicConfig(format="%(message)s", level=getattr(logging, level.upper(), logging.INFO))
    # A logger's own filters see only the records logged on it; the root's handlers see every propagated record
    # (``logging.getLogger(__name__)`` in any module), so the filter goes on them too.
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_pii,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        cache_logger_on_first_use=True,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
