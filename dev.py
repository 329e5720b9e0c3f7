#!/usr/bin/env python3
"""Developer entry point. Needs only Python 3.11+ and git; installs what it needs into ./.venv.

    python3 dev.py start   # the platform with its embedded database and a demo province, on http://127.0.0.1:8000
    python3 dev.py test    # the whole test suite (PostgreSQL too when TEST_DATABASE_URL is set)

Anything after the command is passed on: ``python3 dev.py start --subjects 5000``, ``python3 dev.py test -k ingest``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".installed"


def _run(*cmd: str | Path, **kw: object) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kw)  # type: ignore[call-overload]


def ensure_env() -> None:
    """Create .venv and install the locked dependencies and the project (skipped when up to date)."""
    if sys.version_info < (3, 11):
        sys.exit("需要 Python 3.11 或更高版本 (Python 3.11+ is required)")
    if not PY.exists():
        print("» creating .venv", flush=True)
        venv.create(VENV, with_pip=True)
    want = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    print("» installing locked dependencies into .venv", flush=True)
    uv = BIN / "uv"
    if not uv.exists():
        _run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "uv")
    try:
        _run(uv, "pip", "install", "--python", PY, "--quiet", "-r", LOCK)
        _run(uv, "pip", "install", "--python", PY, "--quiet", "--no-deps", "-e", ROOT)
    except subprocess.CalledProcessError:
        # uv could not run here: fall back to plain pip with the same lock.
        _run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", LOCK)
        _run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "-e", ROOT)
    STAMP.write_text(want)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"start", "test"}:
        print(__doc__)
        return 2
    ensure_env()
    cmd, rest = argv[0], argv[1:]
    if cmd == "start":
        return subprocess.call([str(BIN / "tcredit"), "demo", *rest], cwd=ROOT)
    return subprocess.call([str(PY), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
