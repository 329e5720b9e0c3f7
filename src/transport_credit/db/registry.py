"""Imports every model so ``Base.metadata`` is complete (Alembic and tests use it)."""

from transport_credit.audit.models import AuditEntry
from transport_credit.auth.models import Account, ApiClient, Department
from transport_credit.calendar.models import CalendarYear
from transport_credit.catalog.models import CatalogDocument
from transport_credit.db.base import Base
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.records.models import CreditRecord
from transport_credit.subjects.models import Subject, SubjectAlias

__all__ = [
    "Account",
    "ApiClient",
    "AuditEntry",
    "Base",
    "Batch",
    "CalendarYear",
    "CatalogDocument",
    "CreditRecord",
    "Department",
    "QuarantineRow",
    "Subject",
    "SubjectAlias",
]
