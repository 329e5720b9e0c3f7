"""Indexes the public lists need on tables owned by other packages.

The public lists (双公示, red/black/watch lists, open-data exports) read the newest records of one category on public
display: an index on (category, decision_date, id) lets the database walk a category newest-first and stop at the page
size instead of sorting millions of rows. Declared here (attached to ``credit_records``) so the models and the
migration ``b1a2c3d4e503`` agree.
"""

from __future__ import annotations

from sqlalchemy import Index

from transport_credit.records.models import CreditRecord

# ``id`` completes the order (newest decision first, then newest id): without it PostgreSQL must sort every row of
# the newest decision dates before it can return the first page (SQLite's index carries the rowid implicitly).
ix_credit_records_category_decision = Index(
    "ix_credit_records_category_decision", CreditRecord.category, CreditRecord.decision_date, CreditRecord.id
)
