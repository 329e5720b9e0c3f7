"""Vectorised validation of a chunk of rows against a catalog category (pure: Polars expressions, no I/O).

Input: a DataFrame whose columns are field keys holding raw cell text (missing columns are added as nulls) and
``_row`` (the row number in the source). Output: the same rows with normalised values, typed helper columns
(``_subject_kind``, ``_uscc``, ``_person_id``, ``_decision_date`` …) and two list columns ``_errors`` and
``_warnings`` of ``{field, code, message}`` structs. No Python code runs per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from transport_credit.catalog.schema import CategoryDef, FieldDef
from transport_credit.identifiers.citizen_id import citizen_id_status_expr
from transport_credit.identifiers.normalize import normalize_code_expr
from transport_credit.identifiers.uscc import uscc_status_expr

LONG_TERM = dt.date(2099, 12, 31)  # 2099/12/31 (or later) means long-term (长期)

_ISSUE = pl.Struct({"field": pl.String, "code": pl.String, "message": pl.String})
# Control characters other than tab and line breaks (NUL, the rest of C0, DEL): invisible, never meant, and NUL
# cannot be stored by PostgreSQL at all. They are removed from the cells; the row says so (``control_characters``).
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_ID_CARD_TYPES = ("01", "身份证", "居民身份证", "1")


@dataclass(frozen=True)
class ValidationContext:
    today: dt.date
    max_cell_chars: int = 4000
    # field key → value used when the file has no such column (e.g. 数据来源单位 = the submitting department)
    defaults: Mapping[str, str] | None = None


def _issue(field: FieldDef | str, code: str, message: pl.Expr | str) -> pl.Expr:
    name = field.key if isinstance(field, FieldDef) else field
    msg = pl.lit(message) if isinstance(message, str) else message
    return pl.struct(field=pl.lit(name), code=pl.lit(code), message=msg)


def _when(cond: pl.Expr, issue: pl.Expr) -> pl.Expr:
    return pl.when(cond).then(issue).otherwise(pl.lit(None, dtype=_ISSUE))


@dataclass(frozen=True)
class Check:
    """A failing condition (null counts as passing) and the issue it produces."""

    cond: pl.Expr
    issue: pl.Expr


def _check(cond: pl.Expr, issue: pl.Expr) -> Check:
    return Check(cond.fill_null(False), issue)


def parse_date_expr(e: pl.Expr) -> pl.Expr:
    """Dates as offices write them: YYYY/MM/DD, YYYY-MM-DD, YYYYMMDD, YYYY年MM月DD日, with a time, or Excel serials."""
    s = e.str.replace_all(r"[\s]+", " ").str.strip_chars()
    day = s.str.extract(r"^([^ T]+)").str.replace_all(r"[/.年月]", "-").str.strip_suffix("日")
    serial = s.str.extract(r"^(\d{1,5})(?:\.0+)?$")
    return pl.coalesce(
        day.str.to_date("%Y-%m-%d", strict=False),
        day.str.to_date("%Y%m%d", strict=False),
        pl.when(serial.is_not_null() & (serial.cast(pl.Int64, strict=False) > 0))
        .then(pl.lit(dt.date(1899, 12, 30)) + pl.duration(days=serial.cast(pl.Int64, strict=False)))
        .otherwise(None),
    )


def parse_amount_expr(e: pl.Expr) -> pl.Expr:
    """'1.5', '1,500.00', '1.5万元', '１.５' → Float64 (万元); unparsable → null."""
    s = e.str.normalize("NFKC").str.replace_all(r"[,，\s]|万元|万|元$", "").str.strip_chars()
    return s.cast(pl.Float64, strict=False)


def _fmt(template: str, *args: pl.Expr | str) -> pl.Expr:
    return pl.format(template, *[pl.lit(a) if isinstance(a, str) else a for a in args])


class ChunkValidator:
    """Validates chunks for one category. Build once per batch, call ``run`` per chunk."""

    def __init__(self, category: CategoryDef, ctx: ValidationContext) -> None:
        self.category = category
        self.ctx = ctx
        self.fields = list(category.fields)
        self.keys = [f.key for f in self.fields]
        self._pii = {f.key for f in self.fields if f.type in ("id_number", "phone")}

    # -- public ---------------------------------------------------------------------------------------------
    def run(self, raw: pl.DataFrame) -> pl.DataFrame:
        df = self._prepare(raw)
        df = self._derive(df)
        df = df.with_columns(self._subject_columns())
        errors, warnings = self._issues()
        empty = pl.lit([], dtype=pl.List(_ISSUE))
        # Stage 1, every row: cheap booleans only. Stage 2, the few flagged rows: build the messages.
        flags = [
            pl.any_horizontal([c.cond for c in errors]).alias("_has_error")
            if errors
            else pl.lit(False).alias("_has_error"),
            pl.any_horizontal([c.cond for c in warnings]).alias("_has_warning")
            if warnings
            else pl.lit(False).alias("_has_warning"),
        ]
        df = df.with_columns(flags)
        flagged = pl.col("_has_error") | pl.col("_has_warning")
        clean = df.filter(~flagged).with_columns(empty.alias("_errors"), empty.alias("_warnings"))
        dirty = df.filter(flagged)
        if dirty.height:
            dirty = dirty.with_columns(
                pl.concat_list([_when(c.cond, c.issue) for c in errors]).list.drop_nulls().alias("_errors")
                if errors
                else empty.alias("_errors"),
                pl.concat_list([_when(c.cond, c.issue) for c in warnings]).list.drop_nulls().alias("_warnings")
                if warnings
                else empty.alias("_warnings"),
            )
            df = pl.concat([clean, dirty], how="vertical").sort("_row")
        else:
            df = clean
        return df.drop("_has_error", "_has_warning")

    # -- steps ----------------------------------------------------------------------------------------------
    def _prepare(self, raw: pl.DataFrame) -> pl.DataFrame:
        defaults = dict(self.ctx.defaults or {})
        missing = [k for k in self.keys if k not in raw.columns]
        cols = [pl.lit(defaults.get(k), dtype=pl.String).alias(k) for k in missing]
        df = raw.with_columns(cols) if cols else raw
        # Control characters: found column-wise, removed only from the columns that hold any.
        found = df.select(pl.col(k).cast(pl.String).str.contains(CONTROL).any() for k in self.keys).row(0)
        dirty = [k for k, hit in zip(self.keys, found, strict=True) if hit]
        # Trim; an empty cell is null.
        exprs = []
        for k in self.keys:
            e = pl.col(k).cast(pl.String)
            if k in dirty:
                e = e.str.replace_all(CONTROL, "")
            e = e.str.strip_chars()
            e = pl.when(e.str.len_bytes() > 0).then(e)
            if k in defaults:
                e = e.fill_null(pl.lit(defaults[k]))
            exprs.append(e.alias(k))
        extra = [c for c in ("_i",) if c in df.columns]
        return df.select(["_row", *extra, *exprs, *self._control_columns(dirty)])

    def _control_columns(self, dirty: list[str]) -> list[pl.Expr]:
        """``_ctrl_field`` (the first field whose cell held control characters) and ``_ctrl_labels`` (all their
        names) per row; null for clean rows."""
        if not dirty:
            none = pl.lit(None, dtype=pl.String)
            return [none.alias("_ctrl_field"), none.alias("_ctrl_labels")]
        names = {f.key: f.name for f in self.fields}
        hits = {k: pl.col(k).cast(pl.String).str.contains(CONTROL).fill_null(False) for k in dirty}
        labels = pl.concat_str(
            [pl.when(hit).then(pl.lit(f"「{names[k]}」")) for k, hit in hits.items()], separator="、", ignore_nulls=True
        )
        return [
            pl.coalesce([pl.when(hit).then(pl.lit(k)) for k, hit in hits.items()]).alias("_ctrl_field"),
            pl.when(labels.str.len_bytes() > 0).then(labels).alias("_ctrl_labels"),
        ]

    def _derive(self, df: pl.DataFrame) -> pl.DataFrame:
        """Typed, normalised and status columns.

        Dates and enumerations repeat a lot within a file (a few hundred decision dates, a handful of penalty
        types), so they are parsed once per distinct value and joined back. Codes are mostly distinct, so they are
        computed directly: first the normalised column, then the check on that materialised column (a nested
        expression would recompute the normalisation for every character the check reads).
        """
        direct_norm: list[pl.Expr] = []
        direct_rest: list[pl.Expr] = []
        for f in self.fields:
            exprs = self._derived(f)
            if not exprs:
                continue
            if f.type in ("date", "enum"):
                distinct = df.select(pl.col(f.key).unique()).with_columns(exprs)
                df = df.join(distinct, on=f.key, how="left", nulls_equal=True, maintain_order="left")
            else:
                direct_norm.extend(e for e in exprs if e.meta.output_name().endswith("__norm"))
                direct_rest.extend(e for e in exprs if not e.meta.output_name().endswith("__norm"))
        if direct_norm:
            df = df.with_columns(direct_norm)
        if direct_rest:
            df = df.with_columns(direct_rest)
        return df

    def _derived(self, f: FieldDef) -> list[pl.Expr]:
        c = pl.col(f.key)
        if f.type == "date":
            return [parse_date_expr(c).alias(f"{f.key}__date")]
        if f.type in ("amount_wan", "decimal"):
            return [parse_amount_expr(c).alias(f"{f.key}__num")]
        if f.type == "integer":
            return [c.str.replace_all(r"[,\s]", "").cast(pl.Int64, strict=False).alias(f"{f.key}__num")]
        if f.type == "uscc":
            norm = pl.col(f"{f.key}__norm")
            return [normalize_code_expr(c).alias(f"{f.key}__norm"), uscc_status_expr(norm).alias(f"{f.key}__status")]
        if f.type == "id_number":
            norm = pl.col(f"{f.key}__norm")
            return [
                normalize_code_expr(c).alias(f"{f.key}__norm"),
                citizen_id_status_expr(norm, today=self.ctx.today).alias(f"{f.key}__status"),
            ]
        if f.type in ("region", "plate"):
            return [normalize_code_expr(c).alias(f"{f.key}__norm")]
        if f.type == "enum":
            norm = c.str.replace_all(r"\s+", "")
            if f.enum_aliases:
                norm = norm.replace(dict(f.enum_aliases))
            return [norm.alias(f"{f.key}__norm")]
        return []

    def _subject_columns(self) -> list[pl.Expr]:
        b = self.category.subject
        kind_src = (
            pl.col(f"{b.kind}__norm")
            if b.kind and self._type(b.kind) == "enum"
            else (pl.col(b.kind) if b.kind else pl.lit(None, dtype=pl.String))
        )
        uscc = pl.col(f"{b.uscc}__norm") if b.uscc else pl.lit(None, dtype=pl.String)
        pid = pl.col(f"{b.id_number}__norm") if b.id_number else pl.lit(None, dtype=pl.String)
        mapped = kind_src.replace_strict(dict(b.kind_values), default=None, return_dtype=pl.String)
        inferred = (
            pl.when(uscc.is_not_null() & uscc.str.starts_with("92"))
            .then(pl.lit("individual_business"))
            .when(uscc.is_not_null())
            .then(pl.lit("org"))
            .when(pid.is_not_null())
            .then(pl.lit("person"))
            .otherwise(pl.lit(b.default_kind))
        )
        return [
            pl.coalesce(mapped, inferred).alias("_subject_kind"),
            uscc.alias("_uscc"),
            pid.alias("_person_id"),
        ]

    def _type(self, key: str) -> str:
        return self.category.field(key).type

    def _issues(self) -> tuple[list[Check], list[Check]]:
        errors: list[Check] = []
        warnings: list[Check] = [
            _check(
                pl.col("_ctrl_field").is_not_null(),
                pl.struct(
                    field=pl.col("_ctrl_field"),
                    code=pl.lit("control_characters"),
                    message=_fmt("{}含有不可见的控制字符（如空字符），已删除", pl.col("_ctrl_labels")),
                ),
            )
        ]
        cat = self.category
        today = self.ctx.today
        for f in self.fields:
            c = pl.col(f.key)
            label = f.name
            present = c.is_not_null()
            shown = pl.lit("（已隐藏）") if f.key in self._pii else c.str.slice(0, 40)
            # Mandatory, unconditional or conditional.
            if f.mandatory and not f.mandatory_when:
                errors.append(_check(~present, _issue(f, "missing_mandatory", f"「{label}」为必填项")))
            if f.mandatory_when:
                cond = pl.lit(True)
                for other, values in f.mandatory_when.items():
                    other_col = pl.col(f"{other}__norm") if f"{other}" in self._enum_keys() else pl.col(other)
                    cond = cond & other_col.is_in(values)
                errors.append(_check(cond & ~present, _issue(f, "missing_mandatory", f"「{label}」在此情形下为必填项")))
            limit = min(f.max_length or self.ctx.max_cell_chars, self.ctx.max_cell_chars)
            errors.append(
                _check(
                    present & (c.str.len_chars() > limit),
                    _issue(f, "too_long", f"「{label}」超过最大长度 {limit} 个字符"),
                )
            )
            if f.type == "enum" and f.enum:
                allowed = "、".join(f.enum)
                norm = pl.col(f"{f.key}__norm")
                errors.append(
                    _check(
                        present & ~norm.is_in(f.enum),
                        _issue(f, "invalid_enum", _fmt("「{}」的值「{}」不在允许范围内（{}）", label, shown, allowed)),
                    )
                )
            elif f.type == "date":
                d = pl.col(f"{f.key}__date")
                errors.append(
                    _check(
                        present & d.is_null(),
                        _issue(
                            f,
                            "invalid_date",
                            _fmt(
                                "「{}」日期无法识别：「{}」（支持 YYYY/MM/DD、YYYY-MM-DD、YYYYMMDD、Excel 日期）",
                                label,
                                shown,
                            ),
                        ),
                    )
                )
                if f.key == cat.decision_date:
                    errors.append(
                        _check(d > pl.lit(today), _issue(f, "future_date", _fmt("「{}」晚于今天：{}", label, c)))
                    )
            elif f.type in ("amount_wan", "decimal", "integer"):
                n = pl.col(f"{f.key}__num")
                code = "invalid_amount" if f.type == "amount_wan" else "invalid_number"
                unit = "（单位：万元）" if f.type == "amount_wan" else ""
                errors.append(
                    _check(
                        present & n.is_null(), _issue(f, code, _fmt("「{}」不是有效数字：「{}」{}", label, shown, unit))
                    )
                )
                errors.append(_check(n < 0, _issue(f, "negative_amount", f"「{label}」不能为负数")))
                if f.warn_at_least is not None:
                    warnings.append(
                        _check(
                            n >= f.warn_at_least,
                            _issue(
                                f,
                                "amount_unit_suspect",
                                _fmt("「{}」为 {} 万元，数额偏大，请确认单位为万元", label, n)
                                if f.type == "amount_wan"
                                else _fmt("「{}」为 {}，数值偏大，请核实", label, n),
                            ),
                        )
                    )
            elif f.type == "uscc":
                status = pl.col(f"{f.key}__status")
                errors.append(
                    _check(
                        present & (status == 2),
                        _issue(f, "uscc_malformed", _fmt("「{}」不是有效的统一社会信用代码：「{}」", label, shown)),
                    )
                )
                warnings.append(
                    _check(
                        present & (status == 1),
                        _issue(
                            f,
                            "uscc_checksum",
                            _fmt("「{}」校验位不符，已接收但需人工核实：「{}」", label, pl.col(f"{f.key}__norm")),
                        ),
                    )
                )
            elif f.type == "id_number":
                errors.extend(self._id_issues(f))
            elif f.pattern:
                errors.append(
                    _check(
                        present & ~c.str.contains(f.pattern),
                        _issue(f, "invalid_pattern", _fmt("「{}」格式不符合要求：「{}」", label, shown)),
                    )
                )
        errors.extend(self._row_level_errors())
        warnings.append(self._quality_warning())
        return errors, warnings

    def _enum_keys(self) -> set[str]:
        return {f.key for f in self.fields if f.type == "enum"}

    def _id_issues(self, f: FieldDef) -> list[Check]:
        """Citizen ID numbers are checked when the document type says 身份证 (or is absent)."""
        b = self.category.subject
        type_key = b.id_type if f.key == b.id_number else None
        if type_key is None:
            # e.g. 法定代表人证件号码: the type field is the one named like it; fall back to "looks like an ID".
            is_card = pl.col(f"{f.key}__norm").str.len_chars().is_in([15, 18])
        else:
            t = pl.col(f"{type_key}__norm") if type_key in self._enum_keys() else pl.col(type_key)
            is_card = t.is_null() | t.is_in(list(_ID_CARD_TYPES))
        status = pl.col(f"{f.key}__status")
        present = pl.col(f.key).is_not_null()
        return [
            _check(present & is_card & (status == 2), _issue(f, "id_malformed", f"「{f.name}」不是有效的身份证号码")),
            _check(present & is_card & (status == 1), _issue(f, "id_checksum", f"「{f.name}」身份证号码校验位不符")),
        ]

    def _row_level_errors(self) -> list[Check]:
        cat = self.category
        b = cat.subject
        out: list[Check] = []
        kind = pl.col("_subject_kind")
        allowed = list(cat.subject_kinds)
        labels = {"org": "法人及非法人组织", "individual_business": "个体工商户", "person": "自然人"}
        out.append(
            _check(
                ~kind.is_in(allowed),
                _issue(
                    b.kind or b.name,
                    "subject_kind_not_allowed",
                    _fmt("「{}」不接受{}类主体", cat.name, kind.replace_strict(labels, default=kind)),
                ),
            )
        )
        uscc = pl.col("_uscc")
        pid = pl.col("_person_id")
        if b.uscc:
            placeholder = pl.col(f"{b.uscc}__status") == 3
            reg_key = b.aliases.get("reg_no")
            if reg_key:
                out.append(
                    _check(
                        placeholder & pl.col(reg_key).is_null(),
                        _issue(
                            reg_key, "reg_no_required", "个体工商户统一社会信用代码为 17 个 0 加 X 时，工商注册号必填"
                        ),
                    )
                )
            org_unidentified = kind.is_in(["org", "individual_business"]) & uscc.is_null()
            out.append(
                _check(
                    org_unidentified,
                    _issue(b.uscc, "subject_unidentified", "法人及非法人组织、个体工商户必须填写统一社会信用代码"),
                )
            )
        person_unidentified = (kind == "person") & pid.is_null()
        out.append(
            _check(
                person_unidentified,
                _issue(b.id_number or b.name, "subject_unidentified", "自然人必须填写证件号码"),
            )
        )
        if cat.decision_date and cat.valid_until:
            start = pl.col(f"{cat.decision_date}__date")
            end = pl.col(f"{cat.valid_until}__date")
            out.append(
                _check(
                    end < start,
                    _issue(cat.valid_until, "date_order", "有效期截止日期早于决定日期"),
                )
            )
        return out

    def _quality_warning(self) -> Check:
        share = self.quality_expr()
        return _check(
            share <= self.category.quality_threshold,
            _issue(
                "*",
                "low_quality",
                _fmt(
                    f"数据项完整率为 {{}}%，不高于 {self.category.quality_threshold:.0%}",
                    (share * 100).round(0).cast(pl.Int64),
                ),
            ),
        )

    def quality_expr(self) -> pl.Expr:
        """Share of non-empty indicators (数据项完整率).

        The old identifiers (代码_2…_6) are alternatives to the USCC, not indicators of their own, so they are left
        out of the count.
        """
        alternatives = set(self.category.subject.aliases.values())
        keys = [k for k in self.keys if k not in alternatives]
        filled = pl.sum_horizontal([pl.col(k).is_not_null().cast(pl.Int32) for k in keys])
        return (filled / len(keys)).cast(pl.Float64)
