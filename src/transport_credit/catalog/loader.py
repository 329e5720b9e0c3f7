"""Load and validate catalog data files (YAML): catalogs, column mappings, publicity rule sets, province configs.

Files are read as UTF-8 bytes, hashed (sha256 of the bytes) and validated by pydantic. Any error names the file and,
for validation errors, the location of the bad field, e.g.
``catalog/national.yaml: categories[0] → fields[3] → type: Input should be 'string', 'text', …``.

Top-level keys starting with ``x-`` are ignored: they hold YAML anchors shared by several categories.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import yaml
from pydantic import BaseModel, ValidationError

from transport_credit.catalog.province import ProvinceConfig
from transport_credit.catalog.rules import NATIONAL_SCOPE, scope_rank
from transport_credit.catalog.schema import CatalogDocument, ColumnMapping, PublicityDocument
from transport_credit.common.errors import InvalidInput, NotFound

AnyDocument: TypeAlias = CatalogDocument | ColumnMapping | PublicityDocument
DOCUMENT_KINDS: dict[str, type[CatalogDocument] | type[ColumnMapping] | type[PublicityDocument]] = {
    "catalog": CatalogDocument,
    "mapping": ColumnMapping,
    "publicity": PublicityDocument,
}


class CatalogFileError(InvalidInput):
    """A catalog data file that cannot be read or does not validate."""

    code = "catalog_file_invalid"


@dataclass(frozen=True)
class LoadedDocument:
    """A validated document with where it came from and the sha256 of its bytes."""

    document: AnyDocument
    source: str
    sha256: str

    @property
    def kind(self) -> str:
        return self.document.kind

    @property
    def scope(self) -> str:
        return self.document.scope

    @property
    def name(self) -> str:
        return document_name(self.document)

    @property
    def version(self) -> str:
        return self.document.version


def document_name(document: AnyDocument) -> str:
    """The stored name of a document: catalog/mapping ``name``, publicity ``family``."""
    if isinstance(document, PublicityDocument):
        return document.family
    return document.name


def data_dir() -> Path:
    """The package data directory (``transport_credit/data``)."""
    return Path(str(resources.files("transport_credit") / "data"))


def sha256_bytes(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _format_validation_error(source: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = " → ".join(str(part) for part in err["loc"]) or "(文件顶层)"
        lines.append(f"{source}: {loc}: {err['msg']}")
    return "目录文件校验失败：\n" + "\n".join(lines)


# libyaml's safe loader parses the shipped files about ten times faster than the pure-Python one (``tcredit init``
# and every test that initialises a platform read seventeen of them); same documents, same types.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(raw: bytes, source: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogFileError(f"{source}: 目录文件必须是 UTF-8 编码（{exc}）", details={"file": source}) from exc
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader: libyaml's when installed)
    except yaml.YAMLError as exc:
        raise CatalogFileError(f"{source}: YAML 格式错误：{exc}", details={"file": source}) from exc
    if not isinstance(data, dict):
        raise CatalogFileError(f"{source}: 文件内容应为一个映射（键: 值）", details={"file": source})
    return {str(k): v for k, v in data.items() if not str(k).startswith("x-")}


def _validate(model: type[BaseModel], data: dict[str, Any], source: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
        raise CatalogFileError(
            _format_validation_error(source, exc), details={"file": source, "errors": errors}
        ) from exc


def parse_document(raw: bytes, source: str = "<memory>") -> LoadedDocument:
    """Parse and validate one document (catalog / mapping / publicity) from its bytes."""
    data = _parse_yaml(raw, source)
    kind = data.get("kind", "catalog")
    model = DOCUMENT_KINDS.get(str(kind))
    if model is None:
        known = "、".join(DOCUMENT_KINDS)
        raise CatalogFileError(f"{source}: kind: 未知的文件类型 {kind!r}（可选：{known}）", details={"file": source})
    document: AnyDocument = _validate(model, data, source)
    return LoadedDocument(document=document, source=source, sha256=sha256_bytes(raw))


def load_document(path: str | Path) -> LoadedDocument:
    """Read and validate one document file from any path."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CatalogFileError(f"{p}: 无法读取目录文件（{exc.strerror}）", details={"file": str(p)}) from exc
    return parse_document(raw, _display(p))


def _display(path: Path) -> str:
    """A short name for messages: relative to the package data dir when shipped."""
    try:
        return str(path.resolve().relative_to(data_dir().resolve()))
    except ValueError:
        return str(path)


def load_province_file(path: str | Path) -> ProvinceConfig:
    """Read and validate a province configuration file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CatalogFileError(f"{p}: 无法读取省份配置文件（{exc.strerror}）", details={"file": str(p)}) from exc
    source = _display(p)
    config: ProvinceConfig = _validate(ProvinceConfig, _parse_yaml(raw, source), source)
    return config


def shipped_provinces() -> list[ProvinceConfig]:
    """Every province configuration shipped with the package, by code."""
    paths = sorted((data_dir() / "provinces").glob("*.yaml"))
    return sorted((load_province_file(p) for p in paths), key=lambda c: c.code)


def load_province(province: str) -> ProvinceConfig:
    """A shipped province configuration by code (``410000``), file stem (``henan``), name or short name (``豫``)."""
    path = data_dir() / "provinces" / f"{province}.yaml"
    if path.is_file():
        return load_province_file(path)
    for config in shipped_provinces():
        if province in {config.code, config.name, config.short_name, config.code[:2]}:
            return config
    raise NotFound(f"未找到省份配置：{province}", code="province_not_found")


def _in_province(scope: str, province_code: str) -> bool:
    return scope == NATIONAL_SCOPE or scope[:2] == province_code[:2]


def shipped_documents(province: str) -> list[LoadedDocument]:
    """The shipped documents that apply to a province: national + provincial + its cities' catalogs, the mappings
    and the publicity rule sets (those of the nation or of that province). Ordered national → province → city.
    """
    config = load_province(province)
    root = data_dir()
    paths = [
        *sorted((root / "catalog").rglob("*.yaml")),
        *sorted((root / "mappings").glob("*.yaml")),
        *sorted((root / "publicity").glob("*.yaml")),
    ]
    docs = [load_document(p) for p in paths]
    docs = [d for d in docs if _in_province(d.scope, config.code)]
    return sorted(docs, key=lambda d: (scope_rank(d.scope), d.kind, d.scope, d.name))
