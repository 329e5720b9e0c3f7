"""Imports every model so ``Base.metadata`` is complete (Alembic and tests use it)."""

from transport_credit.audit.models import AuditEntry
from transport_credit.auth.models import Account, ApiClient, Department
from transport_credit.calendar.models import CalendarYear
from transport_credit.campaigns.models import Campaign, CampaignAction, CampaignTarget
from transport_credit.catalog.models import CatalogDocument
from transport_credit.db.base import Base
from transport_credit.disclosure.models import ix_credit_records_category_decision
from transport_credit.evaluation.models import (
    EvaluationHits,
    EvaluationModelDoc,
    EvaluationPopulation,
    EvaluationResult,
    EvaluationRun,
    ProvincialGrade,
)
from transport_credit.exchange.models import ExchangePackage, ExchangeReceipt, ExchangeRejection
from transport_credit.incentives.models import XinyiLaunch
from transport_credit.ingest.models import Batch, QuarantineRow
from transport_credit.ledger.models import LedgerProgress, LedgerTask
from transport_credit.lists.models import CreditCheck, Effect, ListEntry, TypicalCase
from transport_credit.monitoring.models import AnalysisDaily, AnalysisMonth, AnalysisMonthly
from transport_credit.portal.models import CreditDeclaration, CreditReport, PortalApplication, PortalContent
from transport_credit.records.models import CreditRecord
from transport_credit.reminders.models import Reminder, ReminderSubscription
from transport_credit.subjects.models import Subject, SubjectAlias
from transport_credit.supervision.models import InspectionItem, InspectionTask, Inspector
from transport_credit.warnings.models import CreditWarning

__all__ = [
    "Account",
    "AnalysisDaily",
    "AnalysisMonth",
    "AnalysisMonthly",
    "ApiClient",
    "AuditEntry",
    "Base",
    "Batch",
    "CalendarYear",
    "Campaign",
    "CampaignAction",
    "CampaignTarget",
    "CatalogDocument",
    "CreditCheck",
    "CreditDeclaration",
    "CreditRecord",
    "CreditReport",
    "CreditWarning",
    "Department",
    "Effect",
    "EvaluationHits",
    "EvaluationModelDoc",
    "EvaluationPopulation",
    "EvaluationResult",
    "EvaluationRun",
    "ExchangePackage",
    "ExchangeReceipt",
    "ExchangeRejection",
    "InspectionItem",
    "InspectionTask",
    "Inspector",
    "LedgerProgress",
    "LedgerTask",
    "ListEntry",
    "PortalApplication",
    "PortalContent",
    "ProvincialGrade",
    "QuarantineRow",
    "Reminder",
    "ReminderSubscription",
    "Subject",
    "SubjectAlias",
    "TypicalCase",
    "XinyiLaunch",
    "ix_credit_records_category_decision",
]
