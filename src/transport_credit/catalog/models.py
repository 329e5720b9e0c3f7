"""The loaded catalog (信用信息目录), column mappings and publicity rule sets, as stored versioned documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class CatalogDocument(Base):
    """One loaded rule document (catalog / mapping / publicity rules / calendar) with its version.

    The document is kept whole (validated JSON) so old versions stay reproducible; ``active`` marks the version in
    force for its (kind, scope, name).
    """

    __tablename__ = "catalog_documents"
    __table_args__ = (UniqueConstraint("kind", "scope", "name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # catalog / mapping / publicity / calendar
    scope: Mapped[str] = mapped_column(String(12))  # region code: national '000000', province, city
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
