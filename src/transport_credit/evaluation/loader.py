"""Load evaluation models and supervision policies from YAML, validate them, keep every used version.

Built-in files live in ``data/evaluation/*.yaml`` (national models) and ``data/evaluation/<province>/*.yaml``
(a province's own models, same code = its own version). A province may also register a model file at run time
(``tcredit evaluate load-model FILE``); registered versions are stored whole in ``evaluation_models``. Without an
explicit version, the highest version of a code wins; a run stores the version it used, and re-running a period
with that version reproduces its grades.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from transport_credit.common.errors import InvalidInput, NotFound
from transport_credit.evaluation.models import EvaluationModelDoc
from transport_credit.evaluation.schema import EvaluationModelDef, SupervisionPolicy


class ModelFileError(InvalidInput):
    code = "evaluation_model_invalid"


@dataclass(frozen=True)
class LoadedModel:
    model: EvaluationModelDef
    source: str
    sha256: str
    text: str


@dataclass(frozen=True)
class LoadedPolicy:
    policy: SupervisionPolicy
    source: str
    sha256: str


def _location(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = " → ".join(str(p) for p in first["loc"])
    return f"{loc}: {first['msg']}" if loc else str(first["msg"])


def _parse(text: str, source: str, schema: type[BaseModel]) -> Any:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ModelFileError(f"{source}: 不是有效的 YAML：{exc}") from exc
    if not isinstance(raw, dict):
        raise ModelFileError(f"{source}: 文件内容应为一个映射（mapping）")
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        raise ModelFileError(f"{source}: {_location(exc)}") from exc


def parse_model(text: str, source: str = "<text>") -> LoadedModel:
    """Validate a model file's text (results are cached by text: stored versions are parsed once a process)."""
    return _parse_model(text, source)


@functools.lru_cache(maxsize=256)
def _parse_model(text: str, source: str) -> LoadedModel:
    model = _parse(text, source, EvaluationModelDef)
    assert isinstance(model, EvaluationModelDef)
    return LoadedModel(model, source, hashlib.sha256(text.encode("utf-8")).hexdigest(), text)


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Natural order of versions: 2024.10 after 2024.9."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.replace("-", ".").split("."))


def builtin_models(province: str | None = None) -> dict[str, list[LoadedModel]]:
    """Every built-in model file by code (national, then the province's own directory)."""
    return {code: list(items) for code, items in _builtin(province).items()}


@functools.cache
def _builtin(province: str | None) -> dict[str, tuple[LoadedModel, ...]]:
    root = resources.files("transport_credit").joinpath("data", "evaluation")
    out: dict[str, list[LoadedModel]] = {}
    dirs = [root] + ([root.joinpath(province)] if province else [])
    for d in dirs:
        if not d.is_dir():
            continue
        for entry in sorted(d.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".yaml") or not entry.is_file():
                continue
            loaded = parse_model(entry.read_text("utf-8"), f"evaluation/{entry.name}")
            out.setdefault(loaded.model.code, []).append(loaded)
    return {code: tuple(items) for code, items in out.items()}


def stored_models(session: Session, code: str | None = None) -> list[LoadedModel]:
    stmt = select(EvaluationModelDoc).order_by(EvaluationModelDoc.id)
    if code is not None:
        stmt = stmt.where(EvaluationModelDoc.code == code)
    return [parse_model(d.content, d.source) for d in session.scalars(stmt)]


def available_models(session: Session, province: str | None = None) -> dict[str, LoadedModel]:
    """The active version of every model: the highest version among built-in and registered files."""
    candidates: dict[str, list[LoadedModel]] = builtin_models(province)
    for loaded in stored_models(session):
        candidates.setdefault(loaded.model.code, []).append(loaded)
    return {code: max(items, key=lambda m: version_key(m.model.version)) for code, items in sorted(candidates.items())}


_RESOLVED: dict[tuple[str, str, str | None], LoadedModel] = {}


def resolve_model(session: Session, code: str, version: str | None = None, province: str | None = None) -> LoadedModel:
    """A model by code (and version): registered versions first, then built-in files.

    A (code, version) pair never changes content (:func:`remember` refuses that), so found versions are cached.
    """
    if version is not None:
        hit = _RESOLVED.get((code, version, province))
        if hit is not None:
            return hit
        found = _resolve(session, code, version, province)
        _RESOLVED[(code, version, province)] = found
        return found
    return _resolve(session, code, None, province)


def _resolve(session: Session, code: str, version: str | None, province: str | None) -> LoadedModel:
    candidates = list(builtin_models(province).get(code, [])) + stored_models(session, code)
    if not candidates:
        raise NotFound(f"评价模型「{code}」不存在", code="evaluation_model_not_found")
    if version is None:
        return max(candidates, key=lambda m: version_key(m.model.version))
    for loaded in reversed(candidates):
        if loaded.model.version == version:
            return loaded
    raise NotFound(f"评价模型「{code}」没有版本 {version}", code="evaluation_model_version_not_found")


def remember(session: Session, loaded: LoadedModel) -> None:
    """Store the model version whole (once), so a past period can always be re-run with it."""
    m = loaded.model
    existing = session.scalar(
        select(EvaluationModelDoc).where(EvaluationModelDoc.code == m.code, EvaluationModelDoc.version == m.version)
    )
    if existing is not None:
        if existing.sha256 != loaded.sha256:
            raise ModelFileError(
                f"评价模型「{m.name}」版本 {m.version} 已存在但内容不同；修改模型请使用新的版本号",
                code="evaluation_model_version_conflict",
            )
        return
    session.add(
        EvaluationModelDoc(
            code=m.code, version=m.version, name=m.name, sha256=loaded.sha256, content=loaded.text, source=loaded.source
        )
    )
    session.flush()


@functools.cache
def _policies() -> tuple[LoadedPolicy, ...]:
    return tuple(policies_uncached().values())


def policies() -> dict[str, LoadedPolicy]:
    """The shipped supervision policies by code (parsed once per process)."""
    return {p.policy.code: p for p in _policies()}


def policies_uncached() -> dict[str, LoadedPolicy]:
    root = resources.files("transport_credit").joinpath("data", "evaluation", "policies")
    out: dict[str, LoadedPolicy] = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        text = entry.read_text("utf-8")
        policy = _parse(text, f"evaluation/policies/{entry.name}", SupervisionPolicy)
        assert isinstance(policy, SupervisionPolicy)
        out[policy.code] = LoadedPolicy(policy, entry.name, hashlib.sha256(text.encode()).hexdigest())
    return out


def policy_for_domain(domain: str) -> LoadedPolicy:
    for loaded in policies().values():
        if loaded.policy.domain == domain:
            return loaded
    raise NotFound(f"领域「{domain}」没有分级分类监管策略", code="supervision_policy_not_found")
