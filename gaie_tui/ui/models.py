"""What the screens and Services pass between them: diagnostics, pods, the plan, checks, results.

Kept apart from services.py so the first frame does not build them (each dataclass costs
about half a millisecond to create); services.py re-exports them on first use.
"""
from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")


@dataclass
class Fix:
    """A one-key fix: replace (line, column)–(end_line, end_column), 1-based, end exclusive, with text."""
    label: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass
class Diag:
    code: str
    severity: str
    path: str
    line: int
    column: int
    message: str
    hint: str = ""
    fix: Fix | None = None
    deep: bool = False

    @property
    def mark(self) -> str:
        return {"error": "E", "warning": "W"}.get(self.severity, "i")


@dataclass
class KeyInfo:
    path: str
    known: bool
    type: str | None = None
    default: object = None
    has_default: bool = False
    chart_doc: str = ""
    our_doc: str = ""
    read: bool = True


@dataclass
class Pod:
    name: str
    labels: dict[str, str]
    ready: bool
    phase: str = ""


@dataclass
class ClusterView:
    context: str
    server: str
    namespaces: list[str] = field(default_factory=list)
    default_namespace: str | None = None


@dataclass
class Plan:
    release: str
    namespace: str
    context: str | None
    chart_ref: str
    chart_name: str
    chart_version: str
    chart_source: str          # what helm is given: an archive path or an oci:// address
    values_text: str
    kubeconfig: str | None = None
    upgrade: bool = False
    create_namespace: bool = False
    wait_timeout: str = "5m"

    def helm_argv(self, helm: str = "helm", values_file: str = "values.yaml") -> list[str]:
        argv = [helm, "upgrade", "--install", self.release, self.chart_source, "--version", self.chart_version,
                "--namespace", self.namespace, "-f", values_file, "--wait", "--timeout", self.wait_timeout]
        if self.create_namespace:
            argv.append("--create-namespace")
        if self.context:
            argv += ["--kube-context", self.context]
        return argv


@dataclass
class CheckRow:
    id: str
    title: str
    status: str                 # pass / warn / fail / skip / wait
    summary: str = ""
    evidence: list[str] = field(default_factory=list)
    remedy: str = ""


@dataclass
class DeployResult:
    ok: bool
    cancelled: bool = False
    revision: int | None = None
    duration: float = 0.0
    explanation: str = ""
    lines: list[str] = field(default_factory=list)
