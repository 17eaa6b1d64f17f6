"""The values draft: what the wizard's editor holds, saved continuously to the state folder so an
edit survives a crash, a lost SSH session or `kill -9`, and offered again on the next start.

A draft never holds a secret: the values are redacted before they are written (a token typed into
the editor — in a value or a comment — becomes [REDACTED]; put tokens in a Secret). The file is
0600 in a 0700 folder, written atomically. While a deploy runs, the draft also names its record,
so the next start can say that deploy did not finish.
"""
from __future__ import annotations

import json
import time
from pathlib import Path


def draft_path() -> Path:
    from .paths import state_dir
    return state_dir() / "draft.json"


def save_draft(values_text: str, *, chart_ref: str | None, values_file: str | None, answers: dict,
               deploy: dict | None = None, layers: list[dict] | None = None, current: int = 0) -> Path:
    """`values_text`/`values_file`: the layer in the editor; `layers`: every layer of a layered
    set as {"file", "text"} in helm's order (each text redacted like the editor's)."""
    from .redact import redact
    from .safeio import write_text
    data = {"saved": time.time(), "chart_ref": chart_ref, "values_file": values_file, "answers": answers,
            "values": redact(values_text), "deploy": deploy}
    if layers:
        data["layers"] = [{"file": x.get("file"), "text": redact(x.get("text") or "")} for x in layers]
        data["current"] = current
    return write_text(draft_path(), json.dumps(data), private=True)


def load_draft() -> dict | None:
    try:
        text = draft_path().read_text(encoding="utf-8")
    except OSError:           # the usual start: no draft
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("values"), str) else None


def discard_draft() -> None:
    try:
        draft_path().unlink()
    except OSError:
        pass
