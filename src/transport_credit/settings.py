"""One typed settings object, read from the environment (prefix ``TRANSPORT_CREDIT_``).

Settings are built explicitly by the caller (``get_settings()``), never read at import time.
In production (``TRANSPORT_CREDIT_ENV=production``) insecure defaults are refused.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only secrets: usable on a laptop, refused in production.
_DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105


class Settings(BaseSettings):
    """Platform configuration. Every field can be set as ``TRANSPORT_CREDIT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="TRANSPORT_CREDIT_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default=Path("var"), description="where the embedded database and files live")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite (WAL) in data_dir/transport_credit.db"
    )
    province: str = Field(default="henan", description="province configuration to load (data/provinces/*.yaml)")
    secret_key: SecretStr = Field(default=SecretStr(_DEV_SECRET), description="signs sessions and reports")
    pii_key: SecretStr = Field(
        default=SecretStr(_DEV_SECRET), description="keys the hash and encryption of personal identifiers"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    import_chunk_rows: int = Field(default=20_000, ge=100, description="rows per streamed import chunk")
    max_cell_chars: int = Field(default=4000, ge=100, description="longer cells are rejected")
    log_level: str = "INFO"
    api_key_recheck_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="credit check fast lane: seconds a verified API key's client is trusted without re-reading it"
        " (deactivation elsewhere is seen within this time; 0 re-reads on every call)",
    )
    exchange_outbox: Path | None = Field(
        default=None,
        description="前置交换目录: the shared directory (e.g. the exchange front-end server's share) packages are sent"
        " to, one sub-directory per target; unset: packages are downloaded and handed over by hand",
    )
    # Public website (issue 5)
    report_font: Path | None = Field(
        default=None, description="CJK font for credit report PDFs; default: Debian fonts-noto-cjk (Noto Sans CJK SC)"
    )
    public_rate_per_minute: int = Field(
        default=120, ge=1, description="public API and downloads: requests per minute per client address"
    )
    public_base_url: str | None = Field(
        default=None, description="public address of the website printed in report QR codes (default: request URL)"
    )

    # Reminder service (信用提醒服务): where the short messages go
    reminder_channel: Literal["file", "webhook", "off"] = Field(
        default="file",
        description="file: written to data_dir/reminders/ (numbers masked; for trials and development); webhook: "
        "POSTed to the SMS gateway at reminder_webhook_url; off: kept in the outbox, not sent",
    )
    reminder_webhook_url: str | None = Field(
        default=None, description="SMS gateway (政务短信平台) endpoint that accepts the platform's JSON messages"
    )
    reminder_webhook_secret: SecretStr | None = Field(
        default=None, description="key of the HMAC-SHA256 signature sent in the X-Signature header of each message"
    )

    @model_validator(mode="after")
    def _webhook_configured(self) -> Settings:
        if self.reminder_channel == "webhook" and not self.reminder_webhook_url:
            raise ValueError("TRANSPORT_CREDIT_REMINDER_WEBHOOK_URL must be set for the webhook reminder channel")
        return self

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.env == "production":
            for name in ("secret_key", "pii_key"):
                value: SecretStr = getattr(self, name)
                if value.get_secret_value() == _DEV_SECRET or len(value.get_secret_value()) < 32:
                    raise ValueError(f"TRANSPORT_CREDIT_{name.upper()} must be set to 32+ random characters")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept plain libpq URLs and use psycopg 3.
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            elif url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://") :]
            return url
        return f"sqlite:///{(self.data_dir / 'transport_credit.db').resolve()}"


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
