"""The OpenAPI document of the API, as committed in ``docs/api/openapi.json``.

``python -m transport_credit.api.openapi > docs/api/openapi.json`` regenerates it; a test fails when the committed
file falls behind the code.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from transport_credit.db.uow import Database
from transport_credit.settings import Settings


def openapi_document() -> dict[str, Any]:
    """The document as the application serves it at ``/api/openapi.json`` (no database connection is made)."""
    from transport_credit.server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", data_dir=Path(tmp), log_level="WARNING")
        engine = create_engine("sqlite://")
        try:
            app = create_app(settings, Database(engine))
            return app.openapi()
        finally:
            engine.dispose()


def render() -> str:
    """Stable text: sorted keys are not used, so the order follows the routes; Chinese stays readable."""
    return json.dumps(openapi_document(), ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
