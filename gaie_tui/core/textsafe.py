"""Text from outside (cluster objects, logs, helm output, values, file names) made safe to show.

A terminal obeys escape sequences wherever they come from: an annotation holding OSC 52 sets the
clipboard, CSI 2J clears the screen, OSC 8 plants a link. Every such string passes `visible()`
before it reaches a terminal: control characters (C0 but newline and tab, DEL, C1) and the Unicode
bidirectional overrides become visible escapes (`\\x1b`, `\\u202e`). The JSON output carries the
original data unchanged (JSON escapes controls itself); Rich markup is a separate matter, handled
where Rich is used (the UI passes such text as `Text`, never as markup).
"""
from __future__ import annotations

import re

# C0 controls except \t and \n, DEL, C1 controls, and the bidi embedding/override/isolate marks
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object, *, one_line: bool = False) -> str:
    """`text` with every control character shown as an escape; one_line also escapes newlines
    and tabs (table cells, titles). `\\r\\n` line ends are kept as newlines."""
    s = text if isinstance(text, str) else str(text)
    if one_line:
        return _UNSAFE_ONE_LINE.sub(_escape, s)
    if "\r\n" in s:
        s = s.replace("\r\n", "\n")
    return _UNSAFE.sub(_escape, s)


def clip(text: object, limit: int) -> str:
    """One visible line of at most `limit` characters (an ellipsis marks the cut)."""
    s = visible(text, one_line=True)
    return s if len(s) <= limit else s[: max(0, limit - 1)] + "…"


def is_clean(text: str) -> bool:
    """True when `text` has nothing `visible()` would change."""
    return _UNSAFE.search(text) is None


# In JSON text these can only occur inside strings, where `\uXXXX` means the same character:
# escaping them keeps the data identical for a parser and keeps a terminal showing the JSON safe.
# (json.dumps escapes C0 itself; with ensure_ascii=False it leaves DEL, C1 and bidi marks raw.)
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def json_text(text: str) -> str:
    """JSON text (from json.dumps) with the characters a terminal would obey escaped as `\\uXXXX`."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
