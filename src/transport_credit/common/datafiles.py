"""Reading a rules file shipped as data (YAML validated by a pydantic model), with a Chinese error naming it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Protocol, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from transport_credit.common.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def shipped_path(*parts: str) -> Path:
    """A file or directory of the package's ``data/`` (e.g. ``shipped_path("ledger", "henan.yaml")``)."""
    return Path(str(resources.files("transport_credit").joinpath("data", *parts)))


def load_yaml_model(path: Path, model: type[M], what: str, code: str) -> M:
    """``path`` parsed and validated as ``model``; :class:`InvalidInput` (``code``) naming the file (``what`` is
    its kind in Chinese, e.g. 名单规则文件) and the first problem."""
    try:
        return model.model_validate(yaml.safe_load(path.read_bytes()))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = " → ".join(str(x) for x in first["loc"])
        raise InvalidInput(f"{what} {path.name} 有误：{loc}: {first['msg']}", code=code) from exc
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"无法读取{what} {path.name}：{exc}", code=code) from exc


class _ProvinceDoc(Protocol):
    @property
    def province(self) -> str | None: ...

    @property
    def version(self) -> str: ...


P = TypeVar("P", bound=BaseModel)


def load_for_province(directory: Path, pattern: str, model: type[P], what: str, code: str, province: str | None) -> P:
    """The document in force for ``province`` among the files of ``directory`` matching ``pattern``: the province's
    own file (``province: <name>``) if there is one, else the platform's (no ``province``), the newest ``version`` of
    either; :class:`InvalidInput` (``code``) when there is none or a file is invalid."""
    docs = [load_yaml_model(p, model, what, code) for p in sorted(directory.glob(pattern))]

    def of(doc: P) -> _ProvinceDoc:
        return doc  # type: ignore[return-value]  # the model has both fields

    own = [d for d in docs if province and of(d).province == province]
    candidates = own or [d for d in docs if of(d).province is None]
    if not candidates:
        raise InvalidInput(f"缺少{what}", code=code)
    return max(candidates, key=lambda d: of(d).version)
