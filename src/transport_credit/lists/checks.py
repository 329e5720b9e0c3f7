"""The credit check (逢批必查、逢办必查) and its feedback, which becomes the effect list (成效清单).

A business system (or an official) asks about one applicant for one matter. The answer carries the subject's
identity (masked as the caller's rights require), valid grades per domain (XYPJ records), visible list entries
(HMD / HEIMD / ZDGZ records within their publicity period), the measures of the measure list that apply to this
matter with their legal basis, active credit commitments (XYCN), and a check id. The hot path is a handful of
indexed Core queries (subject by code, the subject's current records of five categories, one insert); the rules
are cached in memory. A check on a black-listed subject raises a 重大失信主体警示 to the credit office.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import secrets
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from transport_credit import audit
from transport_credit.auth import keys
from transport_credit.auth.schema import SCOPE_CHECK, SCOPE_READ
from transport_credit.auth.service import LAST_USED_RESOLUTION, authenticate_api_key
from transport_credit.commitments.rules import CommitmentMatters, CommitmentRoute, commitment_matters, commitment_route
from transport_credit.common.actor import ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER, Actor
from transport_credit.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from transport_credit.db.base import utcnow
from transport_credit.db.uow import Database
from transport_credit.identifiers.citizen_id import check_citizen_id, mask_name
from transport_credit.identifiers.normalize import normalize_code
from transport_credit.lists import checklog
from transport_credit.lists.checklog import CheckLog, check_log, existing_log
from transport_credit.lists.matching import Grade, SubjectStatus, applicable_measures
from transport_credit.lists.models import CreditCheck, Effect
from transport_credit.lists.rules import LIST_TYPE_LABELS, MATTER_KIND_LABELS, ListRules, Matter, list_rules
from transport_credit.lists.service import today_cst
from transport_credit.records.models import CreditRecord
from transport_credit.records.service import service_batch, write_revision
from transport_credit.settings import Settings
from transport_credit.subjects.models import Subject
from transport_credit.subjects.pii import pii_keys
from transport_credit.subjects.service import KIND_LABELS
from transport_credit.warnings.service import WarningRequest, raise_warnings

MAX_BATCH = 1000
_CODE_RE = re.compile(r"^[0-9A-Z]{8,20}$")
_LIST_CATEGORIES = {"HMD": "red", "HEIMD": "black", "ZDGZ": "watch"}
_CATEGORIES = ("XYPJ", "HMD", "HEIMD", "ZDGZ", "XYCN")
_S = cast(Table, Subject.__table__)
_R = cast(Table, CreditRecord.__table__)
_CHECKS = cast(Table, CreditCheck.__table__)


# --- results ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckSubject:
    id: int
    name: str
    kind: str
    kind_label: str
    uscc: str | None
    id_masked: str | None
    region_code: str | None
    legal_representative: str | None


@dataclass(frozen=True)
class CheckGrade:
    domain: str | None
    model: str
    grade: str
    score: float | None
    evaluated_on: str | None
    valid_until: str | None
    authority: str | None


@dataclass(frozen=True)
class CheckListEntry:
    list_type: str
    list_type_label: str
    list_name: str | None
    decision_no: str
    reason: str | None
    basis: str | None
    authority: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None


@dataclass(frozen=True)
class CheckMeasure:
    code: str
    name: str
    kind: str
    basis: str
    departments: list[str]
    reasons: list[str]


@dataclass(frozen=True)
class CheckCommitment:
    commitment_no: str
    commitment_type: str | None
    matter: str | None
    valid_until: str | None
    fulfilment: str | None


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    checked_at: dt.datetime
    matter_code: str
    matter_name: str
    matter_kind: str
    department_code: str
    subject: CheckSubject
    grades: list[CheckGrade]
    list_entries: list[CheckListEntry]
    measures: list[CheckMeasure]
    commitments: list[CheckCommitment]
    warning_raised: bool
    personal_data_visible: bool
    rules_version: str
    conclusion: str = ""  # one-line Chinese summary for the caller's screen
    notes: list[str] = field(default_factory=list)
    # 告知承诺制, 容缺受理: the matter's commitment route and whether this applicant may use it (None: no route)
    commitment_route: CommitmentRoute | None = None


# --- the check --------------------------------------------------------------------------------------------------------


_entropy = threading.local()


def _random_hex(nbytes: int) -> str:
    """``nbytes`` from the OS CSPRNG as hex, drawn from a per-thread 4 KiB buffer (one system call per few hundred
    check ids instead of one each)."""
    buf: bytes = getattr(_entropy, "buf", b"")
    pos: int = getattr(_entropy, "pos", 0)
    if pos + nbytes > len(buf):
        buf, pos = secrets.token_bytes(4096), 0
        _entropy.buf = buf
    _entropy.pos = pos + nbytes
    return buf[pos : pos + nbytes].hex()


def new_check_no() -> str:
    """A check id: 32 hex characters, the microsecond clock then 72 random bits. Unguessable, and ordered by time
    so the check log's unique index grows at its end instead of at random pages."""
    return f"{time.time_ns() // 1000:014x}{_random_hex(9)}"


def check_no_floor(instant: dt.datetime) -> str:
    """The smallest check id of a check made at ``instant`` or later: check ids start with the time, so a period's
    checks are a range of the check log's only index (``check_no >= floor(start) and check_no < floor(end)``)."""
    return f"{int(instant.timestamp() * 1_000_000):014x}"


# Well-formed for GB 32100 (length and alphabet; the checksum is not needed to find a subject).
_USCC_FORM = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def parse_code(raw: str) -> str:
    """Normalise a subject code; :class:`InvalidInput` (``malformed_code``) when it cannot be any identifier."""
    if raw is None or not str(raw).strip():
        raise InvalidInput("请提供主体的统一社会信用代码或证件号码", code="code_required")
    code = normalize_code(str(raw))
    if not _CODE_RE.match(code):
        raise InvalidInput("主体代码格式不正确：应为统一社会信用代码、旧代码或身份证号码", code="malformed_code")
    if len(code) == 18 and not _USCC_FORM.match(code) and check_citizen_id(code).status == "malformed":
        raise InvalidInput("主体代码格式不正确：既不是统一社会信用代码，也不是身份证号码", code="malformed_code")
    return code


# The subject and its current records of the five categories the check reads, in one statement (one round trip).
_SUBJECT_COLS = (
    "SELECT s.id, s.kind, s.name, s.uscc, s.id_masked, s.region_code, s.legal_representative, r.category, "
    "r.natural_key, r.data, r.publicity_start, r.publicity_end FROM subjects s LEFT JOIN credit_records r "
    "ON r.subject_id = s.id AND r.category IN ('XYPJ', 'HMD', 'HEIMD', 'ZDGZ', 'XYCN') AND r.is_current "
    "AND r.status = 'active' "
)
# Written with ``?`` placeholders (SQLite); ``_Sql`` turns them into ``%s`` for psycopg. No value is ever formatted
# into these statements.
_STATEMENTS = {
    "by_uscc": _SUBJECT_COLS + "WHERE s.uscc = ?",
    "by_id": _SUBJECT_COLS + "WHERE s.id = ?",
    "by_person": _SUBJECT_COLS + "WHERE s.person_key = ?",
    "alias": "SELECT subject_id FROM subject_aliases WHERE value = ? LIMIT 1",
    "insert": checklog.INSERT,
    "client": (
        "SELECT c.id, c.name, c.key_prefix, c.key_hash, c.active, c.categories, c.scopes, c.last_used_at, d.code, "
        "d.active FROM api_clients c JOIN departments d ON d.id = c.department_id WHERE c.id = ?"
    ),
}


class _Sql:
    """The hot path's statements for one dialect (DBAPI paramstyle ``?`` on SQLite, ``%s`` on psycopg)."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"
        st = {k: v.replace("?", "%s") if self.pg else v for k, v in _STATEMENTS.items()}
        self.by_uscc, self.by_id, self.by_person = st["by_uscc"], st["by_id"], st["by_person"]
        self.alias, self.insert, self.client = st["alias"], st["insert"], st["client"]


_SQL: dict[str, _Sql] = {}
_NO_STATUS = SubjectStatus()  # no visible list entry, no valid grade: most subjects


@dataclass(frozen=True)
class _Tx:
    """A raw DBAPI connection inside a transaction, with the statements for its dialect."""

    raw: Any
    sql: _Sql

    def cursor(self) -> Any:
        return self.raw.cursor()


def _sql_for(dialect: str) -> _Sql:
    sql = _SQL.get(dialect)
    if sql is None:
        sql = _SQL[dialect] = _Sql(dialect)
    return sql


def _tx(session: Session) -> _Tx:
    """The session's transaction as a raw connection (looked up once per transaction, kept in ``session.info``)."""
    cached = session.info.get("tc_check_tx")
    if cached is None or cached[1] is not session.get_transaction():
        conn = session.connection()
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cached = session.info["tc_check_tx"] = (_Tx(raw, _sql_for(conn.dialect.name)), session.get_transaction())
    tx: _Tx = cached[0]
    return tx


@dataclass(frozen=True)
class _SubjectRow:
    id: int
    kind: str
    name: str
    uscc: str | None
    id_masked: str | None
    region_code: str | None
    legal_representative: str | None
    records: list[Any]  # (category, natural_key, data, publicity_start, publicity_end)


def _find_subject_row(tx: _Tx, settings: Settings, code: str) -> _SubjectRow | None:
    """The subject by USCC, old identifier or citizen ID (keyed hash), with its current records prefetched."""
    cur, sql = tx.cursor(), tx.sql
    try:
        cur.execute(sql.by_uscc, (code,))
        rows = cur.fetchall()
        if not rows:
            cur.execute(sql.alias, (code,))
            alias = cur.fetchone()
            if alias is not None:
                cur.execute(sql.by_id, (alias[0],))
                rows = cur.fetchall()
        if not rows and len(code) in (15, 18):
            idc = check_citizen_id(code)
            if idc.status != "malformed":
                cur.execute(sql.by_person, (pii_keys(settings.pii_key.get_secret_value()).keyed_hash(idc.normalized),))
                rows = cur.fetchall()
    finally:
        cur.close()
    if not rows:
        return None
    first = rows[0]
    records = [r[7:] for r in rows if r[7] is not None]
    sid, kind, name, uscc, id_masked, region, legal = first[:7]
    return _SubjectRow(sid, kind, name, uscc, id_masked, region, legal, records)


def authenticate(session: Session, key: str) -> Actor:
    """The business system calling with ``key``: the same rules as ``auth.service.authenticate_api_key`` (argon2 on
    the first use of a key, then the process cache; client and department activity read on every call), with one
    plain query on a cache hit. Anything unusual (cache miss, replaced key, inactive, stale ``last_used_at``) takes
    the full path, which also refreshes ``last_used_at`` and gives the precise error."""
    return _cached_key_actor(_tx(session), key) or authenticate_api_key(session, key)


def _cached_key_actor(tx: _Tx, key: str, recheck_seconds: float = 0) -> Actor | None:
    """The actor of an already verified, active key with a fresh ``last_used_at``; ``None`` for anything else.
    With ``recheck_seconds``, an actor built less than that long ago is reused without reading the client
    (``auth/keys.py``)."""
    fingerprint = keys.key_fingerprint(key)
    if recheck_seconds:
        recent = keys.verified_keys.recent_actor(fingerprint)
        if recent is not None:
            return cast(Actor, recent)
    prefix = keys.parse_prefix(key)
    cached = keys.verified_keys.get(fingerprint) if prefix else None
    if cached is None:
        return None
    cur = tx.cursor()
    try:
        cur.execute(tx.sql.client, (cached[0],))
        row = cur.fetchone()
    finally:
        cur.close()
    if row is None or row[2] != prefix or row[3] != cached[1]:
        return None
    cid, name, _, _, active, categories, scopes, last_used, dept_code, dept_active = row
    last = _datetime(last_used)
    if not active or not dept_active or last is None or utcnow() - last >= LAST_USED_RESOLUTION:
        return None
    actor = Actor(
        name=f"{name}#{cid}",
        kind="api_client",
        department_code=dept_code,
        roles=frozenset({ROLE_DATA_OFFICER}),
        categories=frozenset(_json(categories) or ()),
        scopes=frozenset(_json(scopes) or ()),
    )
    keys.verified_keys.remember_actor(fingerprint, cid, actor, recheck_seconds)
    return actor


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _datetime(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def may_see_personal_data(actor: Actor) -> bool:
    """Callers entitled to the credit file (subjects:read keys, officials) see personal fields in masked form;
    check-only keys see a natural person's name masked and no identifiers beyond the USCC."""
    if actor.kind == "api_client":
        return actor.scopes is not None and SCOPE_READ in actor.scopes
    return actor.has_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER)


def _check_caller(actor: Actor) -> None:
    actor.require_scope(SCOPE_CHECK)
    if actor.kind != "api_client":
        actor.require_role(ROLE_CREDIT_OFFICE, ROLE_DATA_OFFICER, ROLE_VIEWER)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _valid_on(valid_until: Any, today: dt.date) -> bool:
    if valid_until in (None, ""):
        return True
    try:
        return dt.date.fromisoformat(str(valid_until)[:10]) >= today
    except ValueError:
        return True


def run_check(
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    subject_code: str,
    matter_code: str,
    department_code: str | None = None,
    today: dt.date | None = None,
) -> CheckResult:
    """Check one subject for one matter and record the check (the caller commits)."""
    _check_caller(actor)
    rules = list_rules(settings.province)
    code = parse_code(subject_code)
    matter = rules.matter((matter_code or "").strip().upper())
    dept = _caller_department(actor, department_code)
    tx = _tx(session)
    row = _find_subject_row(tx, settings, code)
    if row is None:
        raise NotFound("未找到该信用主体：平台没有该代码的信用记录", code="subject_not_found")
    result = _answer(tx, actor, settings, rules, row, matter.code, dept, today or today_cst())
    if result.warning_raised:
        _warn(session, actor, result)
    return result


def _caller_department(actor: Actor, department_code: str | None) -> str:
    if actor.kind == "api_client":
        if department_code and department_code != actor.department_code:
            raise PermissionDenied("接入系统只能以本单位名义核查", code="other_department")
        assert actor.department_code is not None
        return actor.department_code
    dept = department_code or actor.department_code
    if not dept:
        raise InvalidInput("请指定核查部门", code="department_required")
    return dept


def _answer(
    tx: _Tx,
    actor: Actor,
    settings: Settings,
    rules: ListRules,
    row: _SubjectRow,
    matter_code: str,
    dept: str,
    today: dt.date,
    log: CheckLog | None = None,
) -> CheckResult:
    """The answer, with its check row inserted in ``tx`` (or handed to ``log`` for a group commit)."""
    matter = rules.matters[matter_code]
    sql = tx.sql
    entries, grades, commitments, broken = _read_records(row.records, today)
    status = _status_of(rules, entries, grades)
    measures = _measures(rules, status, matter)
    visible = may_see_personal_data(actor)
    subject = _subject(row, visible)
    check_no = new_check_no()
    now = utcnow()
    black = "black" in status.list_types
    check_row = (
        check_no,
        row.id,
        matter.code,
        dept,
        actor.label[:120],
        _stamp(now, sql.pg),
        ",".join(sorted(status.list_types)) or None,
        ",".join(m.code for m in measures) or None,
        black,
    )
    if log is not None:
        log.append(
            check_row, _warning_request(actor, check_no, row.id, matter.code, matter.name, dept) if black else None
        )
    else:
        cur = tx.cursor()
        try:
            cur.execute(sql.insert, check_row)
        finally:
            cur.close()
    return CheckResult(
        check_id=check_no,
        checked_at=now,
        matter_code=matter.code,
        matter_name=matter.name,
        matter_kind=MATTER_KIND_LABELS[matter.kind],
        department_code=dept,
        subject=subject,
        grades=grades,
        list_entries=entries,
        measures=measures,
        commitments=commitments,
        warning_raised=black,
        personal_data_visible=visible,
        rules_version=rules.version,
        conclusion=_conclusion(entries, measures),
        commitment_route=commitment_route(
            commitment_matters(settings.province), matter.code, status.list_types, broken
        ),
    )


def _read_records(
    records: Sequence[Any], today: dt.date
) -> tuple[list[CheckListEntry], list[CheckGrade], list[CheckCommitment], bool]:
    """A subject's prefetched current records as the check shows them on ``today``: published list entries, valid
    grades (newest first per domain), active commitments, and whether a commitment is broken."""
    grades: list[CheckGrade] = []
    entries: list[CheckListEntry] = []
    commitments: list[CheckCommitment] = []
    broken = False
    for cat, key, data, start, end in records:
        d: dict[str, Any] = _json(data) or {}
        if cat in _LIST_CATEGORIES:
            s, e = _date(start), _date(end)
            if s is None or e is None or not s <= today <= e:
                continue  # not yet or no longer published: never shown
            t = _LIST_CATEGORIES[cat]
            entries.append(
                CheckListEntry(
                    t,
                    LIST_TYPE_LABELS[t],
                    d.get("list_name"),
                    key,
                    d.get("reason"),
                    d.get("basis"),
                    d.get("authority"),
                    s,
                    e,
                )
            )
        elif cat == "XYPJ":
            if _valid_on(d.get("valid_until"), today) and d.get("grade"):
                score = d.get("score")
                grades.append(
                    CheckGrade(
                        d.get("domain"),
                        str(d.get("evaluation_model") or ""),
                        str(d["grade"]),
                        float(score) if isinstance(score, int | float) else None,
                        _str(d.get("decision_date")),
                        _str(d.get("valid_until")),
                        d.get("evaluation_authority"),
                    )
                )
        elif d.get("fulfilment") == "未履约":
            broken = True  # a broken commitment, until repaired (its record then leaves the active ones)
        elif _valid_on(d.get("valid_until"), today):
            commitments.append(
                CheckCommitment(
                    key,
                    d.get("commitment_type"),
                    d.get("commitment_matter"),
                    _str(d.get("valid_until")),
                    d.get("fulfilment"),
                )
            )
    grades.sort(key=lambda g: (g.domain or "", g.evaluated_on or ""), reverse=True)
    return entries, grades, commitments, broken


def _status_of(rules: ListRules, entries: Sequence[CheckListEntry], grades: Sequence[CheckGrade]) -> SubjectStatus:
    by_name = rules.list_codes_by_name
    return (
        SubjectStatus(
            list_types=frozenset(e.list_type for e in entries),
            list_codes=frozenset(by_name[e.list_name] for e in entries if e.list_name in by_name),
            grades=tuple(Grade(g.model, g.grade, g.domain) for g in grades),
        )
        if entries or grades
        else _NO_STATUS
    )


def subject_status(session: Session, rules: ListRules, subject_id: int, today: dt.date) -> SubjectStatus | None:
    """What the measures are matched against for the subject on ``today`` (its published list entries and valid
    grades, read as the check reads them); ``None`` for an unknown subject. Records nothing."""
    tx = _tx(session)
    cur = tx.cursor()
    try:
        cur.execute(tx.sql.by_id, (subject_id,))
        rows = cur.fetchall()
    finally:
        cur.close()
    if not rows:
        return None
    entries, grades, _commitments, _broken = _read_records([r[7:] for r in rows if r[7] is not None], today)
    return _status_of(rules, entries, grades)


def statuses_on_record(
    session: Session, rules: ListRules, today: dt.date, *, batch: int = 5000
) -> Iterator[tuple[int, str, SubjectStatus]]:
    """(subject id, subject kind, status) of every subject with a current list entry or grade on record, read as the
    check reads a subject's (published entries, valid grades); a subject without any has no status to match a
    measure against and is not listed. Streams in subject order, ``batch`` rows a fetch."""
    R = CreditRecord
    query = (
        select(R.subject_id, Subject.kind, R.category, R.natural_key, R.data, R.publicity_start, R.publicity_end)
        .join(Subject, Subject.id == R.subject_id)
        .where(R.category.in_(("XYPJ", *_LIST_CATEGORIES)), R.is_current.is_(True), R.status == "active")
        .order_by(R.subject_id)
        .execution_options(yield_per=batch)
    )
    current: int | None = None
    kind = ""
    records: list[Any] = []
    for subject_id, subject_kind, *record in session.execute(query):
        if subject_id != current:
            if current is not None:
                yield current, kind, _status_of(rules, *_read_records(records, today)[:2])
            current, kind, records = subject_id, subject_kind, []
        records.append(tuple(record))
    if current is not None:
        yield current, kind, _status_of(rules, *_read_records(records, today)[:2])


def _measures(rules: ListRules, status: SubjectStatus, matter: Matter) -> list[CheckMeasure]:
    return [
        CheckMeasure(
            m.measure.code,
            m.measure.name,
            m.measure.kind,
            m.measure.basis,
            list(m.measure.departments),
            list(m.reasons),
        )
        for m in applicable_measures(rules, status, matter)
    ]


def _subject(row: _SubjectRow, visible: bool) -> CheckSubject:
    """The subject as the caller may see it: a person's name masked and personal fields left out without the
    right to personal data."""
    return CheckSubject(
        id=row.id,
        name=row.name if (visible or row.kind != "person") else mask_name(row.name),
        kind=row.kind,
        kind_label=KIND_LABELS.get(row.kind, row.kind),
        uscc=row.uscc,
        id_masked=row.id_masked if visible else None,
        region_code=row.region_code,
        legal_representative=row.legal_representative if visible else None,
    )


def _stamp(now: dt.datetime, pg: bool) -> Any:
    """``checked_at`` as the driver takes it (SQLite: the text SQLAlchemy's ``UTCDateTime`` stores)."""
    return now if pg else now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


@dataclass(frozen=True)
class _PlainParts:
    """The JSON of everything in an answer about a subject with nothing on record for the check (no grade, list
    entry or commitment, in force or not) that does not depend on the subject: most checks are of such subjects,
    and their answers differ only in the check id, the time and the subject. Built from the same pieces as
    :func:`_answer` (tested to give the same JSON), once per matter, calling department and right to see personal
    data, for the rules and commitment list in force (a reload makes new objects, so the parts are rebuilt)."""

    rules: ListRules
    route_doc: CommitmentMatters
    matter: bytes  # ,"matter_code":…,"department_code":…  (between checked_at and the subject)
    tail: bytes  # ,"grades":[],…,"commitment_route":…}  (after the subject)
    measure_codes: str | None


_PLAIN_PARTS: dict[tuple[str | None, str, str, bool], _PlainParts] = {}
_PLAIN_PARTS_MAX = 4096


def _plain_parts(settings: Settings, rules: ListRules, matter: Matter, dept: str, visible: bool) -> _PlainParts:
    doc = commitment_matters(settings.province)
    key = (settings.province, matter.code, dept, visible)
    parts = _PLAIN_PARTS.get(key)
    if parts is not None and parts.rules is rules and parts.route_doc is doc:
        return parts
    measures = _measures(rules, _NO_STATUS, matter)
    head = orjson.dumps(
        {
            "matter_code": matter.code,
            "matter_name": matter.name,
            "matter_kind": MATTER_KIND_LABELS[matter.kind],
            "department_code": dept,
        }
    )
    tail = orjson.dumps(
        {
            "grades": [],
            "list_entries": [],
            "measures": measures,
            "commitments": [],
            "warning_raised": False,
            "personal_data_visible": visible,
            "rules_version": rules.version,
            "conclusion": _conclusion([], measures),
            "notes": [],
            "commitment_route": commitment_route(doc, matter.code, frozenset(), False),
        }
    )
    parts = _PlainParts(rules, doc, b"," + head[1:-1], b"," + tail[1:], ",".join(m.code for m in measures) or None)
    if len(_PLAIN_PARTS) >= _PLAIN_PARTS_MAX:
        _PLAIN_PARTS.clear()
    _PLAIN_PARTS[key] = parts
    return parts


def _plain_answer(
    actor: Actor,
    settings: Settings,
    rules: ListRules,
    row: _SubjectRow,
    matter: Matter,
    dept: str,
    log: CheckLog,
    pg: bool,
) -> bytes:
    """The JSON answer about a subject with nothing on record (``row.records`` empty), its check row handed to
    ``log``: the cached parts around the check id, the time and the subject."""
    visible = may_see_personal_data(actor)
    parts = _plain_parts(settings, rules, matter, dept, visible)
    check_no = new_check_no()
    now = utcnow()
    log.append(
        (check_no, row.id, matter.code, dept, actor.label[:120], _stamp(now, pg), None, parts.measure_codes, False)
    )
    return b"".join(
        (
            b'{"check_id":"',
            check_no.encode(),
            b'","checked_at":',
            orjson.dumps(now),
            parts.matter,
            b',"subject":',
            orjson.dumps(_subject(row, visible)),
            parts.tail,
        )
    )


def _conclusion(entries: Sequence[CheckListEntry], measures: Sequence[CheckMeasure]) -> str:
    punish = sum(1 for m in measures if m.kind == "punishment")
    reward = len(measures) - punish
    if any(e.list_type == "black" for e in entries):
        return f"该主体为严重失信主体（黑名单），本事项适用 {punish} 项惩戒措施，请依法实施并反馈"
    if punish:
        return f"本事项适用 {punish} 项惩戒措施，请依法实施并反馈"
    if reward:
        return f"该主体为守信主体，本事项可适用 {reward} 项激励措施"
    return "未发现适用本事项的联合奖惩措施"


def _warning_request(
    actor: Actor, check_no: str, subject_id: int, matter_code: str, matter_name: str, dept: str
) -> WarningRequest:
    """重大失信主体警示: a red warning to the credit office, one open warning per subject, department and matter."""
    return WarningRequest(
        kind="blacklisted_subject_checked",
        subject_id=subject_id,
        rule_code="credit_check",
        message=f"黑名单主体正在办理「{matter_name}」（核查部门 {dept}）",
        details={"check_id": check_no, "matter": matter_code, "department": dept},
        actor=actor,
        level="red",
        fingerprint=f"{dept}:{matter_code}",
    )


def _warn(session: Session, actor: Actor, result: CheckResult) -> None:
    raise_warnings(
        session,
        [
            _warning_request(
                actor,
                result.check_id,
                result.subject.id,
                result.matter_code,
                result.matter_name,
                result.department_code,
            )
        ],
    )


def fast_check(db: Database, settings: Settings, key: str, subject_code: str, matter_code: str) -> bytes:
    """``authenticate`` + ``run_check`` for the API's hot path (``api/fastpath.py``): the same rules, answers and
    errors, without an ORM session, on a connection the serving thread keeps in autocommit mode (the subject and
    its records come from one statement, so the reads need no transaction of their own). The check row, and the
    warning on a black-listed subject, go to the group-commit log (``lists/checklog.py``). A key not yet verified by
    this process takes the ordinary path once. Returns the answer's JSON; about a subject with nothing on record
    it is assembled from pre-serialised parts (:class:`_PlainParts`)."""
    sql = _sql_for(db.dialect)
    try:
        tx = _Tx(_fast_connection(db), sql)
        actor = _cached_key_actor(tx, key, settings.api_key_recheck_seconds)
        if actor is None:
            with db.unit_of_work() as session:
                actor = authenticate_api_key(session, key)
        _check_caller(actor)
        rules = list_rules(settings.province)
        code = parse_code(subject_code)
        matter = rules.matter((matter_code or "").strip().upper())
        dept = _caller_department(actor, None)
        row = _find_subject_row(tx, settings, code)
        if row is None:
            raise NotFound("未找到该信用主体：平台没有该代码的信用记录", code="subject_not_found")
        log = check_log(db.engine)
        if not row.records:
            return _plain_answer(actor, settings, rules, row, matter, dept, log, sql.pg)
        return orjson.dumps(_answer(tx, actor, settings, rules, row, matter.code, dept, today_cst(), log))
    except db_errors() as exc:  # the connection broke (server restart …): forget it, the next call reconnects
        _drop_fast_connection(db)
        raise exc


def db_errors() -> tuple[type[Exception], ...]:
    import sqlite3

    import psycopg

    return (sqlite3.OperationalError, sqlite3.InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)


_fast: weakref.WeakKeyDictionary[Any, threading.local] = weakref.WeakKeyDictionary()
_fast_opened: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()


def _fast_connection(db: Database) -> Any:
    """This thread's connection for the hot path: taken once from the pool and detached, autocommit."""
    local = _fast.get(db.engine)
    if local is None:
        local = _fast.setdefault(db.engine, threading.local())
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = db.engine.raw_connection()
        conn.detach()  # ours for the life of the thread: no pool checkout (nor pre-ping) per request
        if db.dialect == "postgresql":
            from psycopg.types.json import set_json_loads

            pg: Any = conn.dbapi_connection
            pg.autocommit = True
            set_json_loads(orjson.loads, pg)  # the records' JSON, parsed by orjson (not the standard library)
        else:
            # Plain reads, not the engine's memory map: every commit of the check log grows the database file at a
            # checkpoint, and SQLite then re-maps the file, so the next lookups fault their pages back in (measured
            # on the check benchmark, 1,000,000 subjects: about 10 % more checks a second without the map).
            cur = conn.cursor()
            cur.execute("PRAGMA mmap_size=0")
            cur.close()
        local.conn = conn
        _fast_opened.setdefault(db.engine, []).append(conn)
    return conn


def close_fast_connections(db: Database) -> None:
    """Close every hot-path connection of ``db`` (application shutdown)."""
    for conn in _fast_opened.pop(db.engine, []):
        with contextlib.suppress(Exception):
            conn.close()
    _fast.pop(db.engine, None)


def _drop_fast_connection(db: Database) -> None:
    local = _fast.get(db.engine)
    conn = getattr(local, "conn", None) if local is not None else None
    if conn is not None:
        local.conn = None  # type: ignore[union-attr]
        with contextlib.suppress(Exception):
            conn.close()


@dataclass(frozen=True)
class BatchItem:
    subject_code: str
    matter_code: str


@dataclass(frozen=True)
class BatchOutcome:
    index: int
    result: CheckResult | None
    error_code: str | None = None
    error_message: str | None = None


def run_batch(
    session: Session,
    actor: Actor,
    settings: Settings,
    items: Sequence[BatchItem],
    *,
    department_code: str | None = None,
    today: dt.date | None = None,
) -> list[BatchOutcome]:
    """Check up to 1,000 subjects; a bad item gets its own error and does not stop the others."""
    _check_caller(actor)
    if not items:
        raise InvalidInput("批量核查至少需要 1 个主体", code="empty_batch")
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"批量核查一次最多 {MAX_BATCH} 个主体", code="batch_too_large")
    rules = list_rules(settings.province)
    dept = _caller_department(actor, department_code)
    day = today or today_cst()
    out: list[BatchOutcome] = []
    for i, item in enumerate(items):
        try:
            code = parse_code(item.subject_code)
            matter = rules.matter((item.matter_code or "").strip().upper())
            tx = _tx(session)
            row = _find_subject_row(tx, settings, code)
            if row is None:
                raise NotFound("未找到该信用主体", code="subject_not_found")
            result = _answer(tx, actor, settings, rules, row, matter.code, dept, day)
            if result.warning_raised:
                _warn(session, actor, result)
            out.append(BatchOutcome(i, result))
        except (InvalidInput, NotFound) as exc:
            out.append(BatchOutcome(i, None, exc.code, exc.message))
    return out


# --- feedback → effects (成效清单) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackItem:
    measure_code: str
    applied: bool
    result: str | None = None
    executed_on: dt.date | None = None
    details: str | None = None


@dataclass(frozen=True)
class EffectView:
    id: int
    check_id: str | None
    subject_id: int
    subject_name: str
    measure_code: str
    measure_name: str
    measure_kind: str
    applied: bool
    result: str | None
    department_code: str
    executed_on: dt.date
    matter_code: str
    matter_name: str
    details: str | None


def effect_view(e: Effect, check_no: str | None) -> EffectView:
    return EffectView(
        e.id,
        check_no,
        e.subject_id,
        e.subject_name,
        e.measure_code,
        e.measure_name,
        e.measure_kind,
        e.applied,
        e.result,
        e.department_code,
        e.executed_on,
        e.matter_code,
        e.matter_name,
        e.details,
    )


def report_feedback(
    session: Session, actor: Actor, settings: Settings, check_id: str, items: Sequence[FeedbackItem]
) -> list[EffectView]:
    """The checking department reports what it did (one item per measure): each item becomes an effect line."""
    _check_caller(actor)
    if not items:
        raise InvalidInput("请至少反馈一项措施的实施情况", code="empty_feedback")
    if len(items) > 100:
        raise InvalidInput("一次最多反馈 100 项措施", code="feedback_too_large")
    pending = existing_log(session.get_bind())  # type: ignore[arg-type]
    if pending is not None:
        pending.drain_into(session)
    check = session.scalar(select(CreditCheck).where(CreditCheck.check_no == (check_id or "").strip().lower()))
    if check is None:
        raise NotFound("未找到该核查编号", code="check_not_found")
    if check.department_code != actor.department_code and not (
        actor.kind != "api_client" and actor.has_role(ROLE_CREDIT_OFFICE)
    ):
        raise PermissionDenied("只能反馈本单位的核查", code="other_department")
    rules = list_rules(settings.province)
    offered = set((check.measure_codes or "").split(",")) - {""}
    seen_codes = set(session.scalars(select(Effect.measure_code).where(Effect.check_id == check.id)))
    subject = session.get(Subject, check.subject_id)
    assert subject is not None
    public_name = mask_name(subject.name) if subject.kind == "person" else subject.name
    matter = rules.matters.get(check.matter_code)
    today = today_cst()
    out: list[Effect] = []
    for item in items:
        code = item.measure_code.strip().upper()
        measure = rules.measures.get(code)
        if measure is None:
            raise InvalidInput(f"未知的措施编码「{item.measure_code}」", code="unknown_measure")
        if code not in offered:
            raise InvalidInput(f"措施「{measure.name}」不在本次核查给出的适用措施中", code="measure_not_offered")
        if code in seen_codes:
            raise Conflict(f"措施「{measure.name}」已反馈过", code="feedback_exists")
        seen_codes.add(code)
        executed = item.executed_on or today
        if executed > today or executed < check.checked_at.date() - dt.timedelta(days=1):
            raise InvalidInput("执行时间应在核查之后、不晚于今天", code="invalid_executed_on")
        effect = Effect(
            check_id=check.id,
            subject_id=subject.id,
            subject_name=public_name,
            measure_code=code,
            measure_name=measure.name,
            measure_kind=measure.kind,
            applied=item.applied,
            result=(item.result or "").strip()[:2000] or None,
            department_code=check.department_code,
            executed_on=executed,
            matter_code=check.matter_code,
            matter_name=matter.name if matter else check.matter_code,
            details=(item.details or "").strip()[:5000] or None,
            reported_by=actor.label[:120],
        )
        session.add(effect)
        out.append(effect)
    session.execute(update(_CHECKS).where(_CHECKS.c.id == check.id).values(feedback_at=utcnow()))
    session.flush()
    applied = [e for e in out if e.applied]
    if applied:
        _record_effects(session, actor, settings, check, subject, applied)
    audit.record(
        session,
        actor,
        "check.feedback",
        "credit_check",
        check.check_no,
        {"measures": [e.measure_code for e in out], "applied": [e.applied for e in out]},
    )
    return [effect_view(e, check.check_no) for e in out]


def effect_case_no(check_no: str, measure_code: str) -> str:
    """The 案例编号 of the 联合奖惩成效 record of one applied measure of one check."""
    return f"CX-{check_no}-{measure_code}"


def _record_effects(
    session: Session, actor: Actor, settings: Settings, check: CreditCheck, subject: Subject, effects: list[Effect]
) -> None:
    """Each applied measure becomes a 联合奖惩成效 (LHJC) credit record, so effects are shared and exchanged like
    every other credit record (the catalog's LHJC category; not on the public website: its disclosure policy does
    not list LHJC)."""
    from transport_credit.auth.models import Department

    dept = session.scalar(select(Department).where(Department.code == check.department_code))
    unit = dept.name if dept is not None else check.department_code
    unit_uscc = dept.uscc if dept is not None and dept.uscc else None
    lists = "、".join(LIST_TYPE_LABELS[t] for t in (check.lists or "").split(",") if t in LIST_TYPE_LABELS) or None
    rules = list_rules(settings.province)
    batch = service_batch(
        session, actor, category="LHJC", department_code=check.department_code, note="credit check feedback"
    )
    for e in effects:
        measure = rules.measures[e.measure_code]
        details = "；".join(x for x in (e.matter_name, e.details, f"执行结果：{e.result}" if e.result else None) if x)
        data: dict[str, Any] = {
            "subject_name": subject.name,
            "subject_kind": KIND_LABELS.get(subject.kind, subject.kind),
            "case_no": effect_case_no(check.check_no, e.measure_code),
            "measure_type": "惩戒" if e.measure_kind == "punishment" else "奖励",
            "measure": e.measure_name,
            "measure_basis": measure.basis or None,
            "list_ref": lists,
            "executing_unit": unit,
            "executing_unit_uscc": unit_uscc,
            "decision_date": e.executed_on.isoformat(),
            "details": details[:5000],
            "source_unit": unit,
            "source_unit_uscc": unit_uscc,
        }
        if subject.uscc:
            data["uscc"] = subject.uscc
        elif subject.id_masked:
            data["id_type"] = "身份证"
            data["id_number"] = subject.id_masked
        write_revision(
            session,
            actor,
            settings,
            category="LHJC",
            natural_key=data["case_no"],
            subject_id=subject.id,
            department_code=check.department_code,
            data=data,
            decision_date=e.executed_on,
            batch=batch,
        )


@dataclass(frozen=True)
class CheckRow:
    check_id: str
    subject_id: int
    subject_name: str
    matter_code: str
    department_code: str
    caller: str
    checked_at: dt.datetime
    lists: str | None
    measure_codes: str | None
    warned: bool
    feedback_at: dt.datetime | None


def recent_checks(
    session: Session, actor: Actor, *, limit: int = 50, department_code: str | None = None
) -> list[CheckRow]:
    """Recent checks, newest first: the credit office's and viewers' of every department (or ``department_code``),
    a data officer's of their own department only (as :func:`recorded_check` lets them open)."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER, ROLE_DATA_OFFICER)
    if not actor.has_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER):
        department_code = actor.department_code or ""
    C = CreditCheck
    stmt = (
        select(C, Subject.name)
        .join(Subject, Subject.id == C.subject_id)
        .order_by(C.id.desc())
        .limit(min(max(limit, 1), 500))
    )
    if department_code:
        stmt = stmt.where(C.department_code == department_code)
    return [
        CheckRow(
            c.check_no,
            c.subject_id,
            name,
            c.matter_code,
            c.department_code,
            c.caller,
            c.checked_at,
            c.lists,
            c.measure_codes,
            c.warned,
            c.feedback_at,
        )
        for c, name in session.execute(stmt)
    ]


@dataclass(frozen=True)
class RecordedCheck:
    """One check as recorded (信用核查记录): what was found and offered at the time, and the feedback since."""

    row: CheckRow
    matter_name: str
    subject_kind: str
    uscc: str | None
    id_masked: str | None
    list_labels: list[str]
    measures: list[CheckMeasure]  # offered at the time, described by the rules in force now
    effects: list[EffectView]

    @property
    def open_measures(self) -> list[CheckMeasure]:
        """Offered measures without feedback yet."""
        done = {e.measure_code for e in self.effects}
        return [m for m in self.measures if m.code not in done]


def recorded_check(session: Session, actor: Actor, settings: Settings, check_no: str) -> RecordedCheck:
    """One recorded check (the checking department's officials, the credit office, viewers); a check answered by
    the API a moment ago is drained from the pending log first."""
    actor.require_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER, ROLE_DATA_OFFICER)
    pending = existing_log(session.get_bind())  # type: ignore[arg-type]
    if pending is not None:
        pending.drain_into(session)
    found = session.execute(
        select(CreditCheck, Subject)
        .join(Subject, Subject.id == CreditCheck.subject_id)
        .where(CreditCheck.check_no == (check_no or "").strip().lower())
    ).first()
    if found is None:
        raise NotFound("未找到该核查编号", code="check_not_found")
    check, subject = found
    if not actor.has_role(ROLE_CREDIT_OFFICE, ROLE_VIEWER) and check.department_code != actor.department_code:
        raise PermissionDenied("只能查看本单位的核查记录", code="other_department")
    rules = list_rules(settings.province)
    matter = rules.matters.get(check.matter_code)
    codes = [c for c in (check.measure_codes or "").split(",") if c]
    measures = [
        CheckMeasure(m.code, m.name, m.kind, m.basis, list(m.departments), [])
        for m in (rules.measures.get(c) for c in codes)
        if m is not None
    ]
    effects = session.scalars(select(Effect).where(Effect.check_id == check.id).order_by(Effect.id))
    row = CheckRow(
        check.check_no,
        check.subject_id,
        subject.name,
        check.matter_code,
        check.department_code,
        check.caller,
        check.checked_at,
        check.lists,
        check.measure_codes,
        check.warned,
        check.feedback_at,
    )
    return RecordedCheck(
        row=row,
        matter_name=matter.name if matter else check.matter_code,
        subject_kind=KIND_LABELS.get(subject.kind, subject.kind),
        uscc=subject.uscc,
        id_masked=subject.id_masked,
        list_labels=[LIST_TYPE_LABELS.get(t, t) for t in (check.lists or "").split(",") if t],
        measures=measures,
        effects=[effect_view(e, check.check_no) for e in effects],
    )
