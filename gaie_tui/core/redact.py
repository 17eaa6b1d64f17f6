"""Redaction of secrets before anything is shown or written: bearer tokens, Authorization headers,
Hugging Face / GitHub tokens, JWTs, passwords in URLs, and values of keys that look like credentials.

Applied to helm output, error messages, usage errors, log lines and record files. It errs on the
side of hiding: a redacted non-secret costs a little readability, a leaked token costs a rotation.

Tokens are recognised in every form they come back in, not only as typed:
- as typed, quoted or not (`hf_…`, `'hf_…'`, `"hf_…"`), inside any message;
- without their separator: YAML's `!!int`/`!!float` drop underscores before converting, so
  `replicas: !!int hf_AbC…` comes back as `invalid literal for int(): 'hfAbC…'` (and `!!float`
  lowercases it too);
- glued to a preceding word (`value_hf_…` loses its underscores the same way).
"""
from __future__ import annotations

import re

MASK = "[REDACTED]"

# Hugging Face: hf_ + 34 letters/digits today; older ones were shorter. Without the underscore
# only long runs count, so ordinary words starting with "hf" stay readable.
_HF = r"hf_[A-Za-z0-9]{16,}|hf[A-Za-z0-9]{30,}"
# GitHub: ghp_/gho_/ghu_/ghs_/ghr_ + 36, fine-grained github_pat_…; again with and without separators
_GITHUB = r"gh[pousr]_[A-Za-z0-9]{20,}|gh[pousr][A-Za-z0-9]{34,}|github_?pat_?[A-Za-z0-9_]{20,}"

_PATTERNS: tuple[tuple[re.Pattern[str], object], ...] = (
    # Authorization: Bearer xyz / Authorization: Basic xyz (header lines, curl -H, Go's %v of headers)
    (re.compile(r"(?i)(authorization\"?[ \t]*[:=][ \t]*\[?\"?)(bearer|basic|token)?[ \t]*[^\s\"\],]+"),
     lambda m: f"{m.group(1)}{(m.group(2) + ' ') if m.group(2) else ''}{MASK}"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), lambda m: f"{m.group(1)} {MASK}"),
    # command-line style --token=xyz, --password xyz
    (re.compile(r"(?i)(--(?:token|password|client-key-data|bearer-token)[= ])\S+"), lambda m: m.group(1) + MASK),
    # user:password@ in a URL (proxies, registries)
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@'\"]+:)[^/\s@'\"]+@"), lambda m: f"{m.group(1)}{MASK}@"),
    # key: value / "key": "value" where the key names a credential (not *Name / *Ref / *Key references)
    (re.compile(r"(?i)(\"?\b(?:[a-z_]*token|password|passwd|api[-_]?key|secret(?:[-_]?value)?|"
                r"client[-_]secret)\"?[ \t]*[:=][ \t]*)(\"[^\"]+\"|'[^']+'|[^\s,}\]]+)"),
     lambda m: m.group(1) + (MASK if not _harmless(m.group(2)) else m.group(2))),
    (re.compile(_HF), MASK),
    (re.compile(_GITHUB), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MASK),
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


def redact_tree(node):
    """Every string in a JSON-like tree redacted (redacting serialised JSON text could break it)."""
    if isinstance(node, str):
        return redact(node)
    if isinstance(node, list):
        return [redact_tree(n) for n in node]
    if isinstance(node, dict):
        return {k: redact_tree(v) for k, v in node.items()}
    return node


def contains_secret(text: str) -> bool:
    """True when `redact()` would hide something (tests and callers that refuse to write a secret)."""
    return bool(text) and redact(text) != text


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
