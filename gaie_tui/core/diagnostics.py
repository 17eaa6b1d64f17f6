"""Diagnostics: what the checker says about a values file, as plain data the UI renders and the
CLI prints. Positions are 1-based and point at the setting's own key."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

SEVERITIES = ("error", "warning", "info")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Fix:
    """Replace the text between (line, column) and (end_line, end_column) — 1-based, end exclusive —
    with `text`. `title` says what the edit does ("rename hub to registry")."""

    title: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)

        def offset(line: int, col: int) -> int:
            return sum(len(x) for x in lines[: line - 1]) + col - 1

        start, end = offset(self.line, self.column), offset(self.end_line, self.end_column)
        return source[:start] + self.text + source[end:]


@dataclass(frozen=True)
class Diagnostic:
    code: str          # stable, kebab-case
    severity: str      # error / warning / info
    path: str          # dotted key path, list items as [i]; "" for the file as a whole
    line: int          # 1-based
    column: int        # 1-based
    message: str
    hint: str = ""
    fix: Fix | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.severity not in _RANK:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def sort_key(self) -> tuple:
        return (self.line, self.column, _RANK[self.severity], self.code, self.path)

    def __lt__(self, other: "Diagnostic") -> bool:
        return self.sort_key < other.sort_key

    def to_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "path": self.path, "line": self.line,
                "column": self.column, "message": self.message, "hint": self.hint}

    def with_fix_dict(self) -> dict:
        d = self.to_json()
        d["fix"] = asdict(self.fix) if self.fix else None
        return d


def sort_diagnostics(diags) -> list[Diagnostic]:
    """Sorted by position, then severity; exact duplicates removed."""
    seen: set = set()
    out: list[Diagnostic] = []
    for d in sorted(diags):
        key = (d.code, d.path, d.line, d.column, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def counts(diags) -> dict[str, int]:
    out = {s: 0 for s in SEVERITIES}
    for d in diags:
        out[d.severity] += 1
    return out


def has_errors(diags) -> bool:
    return any(d.severity == "error" for d in diags)


def summary(diags) -> str:
    c = counts(diags)
    parts = [f"{c[s]} {s}{'' if c[s] == 1 else 's'}" for s in SEVERITIES]
    return ", ".join(parts)


def format_path(keys) -> str:
    """('a', 'b', 0, 'c') → a.b[0].c; keys that contain dots or slashes are bracket-quoted."""
    out = ""
    for k in keys:
        if isinstance(k, int):
            out += f"[{k}]"
        else:
            s = str(k)
            if s and all(ch.isalnum() or ch in "_-" for ch in s):
                out += f".{s}" if out else s
            else:
                out += f'["{s}"]'
    return out
