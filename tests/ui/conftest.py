"""Fixtures for the UI tests: isolated XDG folders, a scripted Services, SVG snapshots in snapshots/."""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from gaie_tui.ui.services import CheckRow, ClusterView, DeployResult, Pod, Services

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = ROOT / "snapshots"
UPDATE = os.environ.get("GAIE_TUI_UPDATE_SNAPSHOTS") == "1"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    for name in ("CONFIG", "CACHE", "STATE"):
        d = tmp_path / name.lower()
        d.mkdir()
        monkeypatch.setenv(f"GAIE_TUI_{name}_DIR", str(d))
    monkeypatch.delenv("LLMDBENCH_VLLM_COMMON_NAMESPACE", raising=False)
    yield


class FakeServices(Services):
    """A cluster that answers instantly and the same way every time (screens' seams only)."""

    def __init__(self, tmp: Path, *, deploy_lines: int = 12, deploy_ok: bool = True, rows=None,
                 line_gate: threading.Semaphore | None = None) -> None:
        super().__init__(kubeconfig=None, context="fake-ctx", record_dir=str(tmp / "records"))
        self.deploy_lines, self.deploy_ok, self.rows, self.line_gate = deploy_lines, deploy_ok, rows, line_gate
        self.verify_calls = 0
        self.upstream_offline = True   # versions from bundled data: the same answer on every run

    def contexts(self):
        return ["fake-ctx", "prod-eu"], "fake-ctx"

    def connect(self, context):
        self.context = context
        return ClusterView(context=context, server="https://10.0.0.1:6443", namespaces=["default", "llm-d"],
                           default_namespace="llm-d")

    def secret_names(self, namespace):
        return ["llm-d-hf-token", "registry-pull"] if namespace == "llm-d" else []

    def pods(self, namespace):
        if namespace != "llm-d":
            return []
        return [Pod("vllm-qwen3-0", {"llm-d.ai/inferenceServing": "true", "app": "vllm"}, True, "Running"),
                Pod("vllm-qwen3-1", {"llm-d.ai/inferenceServing": "true", "app": "vllm"}, True, "Running")]

    def deployed_values(self, release, namespace):
        return None

    def render_objects(self, plan):
        return [f"ServiceAccount/{plan.release}-epp", f"Deployment/{plan.release}-epp",
                f"Service/{plan.release}-epp", f"InferencePool/{plan.release}"], ""

    def preflight(self, plan):
        return [CheckRow("crd-pool", "InferencePool CRD", "pass", "served at inference.networking.k8s.io/v1"),
                CheckRow("secret", "HF token secret", "pass", "llm-d-hf-token exists")]

    def deploy(self, plan, on_line, cancel, on_observed=None):
        on_line("$ helm upgrade --install …")
        for i in range(self.deploy_lines):
            if self.line_gate is not None:
                self.line_gate.acquire(timeout=5)
            if cancel.is_set():
                return DeployResult(False, cancelled=True, explanation="Cancelled: helm was stopped.")
            on_line(f"helm line {i + 1}")
        if not self.deploy_ok:
            return DeployResult(False, explanation="The cluster lacks a CRD the chart renders.",
                                lines=["Error: ensure CRDs are installed first"])
        return DeployResult(True, revision=1, duration=1.0, lines=["REVISION: 1"])

    def verify(self, plan, selector, family_label):
        self.verify_calls += 1
        return self.rows or [
            CheckRow("release", "helm release", "pass", "deployed, chart v1.5.0, revision 1", ["helm status: deployed"]),
            CheckRow("epp-deployment", "EPP Deployment", "pass", "1/1 ready", ["readyReplicas=1"]),
            CheckRow("epp-pods", "EPP pods", "pass", "1 pod(s), 0 restart(s)", ["gaie-epp-0: ready=True"]),
            CheckRow("pool", "InferencePool", "pass", "selector llm-d.ai/inferenceServing=true", []),
            CheckRow("model-servers", "pool selector matches", "pass", "2 Ready model-server pod(s)",
                     ["vllm-qwen3-0", "vllm-qwen3-1"]),
        ]


@pytest.fixture
def fake(tmp_path):
    return FakeServices(tmp_path)


def make_app(services, **kw):
    from gaie_tui.ui.app import GaieApp
    kw.setdefault("resume", False)
    kw.setdefault("cursor_blink", False)
    kw.setdefault("clock", lambda: 1000.0)
    return GaieApp(services, **kw)


@pytest.fixture
def app_factory():
    return make_app


_ID = re.compile(r"terminal-\d+")


def _normalise(svg: str) -> str:
    return _ID.sub("terminal", svg)


@pytest.fixture
def svg_snapshot(request):
    """Compare an SVG with snapshots/<name>.svg; GAIE_TUI_UPDATE_SNAPSHOTS=1 writes it."""
    def check(svg: str, name: str) -> None:
        path = SNAPSHOTS / f"{name}.svg"
        if UPDATE or not path.exists():
            if not UPDATE and os.environ.get("CI"):
                pytest.fail(f"missing snapshot {path}")
            SNAPSHOTS.mkdir(exist_ok=True)
            path.write_text(svg, encoding="utf-8")
            return
        want = path.read_text(encoding="utf-8")
        if _normalise(want) != _normalise(svg):
            out = path.with_suffix(".actual.svg")
            out.write_text(svg, encoding="utf-8")
            pytest.fail(f"screen differs from {path} (actual written to {out}); "
                        "GAIE_TUI_UPDATE_SNAPSHOTS=1 updates after checking")
    return check
