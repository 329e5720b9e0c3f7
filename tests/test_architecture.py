"""Dependency direction: domain packages never import the front doors or web/CLI frameworks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "transport_credit"
DOMAIN = [
    "catalog",
    "identifiers",
    "subjects",
    "records",
    "ingest",
    "calendar",
    "audit",
    "auth",
    "db",
    "common",
    "demo",
    "lists",
    "evaluation",
    "supervision",
    "warnings",
    "disclosure",
    "search",
    "portal",
]
FORBIDDEN = (
    "transport_credit.api",
    "transport_credit.cli",
    "transport_credit.web",
    "transport_credit.site",
    "fastapi",
    "typer",
    "jinja2",
    "starlette",
)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_package_does_not_import_front_doors(package: str) -> None:
    offenders = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in sorted((SRC / package).rglob("*.py"))
        for name in _imports(path)
        if name.startswith(FORBIDDEN)
    ]
    assert offenders == []


def test_import_linter_contracts_are_kept() -> None:
    """The same rule as declared for import-linter in pyproject.toml (it also sees indirect imports)."""
    import subprocess
    import sys

    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed in this environment")
    result = subprocess.run([str(lint)], cwd=SRC.parents[1], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
