"""The one seam between the screens and gaie_tui/core.

Screens never import core modules directly: they call a `Services` object, which imports the
core part it needs when first asked (the first frame pays for none of them). No Textual import
here: this is plain Python, callable from worker threads.
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import CheckRow, ClusterView, DeployResult, Diag, KeyInfo, Plan, Pod

_MODELS = {"SEVERITIES", "Fix", "Diag", "KeyInfo", "Pod", "ClusterView", "Plan", "CheckRow", "DeployResult"}


def __getattr__(name: str):
    """The dataclasses live in models.py; `from .services import CheckRow` still works."""
    if name in _MODELS:
        from . import models
        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from ..core.production import (  # noqa: F401,E402
    PROD_WORDS,
    config_path,
    load_production_contexts,
    looks_like_production,
    production_reason,
)


# ---- the services -----------------------------------------------------------------------------
class Services:
    """Everything the screens ask of the engine. One per app; thread-safe where workers use it."""

    def __init__(self, *, kubeconfig: str | None = None, context: str | None = None,
                 offline: bool = False, simulated: bool = False, record_dir: str | None = None) -> None:
        self.kubeconfig = kubeconfig or os.environ.get("KUBECONFIG") or None
        self.context = context
        self.offline = offline
        self.simulated = simulated
        self.record_dir = Path(record_dir) if record_dir else Path("gaie-records")
        self._store = None
        self._lock = threading.Lock()
        self.wait_timeout = "5m"
        self.observe_interval = 2.0          # seconds between looks at the cluster while helm waits
        self.upstream_offline = False       # True: versions from the cache and bundled data only
        self.upstream_options: dict = {}     # Http timeouts/retries (tests make them short)

    # charts ---------------------------------------------------------------------------
    def chart(self, ref_text: str | None):
        from ..core.charts.refs import default_ref, parse_ref
        from ..core.charts.store import KnowledgeStore
        with self._lock:
            if self._store is None:
                self._store = KnowledgeStore()
            ref = parse_ref(ref_text) if ref_text else default_ref()
            return self._store.get(ref)

    @staticmethod
    def families() -> dict[str, tuple[str, ...]]:
        from ..core.charts.refs import FAMILIES
        return {name: fam.released for name, fam in FAMILIES.items()}

    @staticmethod
    def providers() -> tuple[str, ...]:
        from ..core.values.providers import PROVIDERS
        return PROVIDERS

    @staticmethod
    def default_image(family: str, version: str) -> str:
        from ..core.charts.images import default_image
        return default_image(family, version)[0].ref

    def versions_report(self, families: list[str] | None = None):
        """Newest EPP release and chart versions with where each answer came from
        (core.upstream: cache → registry tags → GitHub releases → stale cache → bundled data).
        Blocking and network-bound: call it from a worker thread only."""
        from ..core.upstream.session import Upstream
        from ..core.upstream.versions_report import build_report
        with Upstream.from_env(offline=self.upstream_offline, **self.upstream_options) as session:
            return build_report(session, families)

    def generate(self, chart, answers):
        from ..core.values.generate import generate
        return generate(chart, answers)

    @staticmethod
    def chart_from_text(text: str) -> str | None:
        from ..core.values.generate import chart_from_header
        return chart_from_header(text)

    # checking -------------------------------------------------------------------------
    def check(self, text: str, chart) -> list[Diag]:
        from ..core.check.checker import check_text
        return [_to_diag(d, text) for d in check_text(text, chart)]

    def deep_check(self, text: str, chart) -> list[Diag]:
        from ..core.check.checker import deep_check as deep
        out = []
        for d in deep(text, chart):
            diag = _to_diag(d, text)
            diag.deep = True
            out.append(diag)
        return out

    @staticmethod
    def path_at(text: str, line: int, column: int) -> str | None:
        """Dotted key path under a 1-based (line, column)."""
        from ..core.values.source import path_at
        try:
            return path_at(text, line, column)
        except Exception:  # text that does not parse yet (mid-typing): go by indentation
            return _path_by_indentation(text, line)

    @staticmethod
    def key_info(chart, path: str) -> KeyInfo:
        from ..core.charts.docs import key_docs
        from .models import KeyInfo
        generic = re.sub(r"\[\d+\]", "[]", path)
        node = chart.tree.find(generic)
        ours = key_docs(chart.layout.layout)
        our_doc = ours.get(path) or ours.get(generic) or ""
        if node is None:
            keys = _split_path(path)
            found, deepest, _ = chart.tree.resolve(keys)
            if found is not None:
                node = found
        if node is None:
            return KeyInfo(path=path, known=False, our_doc=our_doc)
        return KeyInfo(path=path, known=True, type=node.type, default=node.default, has_default=node.has_default,
                       chart_doc=node.doc or "", our_doc=our_doc, read=node.read)

    # cluster --------------------------------------------------------------------------
    def contexts(self) -> tuple[list[str], str | None]:
        """Context names from the kubeconfig (no network); ([], None) when there is none."""
        import yaml
        paths = [p for p in (self.kubeconfig or str(Path.home() / ".kube" / "config")).split(os.pathsep) if p]
        names: list[str] = []
        current = None
        for p in paths:
            try:
                doc = yaml.safe_load(Path(p).expanduser().read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                continue
            for c in doc.get("contexts") or []:
                if isinstance(c, dict) and c.get("name") and c["name"] not in names:
                    names.append(c["name"])
            current = current or doc.get("current-context")
        return names, current

    def context_namespace(self, context: str | None) -> str | None:
        import yaml
        paths = [p for p in (self.kubeconfig or str(Path.home() / ".kube" / "config")).split(os.pathsep) if p]
        for p in paths:
            try:
                doc = yaml.safe_load(Path(p).expanduser().read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                continue
            for c in doc.get("contexts") or []:
                if isinstance(c, dict) and c.get("name") == context:
                    return (c.get("context") or {}).get("namespace")
        return None

    def cluster(self):
        """core.kube.Cluster for the chosen context (connected once, reused by workers)."""
        from ..core.cluster.kube import Cluster
        with self._lock:
            cur = getattr(self, "_cluster", None)
            if cur is not None and cur.context == self.context:
                return cur
            self._cluster = Cluster.connect(self.kubeconfig, self.context)
            return self._cluster

    def connect(self, context: str | None) -> ClusterView:
        """Reach the cluster (raises a ClusterError with a hint on failure) and list namespaces."""
        from .models import ClusterView
        if self.offline:
            raise ConnectionError("offline mode")
        self.context = context
        c = self.cluster()
        c.ping()
        return ClusterView(context=c.context, server=c.server, namespaces=c.namespaces(),
                           default_namespace=c.namespace)

    def secret_names(self, namespace: str) -> list[str]:
        """HF-token candidates first, then the other secrets; names only (metadata lists)."""
        c = self.cluster()
        cands = [s.name for s in c.hf_token_candidates(namespace)]
        others = sorted(s.name for s in c.secrets(namespace) if s.name not in cands)
        self._hf_candidates = set(cands)
        return cands + others

    def is_hf_candidate(self, name: str) -> bool:
        return name in getattr(self, "_hf_candidates", set()) or "hf" in name.lower()

    def pods(self, namespace: str) -> list[Pod]:
        from urllib.parse import quote

        from .models import Pod
        out = []
        for p in self.cluster().list(f"/api/v1/namespaces/{quote(namespace)}/pods", what="list pods"):
            meta, status = p.get("metadata") or {}, p.get("status") or {}
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
            out.append(Pod(meta.get("name", "?"), dict(meta.get("labels") or {}), ready, status.get("phase", "")))
        return out

    def deployed_values(self, release: str, namespace: str) -> str | None:
        """The values of a deployed release (for the upgrade diff), or None when there is none."""
        if self.offline:
            return None
        r = self._helm(["get", "values", release, "--namespace", namespace, "-o", "yaml"], timeout=20)
        if r.returncode != 0:
            return None
        return r.stdout

    # plan / render / deploy -----------------------------------------------------------
    def plan(self, chart, values_text: str, release: str, namespace: str) -> Plan:
        from .models import Plan
        source = str(chart.archive) if chart.archive else (chart.ref.oci_address or str(chart.ref))
        return Plan(release=release, namespace=namespace, context=None if self.offline else self.context,
                    chart_ref=str(chart.ref), chart_name=chart.name, chart_version=chart.version,
                    chart_source=source, values_text=values_text, kubeconfig=self.kubeconfig,
                    wait_timeout=self.wait_timeout)

    @staticmethod
    def helm_binary() -> str:
        """The same helm the headless commands use (GAIE_TUI_HELM, PATH, the checkout's .tools)."""
        from ..core.cluster.helm import locate_helm
        return locate_helm() or "helm"

    def _helm(self, args: list[str], timeout: float = 60, input_text: str | None = None):
        import subprocess
        env = dict(os.environ)
        if self.kubeconfig:
            env["KUBECONFIG"] = self.kubeconfig
        argv = [self.helm_binary(), *args]
        if self.context and not self.offline:
            argv += ["--kube-context", self.context]
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, input=input_text)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return subprocess.CompletedProcess(argv, 127, "", str(exc))

    def _core_plan(self, plan: Plan):
        from ..core.deploy.engine import make_plan
        return make_plan(self.chart(plan.chart_ref), plan.values_text, release=plan.release,
                         namespace=plan.namespace, kubeconfig=plan.kubeconfig, context=plan.context,
                         create_namespace=plan.create_namespace, wait_timeout=plan.wait_timeout,
                         helm=self.helm_binary())

    def render_objects(self, plan: Plan) -> tuple[list[str], str]:
        """(["Kind/name", …], error) from `helm template` of the exact chart (core.deploy.render)."""
        self._expected = None
        from ..core.deploy.engine import render
        from ..core.errors import UserError
        chart = self.chart(plan.chart_ref)
        if chart.archive is None and self.offline:
            return [], "the chart archive is not on this machine (offline), so the objects cannot be rendered here"
        try:
            exp = render(self._core_plan(plan))
        except UserError as exc:
            return [], f"{exc}"
        self._expected = exp
        return [f"{kind}/{name}" for _, kind, _, name in exp.objects], ""

    def preflight(self, plan: Plan) -> list[CheckRow]:
        """Read-only cluster checks for the rendered release (core.preflight); [] offline."""
        exp = getattr(self, "_expected", None)
        if self.offline or exp is None:
            return []
        from ..core.cluster.preflight import run_preflight
        checks = run_preflight(self.cluster(), exp, create_namespace=plan.create_namespace,
                               match_labels_path=self.chart(plan.chart_ref).layout.layout.match_labels)
        return [_row(c) for c in checks]


    def helm_command(self, plan: Plan, values_file: str = "values.yaml") -> list[str]:
        """The exact `helm upgrade --install` argv (core's builder: explicit --version, rollback on
        failure, the same kubeconfig and context as every other call)."""
        try:
            argv = self._core_plan(plan).helm_argv(values_file)
        except Exception:  # no core engine, or helm missing: our own builder says the same thing
            return plan.helm_argv(self.helm_binary(), values_file)
        return argv

    def deploy(self, plan: Plan, on_line: Callable[[str], None], cancel: threading.Event,
               on_observed: Callable[[list[CheckRow]], None] | None = None) -> DeployResult:
        """helm upgrade --install through core.deploy.helm_observed (the loop `gaie-tui deploy`
        runs too): lines streamed, the cluster watched while helm waits (`on_observed` gets each
        view as dashboard rows), `cancel` stops helm's process group."""
        import tempfile

        from ..core.cluster import helm as helm_mod
        from ..core.deploy import engine as core_deploy
        from .models import DeployResult
        try:
            core_plan = self._core_plan(plan)
        except Exception as exc:  # no helm, bad names: said as the deploy's failure
            return DeployResult(False, explanation=str(exc))
        exp, cluster = getattr(self, "_expected", None), None
        try:
            exp = exp or core_deploy.render(core_plan)
            cluster = self.cluster()
        except Exception:  # noqa: BLE001 - watching is best effort: helm still runs
            exp = None
        env = dict(os.environ)
        if plan.kubeconfig:
            env["KUBECONFIG"] = plan.kubeconfig
        lines: list[str] = []

        def line(ll) -> None:
            lines.append(ll.text)
            on_line(ll.text)

        procs: list = []

        def started(proc) -> bool:
            procs.append(proc)
            return not cancel.is_set()

        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                if cancel.wait(0.2):
                    for proc in procs:
                        proc.cancel()
                    return

        with tempfile.TemporaryDirectory(prefix="gaie-tui-deploy-") as tmp:
            vf = Path(tmp) / "values.yaml"
            vf.write_text(plan.values_text, encoding="utf-8")
            os.chmod(vf, 0o600)
            argv = core_plan.helm_argv(str(vf))
            on_line("$ " + " ".join(helm_mod.redact_argv(core_plan.helm_argv("values.yaml"))))
            threading.Thread(target=watch, daemon=True).start()
            try:
                if exp is not None and cluster is not None:
                    to_rows = (lambda checks: on_observed([_row(c) for c in checks])) if on_observed else None
                    result, _ = core_deploy.helm_observed(
                        argv, exp, cluster, wait_timeout=core_plan.wait_timeout,
                        match_labels_path=core_plan.match_labels_path, on_line=line, on_checks=to_rows,
                        observe_interval=self.observe_interval, started=started, env=env)
                else:
                    proc = helm_mod.HelmProcess(argv, on_line=line, env=env)
                    result = None
                    if started(proc):
                        proc.start()
                        result = proc.wait()
            except Exception as exc:
                return DeployResult(False, explanation=str(exc), lines=lines)
            finally:
                stop.set()
        if result is None:
            return DeployResult(False, cancelled=True, lines=lines, explanation="Cancelled before helm started.")
        ex = helm_mod.explain(result)
        rev = result.revision
        if rev is None:
            for text in lines:
                m = re.search(r"REVISION:\s*(\d+)", text)
                if m:
                    rev = int(m.group(1))
        ok = result.returncode == 0 and not result.cancelled
        why = f"{ex.message}. {ex.hint}" if ex else ""
        return DeployResult(ok, cancelled=result.cancelled, revision=rev, duration=result.duration,
                            explanation=why, lines=lines)


    def _kube_args(self, plan: Plan) -> list[str]:
        return (["--kubeconfig", plan.kubeconfig] if plan.kubeconfig else []) + \
               (["--kube-context", plan.context] if plan.context else [])

    def _helm_action(self, what: str, plan: Plan) -> tuple[bool, str]:
        """core.deploy.rollback / uninstall: the headless commands' argv (helm v3/v4 flags, redacted
        output, the same kubeconfig and context); a refused name or a missing helm is said plainly."""
        from ..core.deploy import engine as core_deploy
        from ..core.errors import UserError
        action = core_deploy.rollback if what == "rollback" else core_deploy.uninstall
        try:
            result = action(self.helm_binary(), plan.release, plan.namespace, self._kube_args(plan))
        except UserError as exc:
            return False, str(exc)
        text = result.output
        if not result.ok and result.explanation is not None:
            text += f"\n{result.explanation.message}. {result.explanation.hint}"
        return result.ok, text.strip()

    def rollback(self, plan: Plan) -> tuple[bool, str]:
        return self._helm_action("rollback", plan)

    def uninstall(self, plan: Plan) -> tuple[bool, str]:
        return self._helm_action("uninstall", plan)

    # verify ---------------------------------------------------------------------------
    def verify(self, plan: Plan, selector: dict[str, str], family_label: str) -> list[CheckRow]:
        """One refresh of core.verify's checks for the release (its own manifest is the expectation)."""
        from ..core.cluster import helm as helm_mod
        from ..core.deploy import engine as core_deploy
        from ..core.errors import UserError
        from ..core.verify import checks as core_verify
        from .models import CheckRow
        helm = self.helm_binary()
        kube_args = (["--kubeconfig", plan.kubeconfig] if plan.kubeconfig else []) + \
                    (["--kube-context", plan.context] if plan.context else [])
        try:
            exp, rel = core_deploy.expected_for_release(helm, plan.release, plan.namespace, kube_args,
                                                        chart_name=plan.chart_name, chart_version=plan.chart_version)
        except UserError as exc:
            return [CheckRow("release", "helm release", "fail", str(exc), [], getattr(exc, "hint", "") or "")]
        try:
            match_path = self.chart(plan.chart_ref).layout.layout.match_labels
        except Exception:
            match_path = "inferencePool.modelServers.matchLabels"
        snap = core_verify.fetch(self.cluster(), exp, release_info=lambda: helm_mod.release_status(
            helm, plan.release, plan.namespace, kube_args))
        checks, pending = core_verify.evaluate(exp, snap, final=False, match_labels_path=match_path)
        return [_row(c) for c in checks]

    # record ---------------------------------------------------------------------------
    def write_record(self, plan: Plan, deploy: DeployResult | None, checks: list[CheckRow],
                     steps: list[tuple[str, str]]) -> Path:
        """The record through core.record (same files and format as `gaie-tui deploy`)."""
        from ..core.deploy.record import Record
        rec = Record(self.record_dir, plan.release)
        try:
            rec.write_values(plan.values_text)
            for line in (deploy.lines if deploy else []):
                rec.log("", "helm", line)
            for stamp, text in steps:
                phase = text.split(":", 1)[0].split(" ", 1)[0] if text else ""
                rec.step(phase, f"{stamp} {text}")
            fails = [c for c in checks if c.status == "fail"]
            if deploy is None:
                status = "in-progress"
            elif deploy.cancelled:
                status = "cancelled"
            elif not deploy.ok:
                status = "deploy-failed"
            else:
                status = "verify-failed" if fails or not checks else "verified"
            data = {
                "release": plan.release, "namespace": plan.namespace, "context": plan.context or "",
                "server": "", "status": status, "revision": deploy.revision if deploy else None,
                "chart": {"name": plan.chart_name, "version": plan.chart_version, "ref": plan.chart_ref,
                          "source": plan.chart_source},
                "helm_command": plan.helm_argv("helm", "values.yaml"),
                "verification": [{"id": c.id, "title": c.title, "status": c.status, "evidence": c.summary,
                                  "remedy": c.remedy, "details": c.evidence} for c in checks],
                "helm": {"returncode": 0 if deploy and deploy.ok else 1, "duration": deploy.duration if deploy else 0,
                         "cancelled": bool(deploy and deploy.cancelled)},
            }
            if deploy is not None and not deploy.ok and deploy.explanation:
                data["explanation"] = {"message": deploy.explanation, "hint": "see helm.log"}
            rec.save(data)
        finally:
            rec.close()
        return rec.path


def _to_diag(d, text: str) -> Diag:
    from .models import Diag, Fix
    fix = getattr(d, "fix", None)
    ui_fix = None
    if fix is not None:
        ui_fix = Fix(str(fix.title), fix.line, fix.column, fix.end_line, fix.end_column, fix.text)
    return Diag(code=str(d.code), severity=str(getattr(d.severity, "value", d.severity)), path=str(d.path or ""),
                line=int(d.line or 1), column=int(d.column or 1), message=str(d.message),
                hint=str(getattr(d, "hint", "") or ""), fix=ui_fix)


def _split_path(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        out.append(int(part[1:-1]) if part.startswith("[") else part)
    return out


def _join_keys(keys: list) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out


_KEY_RE = re.compile(r"^(\s*)(-\s+)?([^\s#:'\"][^:#]*?|\"[^\"]*\"|'[^']*')\s*:(\s|$)")


def _path_by_indentation(text: str, line: int) -> str | None:
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
        while stack and stack[-1][0] >= indent + (0 if not dash else 0):
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
            # a new key resets list counters below it
            for k in [k for k in counters if k[0] > indent]:
                counters.pop(k)
    path = ""
    for _, s in stack:
        path += s if s.startswith("[") else (f".{s}" if path else s)
    return path or None


def _row(c) -> CheckRow:
    """core.checks.Check → the dashboard's row (a settling check shows as `wait`)."""
    from .models import CheckRow
    status = "wait" if (c.status == "warn" and str(c.evidence).startswith("waiting:")) else c.status
    evidence = [c.evidence] if c.evidence else []
    if c.looked_at:
        evidence.append(f"looked at: {c.looked_at}")
    evidence += list(c.details)
    summary = c.evidence.splitlines()[0][:200] if c.evidence else ""
    return CheckRow(c.id, c.title, status, summary, evidence, c.remedy)


def versions_line(report, family: str, now: datetime | None = None) -> str:
    """One line for people: the newest chart version and EPP release, where from and how old."""
    chart = report.charts.get(family)
    epp = report.endpoint_picker
    parts = []
    if chart is not None and chart.newest:
        parts.append(f"newest {chart.newest}")
    if epp.newest:
        parts.append(f"EPP {epp.newest}")
    answer = chart if chart is not None else epp
    parts.append(answer_source(answer, report.offline, now))
    return " · ".join(parts)


def answer_source(answer, offline: bool, now: datetime | None = None) -> str:
    """"from ghcr.io tags, 2 h ago", "cache of 3 h ago", "bundled data of 2026-08-17 (offline)"."""
    from urllib.parse import urlsplit
    if answer.source == "bundled":
        text = f"bundled data of {answer.fetched_at:%Y-%m-%d}"
    else:
        age = _age((now or datetime.now(UTC)) - answer.fetched_at)
        if answer.source == "cache":
            text = f"cached answer of {age}"
        else:
            url = urlsplit(answer.source)
            what = "GitHub releases" if "/releases" in url.path else "tags"
            text = f"from {url.netloc} {what}, {age}"
    return text + (" (offline)" if offline else "")


def _age(delta) -> str:
    secs = max(0, int(delta.total_seconds()))
    if secs < 90:
        return "just now"
    if secs < 90 * 60:
        return f"{round(secs / 60)} min ago"
    if secs < 36 * 3600:
        return f"{round(secs / 3600)} h ago"
    return f"{round(secs / 86400)} d ago"


def nearby_label_sets(pods: Iterable[Pod], selector: dict[str, str]) -> list[dict[str, str]]:
    """Distinct label sets of pods that do not match, closest first (shared keys/values)."""
    import difflib
    seen, out = set(), []
    for p in pods:
        if all(p.labels.get(k) == v for k, v in selector.items()):
            continue
        key = tuple(sorted(p.labels.items()))
        if key in seen:
            continue
        seen.add(key)
        out.append(p.labels)

    def score(labels):
        s = 0
        for k, v in selector.items():
            for lk, lv in labels.items():
                s += difflib.SequenceMatcher(None, k.lower(), lk.lower()).ratio() * (1 + (lv == v))
        return -s
    return sorted(out, key=score)[:3]


