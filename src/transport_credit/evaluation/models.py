"""Evaluation runs, results, per-rule explanations and imported provincial grades."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, Float, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from transport_credit.db.base import Base, JSONType, UTCDateTime, utcnow


class EvaluationModelDoc(Base):
    """Every version of every evaluation model file ever used, stored whole, so a past period re-runs exactly."""

    __tablename__ = "evaluation_models"
    __table_args__ = (Index("uq_evaluation_models_code_version", "code", "version", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # the YAML text as loaded
    source: Mapped[str] = mapped_column(String(300))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvaluationRun(Base):
    """One evaluation: a periodic run of all subjects of a model, or a dynamic re-evaluation of some subjects."""

    __tablename__ = "evaluation_runs"
    __table_args__ = (
        Index("ix_evaluation_runs_model", "model_code", "period"),
        # the latest periodic run of a model, looked up by every dynamic re-evaluation (which add dynamic runs)
        Index(
            "ix_evaluation_runs_periodic",
            "model_code",
            "period",
            "id",
            postgresql_where=text("kind = 'periodic'"),
            sqlite_where=text("kind = 'periodic'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_code: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # periodic / dynamic
    period: Mapped[str] = mapped_column(String(40))
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    as_of: Mapped[dt.date] = mapped_column(Date)
    region_code: Mapped[str | None] = mapped_column(String(6))
    subject_count: Mapped[int] = mapped_column(Integer, default=0)
    grade_counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actor: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class EvaluationPopulation(Base):
    """Work table: the subjects of a run and their evaluation window (emptied when the run ends)."""

    __tablename__ = "evaluation_population"
    __table_args__ = (Index("ix_evaluation_population_run", "run_id", "subject_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)


class EvaluationResult(Base):
    """A subject's score and grade from one run. ``is_current`` marks the newest result per model and subject."""

    __tablename__ = "evaluation_results"
    __table_args__ = (
        Index("ix_evaluation_results_run", "run_id", "subject_id"),
        Index("ix_evaluation_results_current", "model_code", "subject_id", "is_current"),
        Index("ix_evaluation_results_grade", "model_code", "is_current", "grade"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)
    model_code: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str | None] = mapped_column(String(6))
    score: Mapped[float] = mapped_column(Float)
    deducted: Mapped[float] = mapped_column(Float)
    bonus: Mapped[float] = mapped_column(Float)
    tag_points: Mapped[float] = mapped_column(Float, default=0.0)  # points of rules tagged for grade conditions
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    score_grade: Mapped[str] = mapped_column(String(20))  # the grade the score alone gives
    grade: Mapped[str] = mapped_column(String(20))  # after overrides and constraints
    grade_level: Mapped[int] = mapped_column(Integer)  # 0 = best
    previous_grade: Mapped[str | None] = mapped_column(String(20))
    previous_level: Mapped[int | None] = mapped_column(Integer)
    adjustment: Mapped[str | None] = mapped_column(String(40))  # override / newcomer / rise_cap / escalation code
    valid_until: Mapped[dt.date] = mapped_column(Date)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    record_id: Mapped[int | None] = mapped_column(Integer)  # the XYPJ credit record of this result
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvaluationHits(Base):
    """Explanation: what one statement of a run found for one subject, one row per (run, subject, source).

    ``source`` is ``rules`` for the model's score rules (one row carrying every applied rule) or an override's
    code. ``hits`` is JSON text, rule code → ``[kind, match count, points, "comma-separated credit record ids"]``, with
    only the rules that applied. The numeric columns are what the grade is computed from: the sums of the applied
    deduction and bonus points, the records they matched, how many rules applied, and the points per tag
    (``tag_points``, JSON text tag → points; NULL when the model has no tags).

    One row per subject rather than one per (subject, rule): a province's run writes hundreds of thousands of
    subjects with several applied rules each, and the per-rule rows were the largest write of the run."""

    __tablename__ = "evaluation_hits"
    __table_args__ = (Index("ix_evaluation_hits_run", "run_id", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))  # "rules" or an override's code
    deducted: Mapped[float] = mapped_column(Float)
    bonus: Mapped[float] = mapped_column(Float)
    matched: Mapped[int] = mapped_column(Integer)
    applied: Mapped[int] = mapped_column(Integer)  # score rules that applied (0 for an override)
    tag_points: Mapped[str | None] = mapped_column(Text)
    hits: Mapped[str] = mapped_column(Text)


class ProvincialGrade(Base):
    """A grade given by another province (imported from its published file), for the national composite."""

    __tablename__ = "evaluation_provincial_grades"
    __table_args__ = (
        Index("uq_evaluation_provincial_grades", "model_code", "period", "province_code", "uscc", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_code: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(40))
    province_code: Mapped[str] = mapped_column(String(6))
    uscc: Mapped[str] = mapped_column(String(18))
    subject_name: Mapped[str] = mapped_column(String(200))
    grade: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    source_file: Mapped[str] = mapped_column(String(300))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
