"""The deploy engine: one run of one Plan through its phases

    plan → render → preflight → approve → deploy (helm while watching) → verify → record

emitting `Event`s a front end subscribes to. `gaie-tui deploy` runs them all at once; the wizard
runs them a screen at a time (`run(until=…)`: Review up to preflight, approval, Deploy up to
deploy, Verify up to the record), so each screen shows one stage of one run and both front ends
leave the same record. No Textual here; `run()` blocks (the wizard calls it from a worker thread)
and `cancel()` may be called from any thread or a signal handler.

The record is created at approval (at once when approval is given up front, as with `--yes`),
keeps every step taken before it with its own time, and is rewritten after every phase; a run that
stops early says why (cancelled, quit, interrupted by a signal, crashed) and `kill -9` leaves it
marked NOT FINISHED.

While helm waits for readiness the verifier watches the cluster: when helm gives up and rolls the
release back, the record still shows why the pods never became Ready (image pull, crash loop
logs), and the last release state seen is kept for when the cluster stops answering.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..cluster import helm as helm_mod
from ..cluster.checks import FAIL, PASS, Check, failed, worst
from ..errors import UserError
from ..redact import redact
from ..verify.checks import evaluate
from ..verify.expected import Expected
from ..verify.refresh import verify
from ..verify.snapshot import fetch
from . import release as release_mod
from .plan import Plan, RenderFailed, render, summary
from .record import DEFAULT_PARENT, Record, iso
from .release import ReleaseState

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_RUN, EXIT_CANCELLED = 0, 1, 2, 130
PHASES = ("plan", "render", "preflight", "approve", "deploy", "verify", "record")
STOPPED = ("cancelled", "interrupted", "quit", "crashed")   # ways a run ends before its end
DEPLOY_GRACE = 10.0   # seconds past helm's --timeout before the engine stops helm itself


# ---- events ----------------------------------------------------------------------------------
@dataclass
class Event:
    """What a front end subscribes to. kind:
    - "phase":  a phase starts (status "") or ends (status pass/warn/fail/…)
    - "step":   a timestamped step of the record (message)
    - "check":  one preflight check is known (check)
    - "checks": the cluster seen while helm waits (phase deploy) or the verification refreshed
                (phase verify; final=True for the settled one)
    - "line":   one line of helm output (line)
    - "release": the release state read after helm (release)
    - "waiting": the run waits for approval
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
    release: ReleaseState | None = None
    outcome: Outcome | None = None


@dataclass
class Outcome:
    status: str                    # in-progress, awaiting-approval, verified, preflight-failed, deploy-failed,
                                   # verify-failed, cancelled, interrupted, quit, crashed, error
    plan: Plan
    reason: str = ""               # why a run stopped early (which signal, the error …)
    preflight: list[Check] = field(default_factory=list)
    verification: list[Check] = field(default_factory=list)
    observed: list[Check] = field(default_factory=list)   # seen while helm waited
    helm: helm_mod.HelmResult | None = None
    explanation: helm_mod.Explanation | None = None
    revision: int | None = None
    release: ReleaseState | None = None   # read after helm
    actions: list[str] = field(default_factory=list)   # what fits that state: rollback, uninstall, refresh
    record_dir: Path | None = None
    summary: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status not in ("in-progress", "awaiting-approval")

    @property
    def exit_code(self) -> int:
        if self.status == "verified":
            return EXIT_OK
        if self.status in ("cancelled", "interrupted", "quit"):
            return EXIT_CANCELLED
        if self.status == "error" or any(c.id in ("cluster", "cluster-access") and c.status == FAIL
                                         for c in self.preflight):
            return EXIT_CANNOT_RUN
        return EXIT_FAILED

    def to_dict(self) -> dict:
        return {
            "status": self.status, "exit_code": self.exit_code, "reason": self.reason, "release": self.plan.release,
            "namespace": self.plan.namespace, "revision": self.revision,
            "chart": {"ref": self.plan.chart_ref, "name": self.plan.chart_name, "version": self.plan.chart_version,
                      "source": self.plan.chart_source},
            "explanation": asdict(self.explanation) if self.explanation else None,
            "preflight": [c.to_dict() for c in self.preflight],
            "observed_during_wait": [c.to_dict() for c in self.observed],
            "verification": [c.to_dict() for c in self.verification],
            "release_state": self.release.to_dict() if self.release else None,
            "actions": list(self.actions),
            "record_dir": str(self.record_dir) if self.record_dir else None,
            "summary": self.summary,
        }


class _Stop(Exception):
    """Internal: the run ends here (the outcome is already set)."""


# ---- the engine ------------------------------------------------------------------------------
class DeployEngine:
    """Runs one Plan. `run(until)` blocks and may be called again to go on; `approve(by)` gives
    the approval the `approve` phase waits for; `cancel()` works from any thread."""

    def __init__(self, plan: Plan, *, chart=None, record_parent: str | Path = DEFAULT_PARENT,
                 verify_wait: float = 120.0, on_event: Callable[[Event], None] | None = None,
                 cluster=None, observe_interval: float = 1.0, check_values: bool = True,
                 approved_by: str | None = None) -> None:
        self.plan = plan
        self.chart = chart
        self.record_parent = Path(record_parent)
        self.verify_wait = verify_wait
        self.on_event = on_event
        self.cluster = cluster
        self.observe_interval = observe_interval
        self.check_values = check_values
        self.approved_by = approved_by
        self.expected: Expected | None = None
        self.record: Record | None = None
        self.outcome = Outcome("in-progress", plan)
        self.done: list[str] = []                 # phases finished, in order
        self._steps: list[tuple[float, str, str, str]] = []   # before the record exists
        self._cancel = threading.Event()
        self._settle = threading.Event()          # verification: judge at the next look
        self._stop_reason = ("cancelled", "")
        self._helm: helm_mod.HelmProcess | None = None
        self._lock = threading.Lock()
        self._running = False
        self._started = time.time()
        self._helm_cmd: list[str] = helm_mod.redact_argv(plan.helm_argv())
        self._context = plan.context or ""
        self._server = ""
        self._last_release: ReleaseState | None = None
        _sweep_scratch()

    # -- control ------------------------------------------------------------------------------
    def approve(self, by: str) -> None:
        """The user approved the plan (`by` says how: "--yes", "typed yes", "the wizard")."""
        self.approved_by = by

    def cancel(self, reason: str = "cancelled", detail: str = "") -> None:
        """Stop as soon as possible (kills helm and its children if it runs). `reason`: cancelled
        (by the user), interrupted (a signal; `detail` names it), quit, crashed."""
        self._stop_reason = (reason if reason in STOPPED else "cancelled", detail)
        self._cancel.set()
        self._settle.set()
        proc = self._helm
        if proc is not None:
            threading.Thread(target=proc.cancel, daemon=True).start()

    def close(self, reason: str = "cancelled", detail: str = "") -> None:
        """End an approved run that waits between phases (its front end moves on or exits): the
        record says why it stopped there instead of staying NOT FINISHED without a reason."""
        with self._lock:
            if self.running or self.outcome.finished or self.record is None:
                return
            self._stop_reason = (reason if reason in STOPPED else "cancelled", detail)
            status, text = self._stop_reason_text(f"after the {self.done[-1] if self.done else 'plan'} phase")
            try:
                self._step(self.done[-1] if self.done else "plan", text, status)
                self._finish(status, text)
            except _Stop:
                pass

    def settle_now(self) -> None:
        """Verification: stop waiting, judge what the next look shows as final."""
        self._settle.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def waiting_for_approval(self) -> bool:
        """Everything before the approval is done and nothing stopped the run."""
        return "preflight" in self.done and not self.approved_by and not self.outcome.finished

    @property
    def helm_running(self) -> bool:
        return self._helm is not None

    # -- plumbing -------------------------------------------------------------------------------
    def _emit(self, ev: Event) -> None:
        if self.on_event:
            try:
                self.on_event(ev)
            except Exception:  # noqa: BLE001 - a front end's bug must not break a deploy
                pass

    def _step(self, phase: str, message: str, status: str = "") -> None:
        message = redact(message)
        ts = time.time()
        if self.record:
            self.record.step(phase, message, status, ts=ts)
        else:
            self._steps.append((ts, phase, message, status))
        self._emit(Event("step", phase, ts=ts, message=message, status=status))

    def _data(self) -> dict:
        o = self.outcome
        data = o.to_dict()
        plan = self.plan.to_dict()
        data.update({
            "context": self._context, "server": self._server, "helm_command": self._helm_cmd,
            "approved_by": self.approved_by, "values": plan["values"],
            "values_merged": plan["values_merged"],
            "values_set_by": [{"path": p, "file": f, "line": n} for p, f, n in self.plan.set_by()],
            "started": iso(self._started), "ended": iso(time.time()) if o.finished else None,
            "helm": ({k: v for k, v in o.helm.to_dict().items() if k != "lines"} if o.helm else None),
        })
        return data

    def _save(self) -> None:
        if self.record is None:
            return
        try:
            self.record.save(self._data())
        except (OSError, UserError):
            pass   # a record that cannot be rewritten must not stop a deploy half way

    def _materialise(self) -> None:
        """Create the record folder (at approval): the values, every step so far, the state."""
        if self.record is not None:
            return
        plan = self.plan
        self.record = Record(self.record_parent, plan.release)
        self.outcome.record_dir = self.record.path
        for name, layer in zip(plan.values_file_names(), plan.values, strict=True):
            self.record.write_values(layer.text, name)
        if plan.layered:   # what the chart receives from the layers (helm reads the layers themselves)
            self.record.write_values(plan.values_text, plan.merged_file_name() or "values-merged.yaml")
        self._helm_cmd = helm_mod.redact_argv(plan.helm_argv(self._record_values()))
        for ts, phase, message, status in self._steps:
            self.record.step(phase, message, status, ts=ts)
        self._steps.clear()
        self._save()

    def _record_values(self) -> list[str]:
        assert self.record is not None
        return [str(self.record.path / name) for name in self.plan.values_file_names()]

    def _finish(self, status: str, reason: str = "") -> None:
        self.outcome.status = status
        self.outcome.reason = reason or self.outcome.reason
        self._step("record", f"outcome: {status}" + (f" ({reason})" if reason else ""), status)
        self._save()
        if self.record:
            self.outcome.record_dir = self.record.path
            self.record.close()
        self._emit(Event("phase", "record", status=status))
        self._emit(Event("done", "record", status=status, outcome=self.outcome))
        raise _Stop

    def _stop_reason_text(self, when: str) -> tuple[str, str]:
        reason, detail = self._stop_reason
        words = {"cancelled": f"cancelled by the user{': ' + detail if detail else ''}",
                 "interrupted": f"interrupted by {detail or 'a signal'}",
                 "quit": "the wizard was quit", "crashed": f"gaie-tui crashed: {detail}"}[reason]
        return reason, f"{words} {when}"

    def _check_cancel(self, phase: str, when: str) -> None:
        if self._cancel.is_set():
            reason, text = self._stop_reason_text(when)
            self._step(phase, text, reason)
            self._finish(reason, text)

    # -- the run --------------------------------------------------------------------------------
    def run(self, until: str = "record") -> Outcome:
        """Run the phases not run yet, up to and including `until`. Returns the outcome so far
        (status "awaiting-approval" when the approve phase waits for `approve()`)."""
        last = PHASES.index(until)
        with self._lock:
            self._running = True
            try:
                if self.approved_by and self.record is None and not self.outcome.finished:
                    self._materialise()   # approval given up front: the record exists from the start
                for phase in PHASES[: last + 1]:
                    if phase in self.done or self.outcome.finished:
                        continue
                    if phase == "approve" and not self.approved_by:
                        self.outcome.status = "awaiting-approval"
                        self._emit(Event("waiting", "approve"))
                        break
                    self.outcome.status = "in-progress"
                    getattr(self, f"_phase_{phase}")()
                    self.done.append(phase)
            except _Stop:
                pass
            except KeyboardInterrupt:
                self.cancel("interrupted", "Ctrl-C")
                self._end_quietly(*self._stop_reason_text("while running; helm was stopped"))
            except UserError as exc:
                self.outcome.explanation = helm_mod.Explanation(getattr(exc, "kind", "error"), exc.message, exc.hint)
                self._step("error", str(exc), "error")
                self._end_quietly("error", exc.message)
            except Exception as exc:  # noqa: BLE001 - the record must say so, whatever happened
                from ..errorlog import describe, write_error_log
                log = write_error_log(exc)
                text = describe(exc) + (f" (details in {log})" if log else "")
                self._step("error", describe(exc), "crashed")
                self._end_quietly("crashed", text)
            finally:
                self._running = False
        return self.outcome

    def _end_quietly(self, status: str, reason: str) -> None:
        proc = self._helm
        if proc is not None:
            proc.cancel()
        try:
            self._finish(status, reason)
        except _Stop:
            pass

    def _phase_plan(self) -> None:
        plan = self.plan
        self._emit(Event("phase", "plan"))
        layers = ", ".join(layer.name for layer in plan.values)
        self._step("plan", f"plan: {plan.chart_name} {plan.chart_version} as release {plan.release} in namespace "
                   f"{plan.namespace}; values from {layers}")
        self._save()

    def _phase_render(self) -> None:
        plan = self.plan
        self._emit(Event("phase", "render"))
        try:
            exp = render(plan)
        except RenderFailed as exc:
            c = Check("render", "Chart renders with these values", FAIL, exc.message, exc.hint,
                      f"helm template {plan.release} {plan.helm_chart}",
                      details=[redact(ln) for ln in exc.output.splitlines()[-12:]])
            self.outcome.preflight = [c]
            self.outcome.explanation = helm_mod.Explanation("render", exc.message, exc.hint)
            self._emit(Event("check", "preflight", check=c))
            values = self._values_check()   # names the key (and its file and line) behind helm's message
            if values is not None:
                self.outcome.preflight.append(values)
                self._emit(Event("check", "preflight", check=values))
            self._step("render", exc.message, FAIL)
            self._emit(Event("phase", "render", status=FAIL))
            self._finish("preflight-failed")
        self.expected = exp
        self.outcome.summary = summary(plan, exp)
        self._step("render", f"rendered {len(exp.objects)} objects: " + ", ".join(
            sorted({k for _, k, _, _ in exp.objects})), PASS)
        self._emit(Event("phase", "render", status=PASS))
        self._save()
        self._check_cancel("render", "before helm ran: nothing was changed")

    def _phase_preflight(self) -> None:
        from ..cluster.kube import Cluster, ClusterError
        plan, exp = self.plan, self.expected
        assert exp is not None
        self._emit(Event("phase", "preflight"))
        pre: list[Check] = []

        def add(c: Check) -> None:
            pre.append(c)
            self._emit(Event("check", "preflight", check=c))

        add(Check("render", "Chart renders with these values", PASS, f"{len(exp.objects)} objects",
                  "", f"helm template {plan.release} {plan.helm_chart}"))
        values = self._values_check()
        if values is not None:
            add(values)
        try:
            if self.cluster is None:
                self.cluster = Cluster.connect(plan.kubeconfig, plan.context)
            self._context, self._server = self.cluster.context, self.cluster.server
            from ..cluster.preflight import run_preflight
            run_preflight(self.cluster, exp, create_namespace=plan.create_namespace,
                          match_labels_path=plan.match_labels_path, on_check=add)
        except ClusterError as exc:
            add(Check("cluster", "Cluster reachable", FAIL, exc.message, exc.hint, f"context {plan.context or ''}"))
        self.outcome.preflight = pre
        status = worst(pre)
        self._step("preflight", f"{len(pre)} checks: " + (", ".join(c.id for c in failed(pre)) + " failed"
                                                          if failed(pre) else "no failures"), status)
        self._emit(Event("phase", "preflight", status=status))
        self._save()
        if failed(pre):
            self._finish("preflight-failed")
        self._check_cancel("preflight", "before helm ran: nothing was changed")

    def _values_check(self) -> Check | None:
        """The values checker on the plan's values: one file, or the layers merged as helm merges
        them with every finding named by its file and line."""
        if not self.check_values or self.chart is None:
            return None
        from ..cluster.preflight import values_check
        plan = self.plan
        return values_check(plan.merged() if plan.layered else plan.values_text, self.chart)

    def _phase_approve(self) -> None:
        self._emit(Event("phase", "approve"))
        self._step("approve", f"plan approved ({self.approved_by})", PASS)
        self._materialise()
        self._emit(Event("phase", "approve", status=PASS))

    # -- deploy ---------------------------------------------------------------------------------
    def _helm_values(self):
        """The values files helm reads: the record's own copies when they are the values (the
        recorded command is then exactly what ran), else private scratch copies — the record's
        are redacted, and redaction changed something helm would read."""
        import contextlib

        import yaml
        plan = self.plan
        same = True
        for layer in plan.values:
            red = redact(layer.text)
            if red != layer.text:
                try:
                    same = same and yaml.safe_load(red) == yaml.safe_load(layer.text)
                except yaml.YAMLError:
                    same = False
        if same:
            return contextlib.nullcontext(self._record_values())

        @contextlib.contextmanager
        def private():
            from ..safeio import write_text
            from ..scratch import scratch
            with scratch() as folder:
                yield [str(write_text(folder / name, layer.text, private=True))
                       for name, layer in zip(plan.values_file_names(), plan.values, strict=True)]
        return private()

    def _phase_deploy(self) -> None:
        plan, exp = self.plan, self.expected
        assert exp is not None and self.record is not None
        self._emit(Event("phase", "deploy"))
        record = self.record

        def on_line(line: helm_mod.LogLine) -> None:
            record.log(line.stamp(), line.stream, line.text)
            self._emit(Event("line", "deploy", line=line))

        def started(proc: helm_mod.HelmProcess) -> bool:
            self._helm = proc
            return not self._cancel.is_set()

        def on_release(state: ReleaseState) -> None:
            self._last_release = state

        with self._helm_values() as files:
            argv = plan.helm_argv(files)
            self._helm_cmd = helm_mod.redact_argv(argv)
            self._step("deploy", " ".join(plan.shown_argv(files)))
            self._save()
            try:
                watched = helm_observed(
                    argv, exp, self.cluster, wait_timeout=plan.wait_timeout, release=plan.release,
                    match_labels_path=plan.match_labels_path, on_line=on_line, on_release=on_release,
                    on_checks=lambda checks: self._emit(Event("checks", "deploy", checks=checks, final=False)),
                    observe_interval=self.observe_interval, started=started)
            finally:
                self._helm = None
        if watched.result is None:  # cancelled before helm started
            self._check_cancel("deploy", "before helm ran: nothing was changed")
            return
        result = watched.result
        self.outcome.helm = result
        self.outcome.explanation = result.explanation
        self.outcome.observed = watched.checks
        state = self._read_release()
        if state.revision:
            self.outcome.revision = state.revision
        said = self._describe_release(state)
        if result.timed_out:
            limit = helm_mod.duration_seconds(plan.wait_timeout) or 0
            self._step("deploy", f"helm did not finish within its timeout ({plan.wait_timeout}) plus "
                       f"{DEPLOY_GRACE:g}s and was stopped after {result.duration:.1f}s; {said}", FAIL)
            self.outcome.explanation = helm_mod.Explanation(
                "timeout", f"helm did not finish within {plan.wait_timeout} (+{DEPLOY_GRACE:g}s) and was stopped",
                "the cluster may have stopped answering; look at the release state below"
                if not state.known else "look at the EPP pods; roll back if the release is left pending")
            self._emit(Event("phase", "deploy", status=FAIL))
            self._finish("deploy-failed", f"timeout after {limit + DEPLOY_GRACE:g}s")
        if result.cancelled or self._cancel.is_set():
            reason, text = self._stop_reason_text("while helm ran; helm was stopped")
            self._step("deploy", f"{text} after {result.duration:.1f}s; {said}", reason)
            self._emit(Event("phase", "deploy", status=reason))
            self._finish(reason, text)
        if not result.ok:
            ex = result.explanation
            self._step("deploy", f"helm failed after {result.duration:.1f}s: "
                       f"{ex.message if ex else 'exit ' + str(result.returncode)}; {said}", FAIL)
            self._emit(Event("phase", "deploy", status=FAIL))
            self._finish("deploy-failed")
        self._step("deploy", f"helm finished in {result.duration:.1f}s; {said}", PASS)
        self._emit(Event("phase", "deploy", status=PASS))
        self._save()

    def _read_release(self) -> ReleaseState:
        """The release state after helm, from helm itself; unknown (with the last state the
        watcher saw) when nobody answers."""
        plan = self.plan
        state = release_mod.read_state(plan.helm, plan.release, plan.namespace, plan.kube_args(), timeout=15)
        self.outcome.release = state
        self.outcome.actions = release_mod.actions_for(state)
        self._emit(Event("release", "deploy", release=state))
        return state

    def _describe_release(self, state: ReleaseState) -> str:
        plan = self.plan
        if state.status == release_mod.ABSENT:
            return "the release does not exist now (helm removed the failed first install, or never created it)"
        if state.status == release_mod.UNKNOWN:
            seen = self._last_release
            last = (f"last seen {seen.status}" + (f" (revision {seen.revision})" if seen.revision else "")
                    + f" at {iso(seen.seen_at)}") if seen else "not seen while helm ran"
            return (f"the release state is UNKNOWN ({state.error}); {last}; look with: "
                    + release_mod.look_command(plan.release, plan.namespace, plan.kube_args()))
        return f"the release is now {state.status}" + (f" (revision {state.revision})" if state.revision else "")

    # -- verify ---------------------------------------------------------------------------------
    def _release_info(self) -> dict | None:
        plan = self.plan
        row, error = helm_mod.release_row(plan.helm, plan.release, plan.namespace, plan.kube_args())
        if error:
            raise RuntimeError(error)   # the verification says it could not ask (not "no release")
        return row

    def _phase_verify(self) -> None:
        plan, exp = self.plan, self.expected
        assert exp is not None
        self._emit(Event("phase", "verify"))

        def on_update(checks: list[Check], final: bool) -> None:
            self._emit(Event("checks", "verify", checks=checks, final=final))

        checks = verify(self.cluster, exp, wait=self.verify_wait, interval=self.observe_interval,
                        release_info=self._release_info, on_update=on_update, cancel=self._settle,
                        match_labels_path=plan.match_labels_path)
        self.outcome.verification = checks
        status = worst(checks)
        self._step("verify", f"{len(checks)} checks: " + (", ".join(c.id for c in failed(checks)) + " failed"
                                                          if failed(checks) else "all passed"), status)
        self._emit(Event("phase", "verify", status=status))
        self._save()
        self._check_cancel("verify", "during verification")

    def _phase_record(self) -> None:
        self._finish("verify-failed" if failed(self.outcome.verification) else "verified")

    # -- after the run --------------------------------------------------------------------------
    def look(self) -> list[Check]:
        """One more look at the release (the wizard's dashboard after the run): the same checks,
        not written to the record."""
        if self.expected is None or self.cluster is None:
            return []
        snap = fetch(self.cluster, self.expected, release_info=self._release_info)
        checks, _ = evaluate(self.expected, snap, final=False, match_labels_path=self.plan.match_labels_path)
        return checks

    def refresh_release(self) -> ReleaseState:
        """Ask helm again about the release (after an unknown state); kept in the record."""
        state = self._read_release()
        self._step("release", self._describe_release(state))
        self._save()
        return state

    def release_action(self, what: str, on_line: Callable[[helm_mod.LogLine], None] | None = None
                       ) -> helm_mod.HelmResult:
        """Roll back or uninstall the release after a failed or stopped deploy; the action, its
        output and the release state afterwards go into this run's record."""
        plan = self.plan
        action = release_mod.rollback if what == "rollback" else release_mod.uninstall
        record = self.record
        if record is not None:
            record.reopen_log()

        def line(ll: helm_mod.LogLine) -> None:
            if record is not None:
                record.log(ll.stamp(), ll.stream, ll.text)
            if on_line:
                on_line(ll)

        self._step(what, f"{what} of release {plan.release} in {plan.namespace} asked by the user")
        result = action(plan.helm, plan.release, plan.namespace, plan.kube_args(), on_line=line)
        ex = result.explanation
        state = self._read_release()
        self._step(what, (f"{what} done" if result.ok else f"{what} failed: {ex.message if ex else result.returncode}")
                   + f"; {self._describe_release(state)}", PASS if result.ok else FAIL)
        self._save()
        if record is not None:
            record.close()
        return result


def _sweep_scratch() -> None:
    """Scratch files of runs that were killed are removed when the next run starts."""
    from ..scratch import sweep
    try:
        sweep()
    except OSError:
        pass


# ---- the helm phase: helm while the verifier watches -------------------------------------------
@dataclass
class Watched:
    result: helm_mod.HelmResult | None       # None: stopped before helm started
    checks: list[Check]                      # the last view of the cluster while helm waited
    release: ReleaseState | None             # the last release state seen while helm ran


def helm_observed(argv: list[str], exp: Expected, cluster, *, wait_timeout: str = helm_mod.DEFAULT_WAIT,
                  release: str | None = None, match_labels_path: str = "inferencePool.modelServers.matchLabels",
                  on_line: Callable[[helm_mod.LogLine], None] | None = None,
                  on_checks: Callable[[list[Check]], None] | None = None,
                  on_release: Callable[[ReleaseState], None] | None = None, observe_interval: float = 1.0,
                  started: Callable[[helm_mod.HelmProcess], bool] | None = None,
                  env: dict[str, str] | None = None) -> Watched:
    """Run helm (`argv`, an upgrade --install) while the verifier watches the cluster: the
    `--wait` progress view. `on_checks` gets each view (without the release check: helm owns the
    release until it ends) and `on_release` each release state seen (from helm's release secrets).
    helm's `--timeout` bounds the whole phase: helm stops on its own by then, and is stopped
    `DEPLOY_GRACE` seconds later if it has not (a cluster that stops answering). `started(proc)` is
    called before helm starts — keep `proc` to cancel it; returning False stops before helm runs.
    Blocking; call it from a worker thread."""
    observer_stop = threading.Event()
    seen: list[list[Check]] = []
    last_release: list[ReleaseState] = []
    limit = helm_mod.duration_seconds(wait_timeout)
    # the views stop at helm's --timeout: after it helm rolls back (a first install is uninstalled),
    # and a view of that teardown would replace what made helm give up (a crash loop's log lines,
    # the pending release) with pods being deleted and a release that is gone
    watch_until = time.monotonic() + limit if limit else None

    def observe() -> None:
        while not observer_stop.wait(observe_interval):
            if watch_until is not None and time.monotonic() >= watch_until:
                return
            if release and cluster is not None:
                try:
                    state = release_mod.state_from_secrets(cluster, exp.namespace, release)
                    last_release[:] = [state]
                    if on_release is not None:
                        on_release(state)
                except Exception:  # noqa: BLE001 - watching is best effort
                    pass
            try:
                snap = fetch(cluster, exp)
            except Exception:  # noqa: BLE001 - watching is best effort
                continue
            if snap.deployment is None and not snap.epp_pods:
                continue
            checks, _ = evaluate(exp, snap, final=False, match_labels_path=match_labels_path)
            checks = [c for c in checks if c.id != "release"]
            seen.append(checks)
            if on_checks is not None:
                try:
                    on_checks(checks)
                except Exception:  # noqa: BLE001 - a front end's bug must not break a deploy
                    pass

    proc = helm_mod.HelmProcess(argv, on_line=on_line, timeout=(limit + DEPLOY_GRACE) if limit else None, env=env)
    if started is not None and not started(proc):
        return Watched(None, [], None)
    try:
        proc.start()
        if cluster is not None:
            threading.Thread(target=observe, daemon=True, name="gaie-observe").start()
        result = proc.wait()
    finally:
        observer_stop.set()
    return Watched(result, seen[-1] if seen else [], last_release[0] if last_release else None)
