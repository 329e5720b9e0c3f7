"""Append-only, hash-chained audit log (审计日志).

Services call :func:`record` for every write; :func:`verify` checks the chain; :func:`list_entries` reads it.
"""

from transport_credit.audit.ddl import append_only_ddl, drop_append_only_ddl
from transport_credit.audit.events import ChainHead, head, list_entries, record
from transport_credit.audit.verify import ChainReport, verify

__all__ = [
    "ChainHead",
    "ChainReport",
    "append_only_ddl",
    "drop_append_only_ddl",
    "head",
    "list_entries",
    "record",
    "verify",
]
