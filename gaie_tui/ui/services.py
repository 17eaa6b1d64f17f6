"""The one seam between the screens and gaie_tui/core.

Screens never import core modules directly: they call a `Services` object. Where a core part
is still missing (the checker, the deploy/verify/record engine) this module carries a small
stand-in so the wizard runs end to end; each stand-in is marked `# stand-in` and is used only
when `import` of the real module fails. No Textual import here: this is plain Python, callable
from worker threads.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

SEVERITIES = ("error", "warning", "info")
PROD_WORDS = re.compile(r"(^|[-_.])(prod|production|prd|live)([-_.]|$)")


# ---- plain data the screens render ------------------------------------------------------------
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


def looks_like_production(*names: str | None) -> bool:
    return any(n and PROD_WORDS.search(n.lower()) for n in names)


def config_path() -> Path:
    from ..core.paths import config_dir
    return config_dir() / "config.toml"


def load_production_contexts(path: Path | None = None) -> tuple[list[str], str | None]:
    """(glob patterns, problem) from `production_contexts = ["prod-east", "*-prd"]` in config.toml.

    A broken file gives ([], why) so the wizard starts anyway and says so once."""
    import tomllib
    path = path or config_path()
    if not path.is_file():
        return [], None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [], f"{path}: {exc}"
    value = data.get("production_contexts", [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [], f"{path}: production_contexts must be a list of context names or glob patterns"
    return [v.strip() for v in value if v.strip()], None


def production_reason(context: str | None, namespace: str | None, patterns: Iterable[str] = ()) -> str | None:
    """Why (context, namespace) counts as production, or None: a context marked in config.toml
    (exact name or glob, case-sensitive as kubeconfig names are), else a production-looking name."""
    from fnmatch import fnmatchcase
    if context:
        for pat in patterns:
            if fnmatchcase(context, pat):
                return f"context {context} is marked as production in config.toml ({pat})"
    if context and looks_like_production(context):
        return f"the context name {context} looks like production"
    if namespace and looks_like_production(namespace):
        return f"the namespace name {namespace} looks like production"
    return None


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
        self._api = None
        self.wait_timeout = "5m"
        self.observe_interval = 2.0          # seconds between looks at the cluster while helm waits
        self.upstream_offline = False       # True: versions from the cache and bundled data only
        self.upstream_options: dict = {}     # Http timeouts/retries (tests make them short)

    # charts ---------------------------------------------------------------------------
    def chart(self, ref_text: str | None):
        from ..core.chartref import default_ref, parse_ref
        from ..core.knowledge import KnowledgeStore
        with self._lock:
            if self._store is None:
                self._store = KnowledgeStore()
            ref = parse_ref(ref_text) if ref_text else default_ref()
            return self._store.get(ref)

    @staticmethod
    def families() -> dict[str, tuple[str, ...]]:
        from ..core.chartref import FAMILIES
        return {name: fam.released for name, fam in FAMILIES.items()}

    @staticmethod
    def providers() -> tuple[str, ...]:
        from ..core.providers import PROVIDERS
        return PROVIDERS

    @staticmethod
    def default_image(family: str, version: str) -> str:
        from ..core.images import default_image
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
        from ..core.generate import generate
        return generate(chart, answers)

    @staticmethod
    def chart_from_text(text: str) -> str | None:
        from ..core.generate import chart_from_header
        return chart_from_header(text)

    # checking -------------------------------------------------------------------------
    def check(self, text: str, chart) -> list[Diag]:
        try:
            from ..core.checker import check_text
        except ImportError:
            return _standin_check(text, chart)  # stand-in
        return [_to_diag(d, text) for d in check_text(text, chart)]

    def deep_check(self, text: str, chart) -> list[Diag]:
        try:
            from ..core.checker import deep_check as deep
        except ImportError:
            return []  # stand-in: no render-based check until the checker lands
        out = []
        for d in deep(text, chart):
            diag = _to_diag(d, text)
            diag.deep = True
            out.append(diag)
        return out

    @staticmethod
    def path_at(text: str, line: int, column: int) -> str | None:
        """Dotted key path under a 1-based (line, column)."""
        try:
            from ..core.yamlsource import path_at
        except ImportError:
            return _standin_path_at(text, line)  # stand-in
        try:
            return path_at(text, line, column)
        except Exception:
            return _standin_path_at(text, line)

    @staticmethod
    def key_info(chart, path: str) -> KeyInfo:
        from ..core.docs import key_docs
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

    def _core_api(self, context: str | None):
        """The kubernetes client's CoreV1Api (the verify stand-in uses it)."""
        from kubernetes import client, config  # heavy: only ever called from a worker
        key = (self.kubeconfig, context)
        if self._api is not None and self._api[0] == key:
            return self._api[1]
        files = (self.kubeconfig or str(Path.home() / ".kube" / "config")).split(os.pathsep)
        api_client = config.new_client_from_config(config_file=files[0], context=context)
        api = client.CoreV1Api(api_client)
        self._api = (key, api)
        return api

    def cluster(self):
        """core.kube.Cluster for the chosen context (connected once, reused by workers)."""
        from ..core.kube import Cluster
        with self._lock:
            cur = getattr(self, "_cluster", None)
            if cur is not None and cur.context == self.context:
                return cur
            self._cluster = Cluster.connect(self.kubeconfig, self.context)
            return self._cluster

    def connect(self, context: str | None) -> ClusterView:
        """Reach the cluster (raises a ClusterError with a hint on failure) and list namespaces."""
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
        source = str(chart.archive) if chart.archive else (chart.ref.oci_address or str(chart.ref))
        return Plan(release=release, namespace=namespace, context=None if self.offline else self.context,
                    chart_ref=str(chart.ref), chart_name=chart.name, chart_version=chart.version,
                    chart_source=source, values_text=values_text, kubeconfig=self.kubeconfig,
                    wait_timeout=self.wait_timeout)

    def helm_binary(self) -> str:
        import shutil
        local = Path(__file__).resolve().parents[2] / ".tools" / "bin" / "helm"
        return str(local) if local.exists() else (shutil.which("helm") or "helm")

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
        from ..core.deploy import make_plan
        return make_plan(self.chart(plan.chart_ref), plan.values_text, release=plan.release,
                         namespace=plan.namespace, kubeconfig=plan.kubeconfig, context=plan.context,
                         create_namespace=plan.create_namespace, wait_timeout=plan.wait_timeout,
                         helm=self.helm_binary())

    def render_objects(self, plan: Plan) -> tuple[list[str], str]:
        """(["Kind/name", …], error) from `helm template` of the exact chart (core.deploy.render)."""
        self._expected = None
        try:
            from ..core.deploy import render
            from ..core.errors import UserError
        except ImportError:
            return self._standin_render(plan)  # stand-in
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
        try:
            from ..core.preflight import run_preflight
        except ImportError:
            return []
        checks = run_preflight(self.cluster(), exp, create_namespace=plan.create_namespace,
                               match_labels_path=self.chart(plan.chart_ref).layout.layout.match_labels)
        return [_row(c) for c in checks]

    def _standin_render(self, plan: Plan) -> tuple[list[str], str]:
        import subprocess

        import yaml
        if not Path(plan.chart_source).exists():
            return [], "the chart archive is not on this machine, so the objects cannot be rendered here"
        import tempfile
        with tempfile.TemporaryDirectory(prefix="gaie-tui-render-") as tmp:
            vf = Path(tmp) / "values.yaml"
            vf.write_text(plan.values_text, encoding="utf-8")
            argv = [self.helm_binary(), "template", plan.release, plan.chart_source, "--namespace", plan.namespace,
                    "-f", str(vf)]
            try:
                r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return [], str(exc)
        if r.returncode != 0:
            return [], (r.stderr or r.stdout).strip()
        objs = []
        for doc in yaml.safe_load_all(r.stdout):
            if isinstance(doc, dict) and doc.get("kind"):
                objs.append(f"{doc['kind']}/{(doc.get('metadata') or {}).get('name', '?')}")
        return objs, ""

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
        try:
            from ..core import deploy as core_deploy
            from ..core import helm as helm_mod
        except ImportError:
            return self._standin_deploy(plan, on_line, cancel)  # stand-in
        import tempfile
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

    def _standin_deploy(self, plan: Plan, on_line: Callable[[str], None], cancel: threading.Event) -> DeployResult:
        """Run helm upgrade --install, streaming its lines; cancel stops helm's process group."""
        import subprocess
        import tempfile
        start = time.monotonic()
        lines: list[str] = []
        with tempfile.TemporaryDirectory(prefix="gaie-tui-deploy-") as tmp:
            vf = Path(tmp) / "values.yaml"
            vf.write_text(plan.values_text, encoding="utf-8")
            argv = plan.helm_argv(self.helm_binary(), str(vf))
            env = dict(os.environ)
            if plan.kubeconfig:
                env["KUBECONFIG"] = plan.kubeconfig
            on_line("$ " + " ".join(plan.helm_argv("helm", "values.yaml")))
            try:
                proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                        start_new_session=True, bufsize=1)
            except OSError as exc:
                return DeployResult(False, explanation=f"helm could not start: {exc}", lines=lines)
            watcher = threading.Thread(target=_stop_on_cancel, args=(proc, cancel), daemon=True)
            watcher.start()
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = _redact(raw.rstrip("\n"))
                lines.append(line)
                on_line(line)
            rc = proc.wait()
        duration = time.monotonic() - start
        if cancel.is_set():
            return DeployResult(False, cancelled=True, duration=duration, lines=lines,
                                explanation="Cancelled: helm was stopped. The release may be pending; "
                                            "roll back or uninstall it before trying again.")
        if rc != 0:
            return DeployResult(False, duration=duration, lines=lines, explanation=explain_helm_failure(lines))
        rev = None
        for line in lines:
            m = re.search(r"REVISION:\s*(\d+)", line)
            if m:
                rev = int(m.group(1))
        return DeployResult(True, revision=rev, duration=duration, lines=lines)

    def _kube_args(self, plan: Plan) -> list[str]:
        return (["--kubeconfig", plan.kubeconfig] if plan.kubeconfig else []) + \
               (["--kube-context", plan.context] if plan.context else [])

    def _helm_action(self, what: str, plan: Plan) -> tuple[bool, str]:
        """core.deploy.rollback / uninstall: the headless commands' argv (helm v3/v4 flags, redacted
        output, the same kubeconfig and context); a refused name or a missing helm is said plainly."""
        from ..core import deploy as core_deploy
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
        try:
            from ..core import deploy as core_deploy
            from ..core import helm as helm_mod
            from ..core import verify as core_verify
        except ImportError:
            return _standin_verify(self, plan, selector, family_label)  # stand-in
        from ..core.errors import UserError
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
        try:
            from ..core.record import Record
        except ImportError:
            return _standin_record(self, plan, deploy, checks, steps)  # stand-in
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


# ---- stand-ins (used only while the real core modules are missing) --------------------------
def _to_diag(d, text: str) -> Diag:
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


def _standin_check(text: str, chart) -> list[Diag]:
    """stand-in: YAML syntax, tabs, duplicate keys, unknown keys with a suggestion, scalar types."""
    import difflib

    import yaml
    diags: list[Diag] = []
    for i, line in enumerate(text.splitlines(), 1):
        if "\t" in line[: len(line) - len(line.lstrip())]:
            diags.append(Diag("yaml-tab", "error", "", i, 1, "tab used for indentation", "indent with spaces"))
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark else 1
        col = (mark.column + 1) if mark else 1
        diags.append(Diag("yaml-syntax", "error", "", line, col, f"YAML: {exc.problem or exc}", "fix the syntax"))
        return diags
    if root is None:
        return diags
    if not isinstance(root, yaml.MappingNode):
        return diags + [Diag("yaml-not-mapping", "error", "", root.start_mark.line + 1, 1,
                             "the values file must be a mapping of keys", "")]
    lines = text.splitlines()

    def walk(node, keys: list):
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for knode, vnode in node.value:
                key = str(knode.value)
                kp = keys + [key]
                path = _join_keys(kp)
                line, col = knode.start_mark.line + 1, knode.start_mark.column + 1
                if key in seen:
                    diags.append(Diag("duplicate-key", "error", path, line, col,
                                      f"duplicate key {key!r} (first on line {seen[key]}); helm keeps only the last",
                                      "remove one of them", Fix(f"delete line {line}", line, 1, line + 1, 1, "")))
                seen[key] = line
                found, deepest, depth = chart.tree.resolve(kp)
                if found is None:
                    sibs = list(deepest.children) if deepest is not None else []
                    close = difflib.get_close_matches(key, sibs, n=1, cutoff=0.7)
                    hint = f"did you mean {close[0]!r}?" if close else "helm silently ignores keys the chart does not read"
                    fix = None
                    if close and 0 < line <= len(lines):
                        old = lines[line - 1]
                        fix = Fix(f"rename to {close[0]}", line, col, line, col + len(key), close[0])
                    diags.append(Diag("unknown-key", "error", path, line, col,
                                      f"{path} is not a key of {chart.name} {chart.version}: helm would ignore it",
                                      hint, fix))
                    continue
                if isinstance(vnode, yaml.ScalarNode) and found.type in ("integer", "boolean") and not found.open:
                    want = found.type
                    ok = (vnode.tag.endswith(":int") if want == "integer" else vnode.tag.endswith(":bool"))
                    if not ok and not vnode.tag.endswith(":null"):
                        diags.append(Diag("wrong-type", "warning", path, vnode.start_mark.line + 1,
                                          vnode.start_mark.column + 1,
                                          f"{path} should be {want}, not {vnode.value!r}", f"write a {want}"))
                walk(vnode, kp)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, keys + [i])

    walk(root, [])
    diags.sort(key=lambda d: (d.line, d.column))
    return diags


def _join_keys(keys: list) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out


_KEY_RE = re.compile(r"^(\s*)(-\s+)?([^\s#:'\"][^:#]*?|\"[^\"]*\"|'[^']*')\s*:(\s|$)")


def _standin_path_at(text: str, line: int) -> str | None:
    """stand-in: the key path for a line, from indentation (works on broken YAML too)."""
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


def _stop_on_cancel(proc, cancel: threading.Event) -> None:
    import signal
    while proc.poll() is None:
        if cancel.wait(0.2):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                for _ in range(25):
                    if proc.poll() is not None:
                        return
                    time.sleep(0.2)
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            return


_SECRET_RE = re.compile(r"(?i)(authorization:\s*bearer\s+|token[\"']?\s*[:=]\s*[\"']?)([A-Za-z0-9._\-]{8,})")


def _redact(line: str) -> str:
    return _SECRET_RE.sub(lambda m: m.group(1) + "***", line)


def explain_helm_failure(lines: list[str]) -> str:
    text = "\n".join(lines)
    rules = [
        ("ensure CRDs are installed first", "The cluster lacks a CRD the chart renders (InferencePool, or "
         "DestinationRule for istio). Install the CRDs, or pick a provider that needs none."),
        ("another operation", "Another helm operation on this release is in progress or stuck (pending-*). "
         "Roll back to the last good revision, then deploy again."),
        ("context deadline exceeded", "helm waited and the objects did not become ready in time. Check the "
         "EPP pods (image pull, crash loop) on the Verify screen."),
        ("timed out waiting", "helm waited and the objects did not become ready in time. Check the EPP pods."),
        ("forbidden", "Your credentials may not create some of the chart's objects (RBAC). Ask for the "
         "permission named above, or deploy with an account that has it."),
        ("connection refused", "The cluster did not answer. Check the context and that the API server is up."),
        ("execution error", "The chart refused the values (a template check failed). Fix the values: the "
         "message above names the key."),
    ]
    for needle, why in rules:
        if needle.lower() in text.lower():
            return why
    last = next((l for l in reversed(lines) if l.strip()), "helm failed")
    return f"helm failed: {last}"


def _standin_verify(svc: Services, plan: Plan, selector: dict[str, str], family_label: str) -> list[CheckRow]:
    """stand-in: release status, EPP deployment/pods/restarts, InferencePool, selector matches."""
    from kubernetes import client
    rows: list[CheckRow] = []
    api = svc._core_api(plan.context)
    apps = client.AppsV1Api(api.api_client)
    custom = client.CustomObjectsApi(api.api_client)
    ns, rel = plan.namespace, plan.release
    epp = rel.lower().strip()[:40] + "-epp"
    r = svc._helm(["get", "metadata", rel, "--namespace", ns, "-o", "json"], timeout=20)
    found = []
    if r.returncode == 0:
        try:
            meta = json.loads(r.stdout or "{}")
            found = [{"status": meta.get("status", "?"), "revision": meta.get("revision"),
                      "chart": f"{meta.get('chart', '?')}-{meta.get('version', '?')}"}]
        except ValueError:
            found = []
    if found:
        st = found[0]
        status = st.get("status", "?")
        chart_text = str(st.get("chart", "?"))
        version = chart_text.rsplit("-", 1)[-1] if "-" in chart_text else chart_text
        ok = status == "deployed" and version == plan.chart_version
        rows.append(CheckRow("release", "helm release", "pass" if ok else "fail",
                             f"{status}, chart {version}, revision {st.get('revision')}",
                             [f"helm list: {rel} {status} {chart_text} revision {st.get('revision')}",
                              f"asked for {plan.chart_name} {plan.chart_version}"],
                             "" if ok else ("roll back the pending operation" if status.startswith("pending")
                                            else "redeploy the asked chart version")))
    else:
        rows.append(CheckRow("release", "helm release", "fail", "not found",
                             [(r.stderr or "helm list found no release").strip()[:300]], "deploy the release"))
    try:
        d = apps.read_namespaced_deployment(epp, ns, _request_timeout=5)
        ready = d.status.ready_replicas or 0
        rows.append(CheckRow("epp-deployment", "EPP Deployment", "pass" if ready >= 1 else "fail",
                             f"{ready}/{d.spec.replicas} ready", [f"deployment {epp}: readyReplicas={ready}"],
                             "" if ready else "look at the EPP pods below"))
        image = d.spec.template.spec.containers[0].image
        rows.append(CheckRow("epp-image", "EPP image", "pass", image, [f"container image {image}"]))
    except Exception as exc:
        rows.append(CheckRow("epp-deployment", "EPP Deployment", "fail", "missing", [_api_reason(exc)],
                             "the release did not create the EPP Deployment"))
    pods = api.list_namespaced_pod(ns, label_selector=f"{family_label}={epp}", _request_timeout=5).items
    ev, worst, restarts = [], "pass", 0
    for p in pods:
        for cs in p.status.container_statuses or []:
            restarts += cs.restart_count or 0
            waiting = cs.state.waiting.reason if cs.state and cs.state.waiting else ""
            ev.append(f"{p.metadata.name}: ready={cs.ready} restarts={cs.restart_count} {waiting}".rstrip())
            if waiting in ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"):
                worst = "fail"
                try:
                    log = api.read_namespaced_pod_log(p.metadata.name, ns, tail_lines=5, _request_timeout=5)
                    ev += ["  " + ln for ln in log.splitlines()[-5:]]
                except Exception:
                    pass
            elif not cs.ready and worst == "pass":
                worst = "wait"
    if not pods:
        worst = "fail"
        ev.append(f"no pods with {family_label}={epp}")
    rows.append(CheckRow("epp-pods", "EPP pods", worst, f"{len(pods)} pod(s), {restarts} restart(s)", ev,
                         "" if worst == "pass" else "see the pod state and log lines above"))
    try:
        pool = custom.get_namespaced_custom_object("inference.networking.k8s.io", "v1", ns, "inferencepools", rel,
                                                   _request_timeout=5)
        sel = ((pool.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        rows.append(CheckRow("pool", "InferencePool", "pass", f"selector {_fmt_labels(sel)}",
                             [f"inferencepool {rel}: selector {_fmt_labels(sel)}"]))
        selector = sel or selector
    except Exception as exc:
        rows.append(CheckRow("pool", "InferencePool", "fail", "missing", [_api_reason(exc)], "check the release"))
    lsel = ",".join(f"{k}={v}" for k, v in selector.items())
    ms = api.list_namespaced_pod(ns, label_selector=lsel, _request_timeout=5).items if lsel else []
    ready = [p.metadata.name for p in ms if any(c.type == "Ready" and c.status == "True"
                                                   for c in (p.status.conditions or []))]
    rows.append(CheckRow("model-servers", "pool selector matches", "pass" if ready else "fail",
                         f"{len(ready)} Ready model-server pod(s)", [f"selector {lsel}"] + ready,
                         "" if ready else "no Ready pod carries these labels: fix matchLabels"))
    return rows


def _row(c) -> CheckRow:
    """core.checks.Check → the dashboard's row (a settling check shows as `wait`)."""
    status = "wait" if (c.status == "warn" and str(c.evidence).startswith("waiting:")) else c.status
    evidence = [c.evidence] if c.evidence else []
    if c.looked_at:
        evidence.append(f"looked at: {c.looked_at}")
    evidence += list(c.details)
    summary = c.evidence.splitlines()[0][:200] if c.evidence else ""
    return CheckRow(c.id, c.title, status, summary, evidence, c.remedy)


def _api_reason(exc: Exception) -> str:
    return str(getattr(exc, "reason", None) or exc)[:300]


def _fmt_labels(labels: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "(none)"


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
        age = _age((now or datetime.now(timezone.utc)) - answer.fetched_at)
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


def _standin_record(svc: Services, plan: Plan, deploy: DeployResult | None, checks: list[CheckRow],
                    steps: list[tuple[str, str]]) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = svc.record_dir / f"{plan.release}-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "values.yaml").write_text(plan.values_text, encoding="utf-8")
    (folder / "helm.log").write_text("\n".join(deploy.lines if deploy else []) + "\n", encoding="utf-8")
    data = {"release": plan.release, "namespace": plan.namespace, "context": plan.context,
            "chart": {"ref": plan.chart_ref, "name": plan.chart_name, "version": plan.chart_version},
            "helm_command": plan.helm_argv("helm", "values.yaml"), "revision": deploy.revision if deploy else None,
            "deployed": bool(deploy and deploy.ok), "steps": [{"time": t, "step": s} for t, s in steps],
            "verification": [asdict(c) for c in checks]}
    (folder / "record.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md = [f"# Deployment record: {plan.release} in {plan.namespace}", "",
          f"- chart: {plan.chart_name} {plan.chart_version} ({plan.chart_ref})",
          f"- context: {plan.context or '(offline)'}", f"- revision: {data['revision']}", "",
          "## Command", "", "```", " ".join(data["helm_command"]), "```", "", "## Steps", ""]
    md += [f"- {t} {s}" for t, s in steps]
    md += ["", "## Verification", "", "| check | status | summary |", "|---|---|---|"]
    md += [f"| {c.title} | {c.status} | {c.summary} |" for c in checks]
    (folder / "record.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return folder
