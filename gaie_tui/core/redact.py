"""Redaction of secrets before anything is shown or written: bearer tokens, Authorization headers,
Hugging Face / GitHub tokens, JWTs, and values of keys that look like credentials.

Applied to helm output, error messages and record files. It errs on the side of hiding: a
redacted non-secret costs a little readability, a leaked token costs a rotation.
"""
from __future__ import annotations

import re

MASK = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer xyz / Authorization: Basic xyz (header lines, curl -H, Go's %v of headers)
    (re.compile(r"(?i)(authorization\"?[ \t]*[:=][ \t]*\[?\"?)(bearer|basic|token)?[ \t]*[^\s\"\],]+"),
     lambda m: f"{m.group(1)}{(m.group(2) + ' ') if m.group(2) else ''}{MASK}"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), lambda m: f"{m.group(1)} {MASK}"),
    # command-line style --token=xyz, --password xyz
    (re.compile(r"(?i)(--(?:token|password|client-key-data|bearer-token)[= ])\S+"), lambda m: m.group(1) + MASK),
    # key: value / "key": "value" where the key names a credential (not *Name / *Ref / *Key references)
    (re.compile(r"(?i)(\"?\b(?:[a-z_]*token|password|passwd|api[-_]?key|secret(?:[-_]?value)?|"
                r"client[-_]secret)\"?[ \t]*[:=][ \t]*)(\"[^\"]+\"|'[^']+'|[^\s,}\]]+)"),
     lambda m: m.group(1) + (MASK if not _harmless(m.group(2)) else m.group(2))),
    (re.compile(r"\bhf_[A-Za-z0-9]{16,}"), lambda m: MASK),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), lambda m: MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), lambda m: MASK),
)

_HARMLESS = {"true", "false", "null", "~", "''", '""', "{}", "[]", "|", ">", "|-", ">-"}


def _harmless(value: str) -> bool:
    v = value.strip().strip("\"'")
    return value.strip() in _HARMLESS or v in _HARMLESS or v == MASK or not v


def redact(text: str) -> str:
    """The text with every secret-looking part replaced by [REDACTED]."""
    if not text:
        return text
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def redact_argv(argv: list[str]) -> list[str]:
    out: list[str] = []
    hide_next = False
    for a in argv:
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        if a in ("--token", "--password", "--kube-token", "--bearer-token"):
            out.append(a)
            hide_next = True
            continue
        out.append(redact(a))
    return out
