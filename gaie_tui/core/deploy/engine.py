"""Deploy orchestration: Plan (everything the user approved) → render → preflight → helm → verify
→ record, emitting `Event`s a UI subscribes to. No Textual here; the CLI and the wizard both drive
`DeployEngine.run()` (blocking; the UI runs it in a worker thread and calls `cancel()` from its own).

While helm waits for readiness, the verifier watches the cluster: when helm gives up and rolls the
release back, the record still shows why the pods never became Ready (image pull, crash loop logs).
"""
from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..cluster import helm as helm_mod
from ..cluster.checks import FAIL, PASS, Check, failed, worst
from ..errors import UserError
from ..names import check_namespace, check_release
from ..redact import redact
from ..verify.checks import Expected, evaluate, expected_from_objects, fetch, parse_manifest, verify
from .record import DEFAULT_PARENT, Record, iso

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_RUN, EXIT_CANCELLED = 0, 1, 2, 130


# ---- the plan --------------------------------------------------------------------------------
@dataclass
class Plan:
    """Everything approved for one deploy. `helm_argv()` is the exact command (values path filled in)."""
    chart_ref: str
    chart_name: str
    chart_version: str
    chart_source: str
    archive: str | None          # local archive passed to helm, when there is one
    helm_chart: str              # what helm gets: the archive path, or the oci:// address (+ --version)
    values_text: str
    release: str
    namespace: str
    kubeconfig: str | None = None
    context: str | None = None
    create_namespace: bool = False
    wait_timeout: str = helm_mod.DEFAULT_WAIT
    helm: str = "helm"
    helm_major: int = 4
    epp_label: str = "inferencepool"
    match_labels_path: str = "inferencePool.modelServers.matchLabels"

    def kube_args(self) -> list[str]:
        args: list[str] = []
        if self.kubeconfig:
            args += ["--kubeconfig", self.kubeconfig]
        if self.context:
            args += ["--kube-context", self.context]
        return args

    def helm_argv(self, values_file: str = "values.yaml") -> list[str]:
        return helm_mod.upgrade_install_argv(
            self.helm, self.helm_major, release=self.release, chart=self.helm_chart,
            version=None if self.archive else self.chart_version, namespace=self.namespace,
            values_file=values_file, wait_timeout=self.wait_timeout, create_namespace=self.create_namespace,
            kube_args=self.kube_args())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["values_text"] = redact(self.values_text)
        d["helm_command"] = helm_mod.redact_argv(self.helm_argv())
        return d


def make_plan(chart, values_text: str, *, release: str, namespace: str, kubeconfig: str | None = None,
              context: str | None = None, create_namespace: bool = False,
              wait_timeout: str = helm_mod.DEFAULT_WAIT, helm: str | None = None) -> Plan:
    """A Plan for a `knowledge.Chart`; validates names and finds helm (and its major version)."""
    from ..charts.refs import FAMILIES
    check_release(release)
    check_namespace(namespace)
    binary, version = helm_mod.check_helm(helm)
    archive = str(chart.archive) if chart.archive else None
    address = chart.ref.oci_address or (FAMILIES[chart.name].oci if chart.name in FAMILIES else None)
    if not archive and not address:
        raise UserError(f"no chart archive and no registry address for {chart.ref}",
                        "give the chart archive with --chart PATH.tgz")
    layout = chart.layout.layout
    fam = FAMILIES.get(chart.name)
    return Plan(chart_ref=str(chart.ref), chart_name=chart.name, chart_version=chart.version,
                chart_source=chart.source, archive=archive, helm_chart=archive or address, values_text=values_text,
                release=release, namespace=namespace, kubeconfig=kubeconfig, context=context,
                create_namespace=create_namespace, wait_timeout=wait_timeout, helm=binary, helm_major=version[0],
                epp_label=fam.epp_pod_label if fam else "inferencepool", match_labels_path=layout.match_labels)


class RenderFailed(UserError):
    def __init__(self, message: str, hint: str, output: str) -> None:
        super().__init__(message, hint)
        self.output = output


def _values_file(text: str) -> str:
    fd, path = tempfile.mkstemp(prefix="gaie-values-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:  # mkstemp: mode 0600, may hold a token
        fh.write(text)
    return path


def render(plan: Plan) -> Expected:
    """`helm template` of the exact chart and values → what the cluster should end up with."""
    path = _values_file(plan.values_text)
    try:
        argv = helm_mod.template_argv(plan.helm, release=plan.release, chart=plan.helm_chart,
                                      version=None if plan.archive else plan.chart_version,
                                      namespace=plan.namespace, values_file=path)
        rc, out, err = helm_mod.run_capture(argv, timeout=120)
    finally:
        os.unlink(path)
    if rc != 0:
        res = helm_mod.HelmResult(argv=argv, returncode=rc, duration=0.0,
                                  lines=[helm_mod.LogLine(time.time(), "stderr", ln) for ln in err.splitlines()])
        ex = helm_mod.explain(res) or helm_mod.Explanation("render", "the chart could not be rendered", "")
        if ex.kind == "failed":
            ex = helm_mod.Explanation("render", "the chart could not be rendered with these values",
                                      "fix the values (gaie-tui validate -f VALUES); helm's message names the key")
        lines = [ln for ln in err.splitlines() if ln.strip()]
        last = next((ln for ln in lines if ln.startswith("Error:")), lines[-1] if lines else "")
        raise RenderFailed(f"{ex.message}: {last[:400]}", ex.hint, err)
    objects = parse_manifest(out, plan.namespace)
    return expected_from_objects(objects, release=plan.release, namespace=plan.namespace,
                                 chart_name=plan.chart_name, chart_version=plan.chart_version,
                                 epp_label=plan.epp_label)


def summary(plan: Plan, exp: Expected) -> list[str]:
    """The configuration in plain words (for the review screen and the record)."""
    out = [f"Chart {plan.chart_name} {plan.chart_version} ({plan.chart_source}) as release {plan.release} in "
           f"namespace {plan.namespace}" + (" (created if missing)" if plan.create_namespace else "") + ".",
           f"Endpoint picker {exp.epp}: image {exp.epp_image or 'unknown'}, {exp.epp_replicas} replica(s)"
           + (" with leader election (only the leader is Ready)" if exp.epp_replicas > 1 else "") + ".",
           f"InferencePool {exp.pool} selects model-server pods labelled "
           f"{exp.pool_label_selector or '(nothing)'} on port(s) {', '.join(map(str, exp.target_ports))}; "
           f"the gateway calls the EPP on port {exp.ext_proc_port}."]
    if exp.destination_rule is not None:
        spec = exp.destination_rule.get("spec") or {}
        pool = (spec.get("trafficPolicy") or {}).get("connectionPool")
        out.append(f"Istio DestinationRule for host {spec.get('host')} (TLS SIMPLE)"
                   + (", with the connection-pool limits" if pool else ", without connection-pool limits") + ".")
    else:
        out.append("No Istio DestinationRule.")
    if "ServiceMonitor" in exp.extra_kinds:
        out.append("Prometheus monitoring: a ServiceMonitor scrapes the EPP's metrics.")
    if "HTTPRoute" in exp.extra_kinds:
        out.append("An HTTPRoute is rendered.")
    if exp.secret_refs:
        out.append("The EPP reads secret(s): " + ", ".join(f"{n} (key {k})" for n, k in exp.secret_refs) + ".")
    out.append(f"helm waits up to {plan.wait_timeout} for readiness and rolls back on failure.")
    return out


# ---- events ----------------------------------------------------------------------------------
PHASES = ("plan", "render", "preflight", "deploy", "verify", "record")


@dataclass
class Event:
    """What the UI subscribes to. kind:
    - "phase":  a phase starts (status "") or ends (status pass/warn/fail/cancelled)
    - "step":   a timestamped step of the record (message)
    - "check":  one preflight check is known (check)
    - "checks": the verification dashboard refreshed (checks; final=True for the last one)
    - "line":   one line of helm output (line)
    - "done":   the run ended (outcome)
    """
    kind: str
    phase: str
    ts: float = field(default_factory=time.time)
    message: str = ""
    status: str = ""
    check: Check | None = None
    checks: list[Check] | None = None
    final: bool = False
    line: helm_mod.LogLine | None = None
    outcome: Outcome | None = None


@dataclass
class Outcome:
    status: str                    # verified, preflight-failed, deploy-failed, verify-failed, cancelled,
                                   # interrupted, error
    plan: Plan
    preflight: list[Check] = field(default_factory=list)
    verification: list[Check] = field(default_factory=list)
    observed: list[Check] = field(default_factory=list)   # seen while helm waited
    helm: helm_mod.HelmResult | None = None
    explanation: helm_mod.Explanation | None = None
    revision: int | None = None
    record_dir: Path | None = None
    summary: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.status == "verified":
            return EXIT_OK
        if self.status in ("cancelled", "interrupted"):
            return EXIT_CANCELLED
        if self.status == "error" or any(c.id in ("cluster", "cluster-access") and c.status == FAIL
                                         for c in self.preflight):
            return EXIT_CANNOT_RUN
        return EXIT_FAILED

    def to_dict(self) -> dict:
        return {
            "status": self.status, "exit_code": self.exit_code, "release": self.plan.release,
            "namespace": self.plan.namespace, "revision": self.revision,
            "chart": {"ref": self.plan.chart_ref, "name": self.plan.chart_name, "version": self.plan.chart_version,
                      "source": self.plan.chart_source},
            "explanation": asdict(self.explanation) if self.explanation else None,
            "preflight": [c.to_dict() for c in self.preflight],
            "observed_during_wait": [c.to_dict() for c in self.observed],
            "verification": [c.to_dict() for c in self.verification],
            "record_dir": str(self.record_dir) if self.record_dir else None,
            "summary": self.summary,
        }


# ---- the engine ------------------------------------------------------------------------------
class DeployEngine:
    """Runs one Plan. `run()` blocks; `cancel()` may be called from any thread (or a signal handler)."""

    def __init__(self, plan: Plan, *, chart=None, record_parent: str | Path = DEFAULT_PARENT,
                 verify_wait: float = 120.0, on_event: Callable[[Event], None] | None = None,
                 cluster=None, observe_interval: float = 1.0, check_values: bool = True) -> None:
        self.plan = plan
        self.chart = chart
        self.record_parent = Path(record_parent)
        self.verify_wait = verify_wait
        self.on_event = on_event
        self.cluster = cluster
        self.observe_interval = observe_interval
        self.check_values = check_values
        self._cancel = threading.Event()
        self._cancel_reason = "cancelled"
        self._helm: helm_mod.HelmProcess | None = None
        self.record: Record | None = None
        self._started = time.time()
        self._outcome = Outcome("in-progress", plan)
        self._helm_cmd: list[str] = plan.to_dict()["helm_command"]
        self._context = plan.context or ""
        self._server = ""

    # -- control
    def cancel(self, reason: str = "cancelled") -> None:
        """Stop as soon as possible: kills helm (and its children) if it runs."""
        self._cancel_reason = reason if reason in ("cancelled", "interrupted") else "cancelled"
        self._cancel.set()
        proc = self._helm
        if proc is not None:
            threading.Thread(target=proc.cancel, daemon=True).start()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -- plumbing
    def _emit(self, ev: Event) -> None:
        if self.on_event:
            try:
                self.on_event(ev)
            except Exception:  # noqa: BLE001 - a UI bug must not break a deploy
                pass

    def _step(self, phase: str, message: str, status: str = "") -> None:
        if self.record:
            self.record.step(phase, message, status)
        self._emit(Event("step", phase, message=redact(message), status=status))

    def _save(self, status: str | None = None) -> None:
        if status:
            self._outcome.status = status
        if not self.record:
            return
        o = self._outcome
        data = o.to_dict()
        data.update({
            "context": self._context, "server": self._server, "helm_command": self._helm_cmd,
            "started": iso(self._started),
            "ended": iso(time.time()) if o.status != "in-progress" else None,
            "helm": ({k: v for k, v in o.helm.to_dict().items() if k != "lines"} if o.helm else None),
        })
        try:
            self.record.save(data)
        except OSError:
            pass

    def _finish(self, status: str) -> Outcome:
        self._step("record", f"outcome: {status}", status)
        self._save(status)
        if self.record:
            self._outcome.record_dir = self.record.path
            self.record.close()
        self._emit(Event("phase", "record", status=status))
        self._emit(Event("done", "record", status=status, outcome=self._outcome))
        return self._outcome

    def _stopped(self) -> Outcome | None:
        if self._cancel.is_set():
            self._step("deploy", f"{self._cancel_reason} before helm ran: nothing was changed", self._cancel_reason)
            return self._finish(self._cancel_reason)
        return None

    # -- the run
    def run(self) -> Outcome:
        plan = self.plan
        self.record = Record(self.record_parent, plan.release)
        self._outcome.record_dir = self.record.path
        self.record.write_values(plan.values_text)
        self._emit(Event("phase", "plan"))
        self._step("plan", f"plan approved: {plan.chart_name} {plan.chart_version} → {plan.release} in "
                   f"{plan.namespace}")
        self._save("in-progress")
        try:
            return self._run()
        except KeyboardInterrupt:
            self.cancel("interrupted")
            if self._helm is not None:
                self._helm.cancel()
            self._step("deploy", "interrupted", "interrupted")
            return self._finish("interrupted")
        except UserError as exc:
            self._outcome.explanation = helm_mod.Explanation(getattr(exc, "kind", "error"), exc.message, exc.hint)
            self._step("error", str(exc), "error")
            return self._finish("error")

    def _run(self) -> Outcome:
        from ..cluster.kube import Cluster, ClusterError
        plan = self.plan
        # render
        self._emit(Event("phase", "render"))
        try:
            exp = render(plan)
        except RenderFailed as exc:
            c = Check("render", "Chart renders with these values", FAIL, exc.message, exc.hint,
                      f"helm template {plan.release} {plan.helm_chart}", details=exc.output.splitlines()[-12:])
            self._outcome.preflight = [c]
            self._emit(Event("check", "preflight", check=c))
            self._step("render", exc.message, FAIL)
            return self._finish("preflight-failed")
        self._outcome.summary = summary(plan, exp)
        self._step("render", f"rendered {len(exp.objects)} objects: " + ", ".join(
            sorted({k for _, k, _, _ in exp.objects})), PASS)
        self._save()
        if (r := self._stopped()) is not None:
            return r

        # preflight
        self._emit(Event("phase", "preflight"))
        pre: list[Check] = []

        def add(c: Check) -> None:
            pre.append(c)
            self._emit(Event("check", "preflight", check=c))

        add(Check("render", "Chart renders with these values", PASS, f"{len(exp.objects)} objects",
                  "", f"helm template {plan.release} {plan.helm_chart}"))
        if self.check_values and self.chart is not None:
            from ..cluster.preflight import values_check
            add(values_check(plan.values_text, self.chart))
        try:
            if self.cluster is None:
                self.cluster = Cluster.connect(plan.kubeconfig, plan.context)
            self._context, self._server = self.cluster.context, self.cluster.server
            from ..cluster.preflight import run_preflight
            run_preflight(self.cluster, exp, create_namespace=plan.create_namespace,
                          match_labels_path=plan.match_labels_path, on_check=add)
        except ClusterError as exc:
            add(Check("cluster", "Cluster reachable", FAIL, exc.message, exc.hint, f"context {plan.context or ''}"))
        self._outcome.preflight = pre
        status = worst(pre)
        self._step("preflight", f"{len(pre)} checks: " + (", ".join(c.id for c in failed(pre)) + " failed"
                                                          if failed(pre) else "no failures"), status)
        self._emit(Event("phase", "preflight", status=status))
        self._save()
        if failed(pre):
            return self._finish("preflight-failed")
        if (r := self._stopped()) is not None:
            return r

        # deploy
        self._emit(Event("phase", "deploy"))
        values_path = _values_file(plan.values_text)
        argv = plan.helm_argv(values_path)
        self._helm_cmd = helm_mod.redact_argv(plan.helm_argv(str(self.record.path / "values.yaml")))
        self._step("deploy", "helm " + " ".join(self._helm_cmd[1:]))
        self._save()

        def on_line(line: helm_mod.LogLine) -> None:
            self.record.log(line.stamp(), line.stream, line.text)
            self._emit(Event("line", "deploy", line=line))

        def started(proc: helm_mod.HelmProcess) -> bool:
            self._helm = proc
            return not self._cancel.is_set()

        try:
            result, last_seen = helm_observed(
                argv, exp, self.cluster, wait_timeout=plan.wait_timeout,
                match_labels_path=plan.match_labels_path, on_line=on_line,
                on_checks=lambda checks: self._emit(Event("checks", "deploy", checks=checks, final=False)),
                observe_interval=self.observe_interval, started=started)
        finally:
            try:
                os.unlink(values_path)
            except OSError:
                pass
        if result is None:  # cancelled before helm started
            return self._stopped() or self._finish(self._cancel_reason)
        self._helm = None
        self._outcome.helm = result
        self._outcome.explanation = result.explanation
        if last_seen:
            self._outcome.observed = last_seen
        rel = helm_mod.release_status(plan.helm, plan.release, plan.namespace, plan.kube_args())
        if rel:
            self._outcome.revision = int(rel.get("revision", 0) or 0) or None
        state = f"; release is now {rel.get('status')} (revision {rel.get('revision')})" if rel else \
            "; the release does not exist (rolled back or never created)"
        if result.cancelled or self._cancel.is_set():
            reason = self._cancel_reason
            self._step("deploy", f"helm was stopped ({reason}) after {result.duration:.1f}s{state}", reason)
            if rel and str(rel.get("status", "")).startswith("pending"):
                self._step("deploy", f"offer: helm rollback {plan.release} -n {plan.namespace}, or uninstall",
                           reason)
            self._emit(Event("phase", "deploy", status=reason))
            return self._finish(reason)
        if not result.ok:
            ex = result.explanation
            self._step("deploy", f"helm failed after {result.duration:.1f}s: "
                       f"{ex.message if ex else 'exit ' + str(result.returncode)}{state}", FAIL)
            self._emit(Event("phase", "deploy", status=FAIL))
            return self._finish("deploy-failed")
        self._step("deploy", f"helm finished in {result.duration:.1f}s{state}", PASS)
        self._emit(Event("phase", "deploy", status=PASS))
        self._save()

        # verify
        self._emit(Event("phase", "verify"))

        def on_update(checks: list[Check], final: bool) -> None:
            self._emit(Event("checks", "verify", checks=checks, final=final))

        checks = verify(self.cluster, exp, wait=self.verify_wait, interval=self.observe_interval,
                        release_info=lambda: helm_mod.release_status(plan.helm, plan.release, plan.namespace,
                                                                     plan.kube_args()),
                        on_update=on_update, cancel=self._cancel, match_labels_path=plan.match_labels_path)
        self._outcome.verification = checks
        status = worst(checks)
        self._step("verify", f"{len(checks)} checks: " + (", ".join(c.id for c in failed(checks)) + " failed"
                                                          if failed(checks) else "all passed"), status)
        self._emit(Event("phase", "verify", status=status))
        if self._cancel.is_set():
            return self._finish(self._cancel_reason)
        return self._finish("verify-failed" if failed(checks) else "verified")


# ---- the helm phase alone (the wizard's Deploy screen and DeployEngine share it) ---------------
def helm_observed(argv: list[str], exp: Expected, cluster, *, wait_timeout: str = helm_mod.DEFAULT_WAIT,
                  match_labels_path: str = "inferencePool.modelServers.matchLabels",
                  on_line: Callable[[helm_mod.LogLine], None] | None = None,
                  on_checks: Callable[[list[Check]], None] | None = None, observe_interval: float = 1.0,
                  started: Callable[[helm_mod.HelmProcess], bool] | None = None,
                  env: dict[str, str] | None = None,
                  ) -> tuple[helm_mod.HelmResult | None, list[Check]]:
    """Run helm (`argv`, an upgrade --install) while the verifier watches the cluster: the
    `--wait` progress view. `on_checks` gets each view (without the release check: helm owns the
    release until it ends); the last view is returned too, so when helm gives up and rolls back
    the caller can still say why (image pull errors, crash-loop log lines). `started(proc)` is
    called before helm starts — keep `proc` to cancel it; returning False stops before helm runs
    (the result is then None). Blocking; call it from a worker thread."""
    observer_stop = threading.Event()
    observed: list[list[Check]] = []

    def observe() -> None:
        while not observer_stop.wait(observe_interval):
            try:
                snap = fetch(cluster, exp)
            except Exception:  # noqa: BLE001 - watching is best effort
                continue
            if snap.deployment is None and not snap.epp_pods:
                continue
            checks, _ = evaluate(exp, snap, final=False, match_labels_path=match_labels_path)
            checks = [c for c in checks if c.id != "release"]
            observed.append(checks)
            if on_checks is not None:
                try:
                    on_checks(checks)
                except Exception:  # noqa: BLE001 - a UI bug must not break a deploy
                    pass

    # helm's own --timeout bounds its wait; ours only guards against a hung helm
    limit = helm_mod.duration_seconds(wait_timeout)
    proc = helm_mod.HelmProcess(argv, on_line=on_line, timeout=(limit + 300) if limit else None, env=env)
    if started is not None and not started(proc):
        return None, []
    try:
        proc.start()
        threading.Thread(target=observe, daemon=True, name="gaie-observe").start()
        result = proc.wait()
    finally:
        observer_stop.set()
    return result, (observed[-1] if observed else [])


# ---- actions on an existing release ----------------------------------------------------------
def rollback(helm: str, release: str, namespace: str, kube_args: list[str], revision: int | None = None,
             on_line: Callable[[helm_mod.LogLine], None] | None = None) -> helm_mod.HelmResult:
    """helm rollback (to the previous revision by default)."""
    check_release(release)
    check_namespace(namespace)
    binary, version = helm_mod.check_helm(helm)
    return helm_mod.run(helm_mod.rollback_argv(binary, version[0], release, namespace, revision, kube_args),
                        on_line=on_line)


def uninstall(helm: str, release: str, namespace: str, kube_args: list[str],
              on_line: Callable[[helm_mod.LogLine], None] | None = None) -> helm_mod.HelmResult:
    check_release(release)
    check_namespace(namespace)
    binary, _ = helm_mod.check_helm(helm)
    return helm_mod.run(helm_mod.uninstall_argv(binary, release, namespace, kube_args), on_line=on_line)


def expected_for_release(helm: str, release: str, namespace: str, kube_args: list[str], *,
                         chart_name: str = "", chart_version: str = "") -> tuple[Expected, dict | None]:
    """What an existing release should look like (its own manifest) and its helm list row."""
    check_release(release)
    check_namespace(namespace)
    rel = helm_mod.release_status(helm, release, namespace, kube_args)
    if rel is None:
        raise UserError(f"no helm release {release!r} in namespace {namespace}",
                        "check --release/--namespace/--context (helm list -A)")
    manifest, err = helm_mod.get_manifest(helm, release, namespace, kube_args)
    if manifest is None:
        raise UserError(f"cannot read the manifest of release {release}: {err[:300]}", "check helm can reach the cluster")
    if not chart_name or not chart_version:
        name, _, ver = str(rel.get("chart", "")).rpartition("-")
        chart_name = chart_name or name
        chart_version = chart_version or ver
    exp = expected_from_objects(parse_manifest(manifest, namespace), release=release, namespace=namespace,
                                chart_name=chart_name, chart_version=chart_version)
    return exp, rel
