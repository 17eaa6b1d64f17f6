"""An unexpected exception in a screen's handler becomes a notification naming the log file,
never a traceback and never a dead wizard."""
from __future__ import annotations

from functools import wraps


def guarded(method):
    @wraps(method)
    def wrapper(self, *a, **kw):
        try:
            return method(self, *a, **kw)
        except Exception as exc:  # noqa: BLE001 - the point is to catch everything
            self.app.report_error(exc)
    return wrapper
