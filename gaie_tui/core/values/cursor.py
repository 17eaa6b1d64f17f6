"""The key path under a cursor, also while the text does not parse (someone is typing): the
parser's answer when it has one, else the path that indentation alone suggests."""
from __future__ import annotations

import re

_KEY_RE = re.compile(r"^(\s*)(-\s+)?([^\s#:'\"][^:#]*?|\"[^\"]*\"|'[^']*')\s*:(\s|$)")


def path_under_cursor(text: str, line: int, column: int) -> str | None:
    """Dotted key path under a 1-based (line, column), or None."""
    from .source import path_at
    try:
        return path_at(text, line, column)
    except Exception:  # noqa: BLE001 - text that does not parse yet (mid-typing): go by indentation
        return path_by_indentation(text, line)


def path_by_indentation(text: str, line: int) -> str | None:
    """The key path for a line, from indentation alone: works on YAML that does not parse."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    stack: list[tuple[int, str]] = []
    counters: dict[tuple[int, str], int] = {}
    for i in range(line):
        raw = lines[i]
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = _KEY_RE.match(raw)
        indent = len(raw) - len(raw.lstrip())
        dash = raw.lstrip().startswith("- ")
        if m is None and not dash:
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = ".".join(s for _, s in stack)
        if dash:
            idx = counters.get((indent, parent), -1) + 1
            counters[(indent, parent)] = idx
            stack.append((indent, f"[{idx}]"))
            if m is not None:
                stack.append((indent + 2, m.group(3).strip("'\"")))
        else:
            stack.append((indent, m.group(3).strip("'\"")))
            for k in [k for k in counters if k[0] > indent]:   # a new key resets list counters below it
                counters.pop(k)
    path = ""
    for _, s in stack:
        path += s if s.startswith("[") else (f".{s}" if path else s)
    return path or None


def setting_under_cursor(text: str, line: int, column: int):
    """(dotted path, keys, value) of the setting under a 1-based cursor: keys and value from the
    parser when the text parses (value None when it has none), else (path by indentation, None, None)."""
    from .diagnostics import format_path
    from .source import get, parse, path_keys_at
    try:
        src = parse(text)
    except Exception:  # noqa: BLE001 - mid-typing: go by indentation
        src = None
    if src is not None and src.positions:
        keys = path_keys_at(src, line, column)
        if keys is not None:
            return format_path(keys), tuple(keys), get(src.values, keys)
        return None, None, None
    return path_by_indentation(text, line), None, None
