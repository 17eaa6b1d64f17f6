"""Diagnostics: what the checker says about a values file, as plain data the UI renders and the
CLI prints. Positions are 1-based and point at the setting's own key; with layered values
(`-f base.yaml -f overlay.yaml`) `file` names the layer whose line it is ("" for a single file)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..redact import redact

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
    file: str = ""     # the layer the positions are in ("" for a single file)

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
    file: str = ""     # the layer this line is in ("" when one file is checked)

    def __post_init__(self) -> None:
        if self.severity not in _RANK:
            raise ValueError(f"unknown severity {self.severity!r}")
        # messages quote values and helm's errors: a token must never reach a terminal, log or
        # record through them, whatever rule wrote the text
        for name in ("message", "hint", "path"):
            text = getattr(self, name)
            clean = redact(text)
            if clean != text:
                object.__setattr__(self, name, clean)

    @property
    def sort_key(self) -> tuple:
        return (self.line, self.column, _RANK[self.severity], self.code, self.path)

    def __lt__(self, other: Diagnostic) -> bool:
        return self.sort_key < other.sort_key

    def to_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "file": self.file, "path": self.path,
                "line": self.line, "column": self.column, "message": self.message, "hint": self.hint}



def sort_diagnostics(diags, files=()) -> list[Diagnostic]:
    """Sorted by file (in the order of `files`, the layers), then position, then severity; exact
    duplicates removed."""
    order = {f: i for i, f in enumerate(files)}
    seen: set = set()
    out: list[Diagnostic] = []
    for d in sorted(diags, key=lambda d: (order.get(d.file, -1 if not d.file else len(order)), d.file, d.sort_key)):
        key = (d.file, d.code, d.path, d.line, d.column, d.message)
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


_MARKS = {"error": "✗", "warning": "⚠", "info": "i"}


def summary(diags, *, marks: bool = False) -> str:
    """`1 error, 2 warnings, 0 infos`; with `marks` (a status line read without colour):
    `✗ 1 error  ⚠ 2 warnings  i 0 infos`."""
    c = counts(diags)
    parts = [f"{_MARKS[s] + ' ' if marks else ''}{c[s]} {s}{'' if c[s] == 1 else 's'}" for s in SEVERITIES]
    return ("  " if marks else ", ").join(parts)


def shown_value(v) -> str:
    """A value as a YAML user writes it in a message: true/false, null, maps and lists as JSON —
    never Python's True, None or {'a': 1}."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        import json
        return json.dumps(v)
    return str(v)


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


# Every code the checker emits, with what it means (the UI's problems list and the README use it).
CODES: dict[str, str] = {
    # layer 1: YAML
    "yaml-syntax": "the text is not valid YAML",
    "yaml-tab": "a tab in the indentation (YAML allows only spaces)",
    "duplicate-key": "the same key twice in one mapping (helm keeps only the last)",
    "yaml-not-mapping": "the top level is a list or a single value, not settings",
    "yaml-multi-document": "more than one YAML document in the file",
    "yaml-too-large": "the file is larger than any values file (over 2 MB)",
    "yaml-alias-bomb": "anchors/aliases expand to an absurd size (or refer to themselves)",
    "yaml-too-deep": "nesting deeper than any values file",
    "yaml-encoding": "the file is not UTF-8",
    "yaml-tag": "a value's explicit tag (`!!int`, `!!bool` …) does not fit the value",
    "yaml-indent": "an indentation mistake, pointed at the line that breaks the structure",
    "yaml-go-bool": "an unquoted y/n: a boolean for helm, text for PyYAML and most editors",
    # layer 2: the chart version's schema
    "unknown-key": "a key the chart version does not read (with a did-you-mean)",
    "misplaced-key": "a key the chart reads elsewhere (e.g. provider under inferenceExtension)",
    "not-in-version": "a key other versions of the chart read, but not this one",
    "not-read": "a key the chart's values.yaml lists but no template reads",
    "wrong-type": "a value of the wrong type or shape",
    "missing-required": "a key the chart requires is not set",
    "deprecated-top-level": "llm-d-router-gateway refuses the old top-level blocks",
    # layer 3: traps, provider profile, policies
    "ignored-image-key": "image keys of another chart version (hub/name vs registry/repository)",
    "istio-location": "the istio block where this chart version does not read it",
    "no-istio-support": "istio on a chart version without istio support (v1.0.0)",
    "flags-shape": "EPP flags as a list where the chart wants a map, or the other way round",
    "flag-false": "a boolean EPP flag set to false (rendered so that Go reads it as true)",
    "flags-verbose": "EPP log verbosity above 1",
    "env-map": "EPP env as a map instead of a list of EnvVar",
    "hf-token-literal": "a Hugging Face token written into the file (never echoed)",
    "ext-proc-port": "extProcPort other than 9002 (the container keeps 9002)",
    "provider-case": "provider.name Istio (capitalised): no DestinationRule",
    "provider-name": "a provider name the chart renders nothing for",
    "provider-incomplete": "a setting of the provider profile is missing",
    "provider-changed": "a setting of the provider profile has another value",
    "traffic-policy-dropped": "trafficPolicy fields the chart does not copy (only connectionPool)",
    "model-server-type": "a model-server type this chart version does not support",
    "zmq-port-missing": "the zmq KV-cache-events port is missing (opt out with `# gaie-tui: zmq=off`)",
    "monitoring-enabled": "Prometheus monitoring is on (needs the operator's CRDs)",
    "image-unpinned": "image tag latest/main or empty",
    "image-renamed": "the endpoint-picker repository was renamed",
    "image-unpaired": "an endpoint picker llm-d did not deploy with this chart version",
    "chart-bug-tracing": "inferencepool v1.1.0 always breaks EPP flag parsing (chart bug)",
    "chart-bug-objectives": "inferencepool v1.5.0 fails to render inferenceObjectives entries (chart bug)",
    "chart-version-unknown": "a chart version outside the known releases, checked as the layout it matches",
    # layer 4: render (--deep)
    "render-error": "helm template fails; mapped to the setting where possible",
    "render-warning": "helm ignored a value of the wrong shape (coalesce warning)",
    "no-effect": "changing or removing the setting does not change the rendered manifests",
    "render-unavailable": "--deep could not run (no chart archive or no helm)",
    "deep-skipped": "the dead-setting analysis could not run (the values do not render); says why",
    # layered values (-f a -f b)
    "overridden": "a later file replaces this value: it never reaches the chart",
    # the checker itself
    "checker-crashed": "could not check: the checker failed (details in the log); never a pass",
    "chart-unusable": "could not check: the chart's own values.yaml is not a mapping (helm refuses it too)",
}
