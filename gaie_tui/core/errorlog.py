"""Where an unexpected error goes: a redacted traceback appended to `gaie-tui.log` in the state
folder (0600 in a 0700 folder), never onto the user's terminal."""
from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path

from .errors import UserError
from .paths import state_dir
from .redact import redact


def log_path() -> Path:
    return state_dir() / "gaie-tui.log"


def write_error_log(error: BaseException, what: str = "") -> Path | None:
    """Append the error's traceback (redacted) to the log; the log's path, or None when it could
    not be written (a read-only home must not turn one error into two)."""
    path = log_path()
    from .safeio import open_append
    try:
        with open_append(path) as fh:
            fh.write(f"--- {datetime.now().isoformat(timespec='seconds')}{' ' + redact(what) if what else ''}\n")
            fh.write(redact("".join(traceback.format_exception(type(error), error, error.__traceback__))))
    except (OSError, UserError):
        return None
    return path


def describe(error: BaseException) -> str:
    """One line for the user: the error's own words (never its class name), redacted and with
    control characters made visible; a stand-in when it has none."""
    from .textsafe import clip
    if isinstance(error, MemoryError):
        return "ran out of memory"
    if isinstance(error, RecursionError):
        return "the input nests too deeply"
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return clip(redact(text), 300) if text else "an internal error with no message"
