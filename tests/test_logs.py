"""Personal information never reaches the log: the stdlib records of any module, their arguments and the
tracebacks of logged exceptions are scrubbed (run in a child process: logging is process-wide)."""

from __future__ import annotations

import subprocess
import sys

ID = "410102198001011234"
PHONE = "13912345678"

CHILD = f"""
import logging
from transport_credit.logs import configure_logging
configure_logging("INFO")
log = logging.getLogger("transport_credit.some.module")
log.info("subject %s called from %s", "{ID}", "{PHONE}")
log.warning("direct {ID}")
try:
    raise ValueError("duplicate key value (id_number)=({ID}) phone {PHONE}")
except ValueError:
    log.exception("import failed")
logging.getLogger().error("root {PHONE}")
"""


def test_module_loggers_arguments_and_tracebacks_are_scrubbed() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    text = out.stderr
    assert "import failed" in text
    assert "ValueError: duplicate key value" in text  # the traceback is still there
    assert "subject 4101**********1234 called from 139****5678" in text
    assert "direct 4101**********1234" in text
    assert "root 139****5678" in text
    assert ID not in text
    assert PHONE not in text
