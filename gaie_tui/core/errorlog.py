"""The log of unexpected errors (`gaie-tui.log` in the state folder): what a person reads when
something broke, never a traceback on their terminal. Redacted, 0600."""
from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path


def log_path() -> Path:
    from .paths import state_dir
    return state_dir() / "gaie-tui.log"


def write_error_log(error: BaseException) -> Path:
    """Append the error and its traceback (secrets redacted); returns where."""
    from .errors import UserError
    from .redact import redact
    from .safeio import open_append
    path = log_path()
    try:
        with open_append(path) as fh:
            fh.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n")
            fh.write(redact("".join(traceback.format_exception(type(error), error, error.__traceback__))))
    except (OSError, UserError):
        pass
    return path
