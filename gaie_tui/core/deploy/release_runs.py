"""Runs on a release that already exists, with the deploy engine's control surface, so the wizard's
Verify and Record screens — and its rules for quitting, signals and crashes — present them exactly
as they present a deploy:

- `ReleaseVerification`: the verification checks of an existing release (drift included),
  refreshed until they settle, then written to a record. It only reads the cluster, so there is
  nothing to approve; the record says so.
- `ReleaseAction`: an approved rollback or uninstall (`actions.ActionRun`: helm streamed and
  cancellable, verified, recorded from the first step), plus a live look at the release afterwards
  for the dashboard.

Both offer what the wizard reads of a run: `plan` (release, namespace, chart), `outcome` (status,
verification, revision, record folder), `running`, `approved_by`, `done`, `run(until)`, `look()`,
`settle_now()`, `cancel(reason, detail)`, `close(reason, detail)`. No Textual here; `run()` blocks.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..cluster import helm as helm_mod
from ..cluster.checks import Check, failed, worst
from ..cluster.releases import split_chart
from ..errors import UserError
from ..redact import redact
from .record import DEFAULT_PARENT, Record, iso

STOPPED = ("cancelled", "interrupted", "quit", "crashed")


@dataclass
class RunPlan:
    """What the screens read of a day-two run's plan."""
    action: str                 # verify, rollback, uninstall
    release: str
    namespace: str
    chart_name: str = ""
    chart_version: str = ""
    context: str = ""
    values_text: str = ""       # the values this run leaves deployed (rollback), else ""

    @property
    def chart_ref(self) -> str:
        return f"{self.chart_name}@{self.chart_version}" if self.chart_name else ""


@dataclass
class RunOutcome:
    """The engine's Outcome fields, filled for a day-two run."""
    status: str                 # awaiting-approval, in-progress, then verified / verify-failed (verify),
                                # actions.ActionOutcome's statuses (rollback, uninstall), cancelled, quit, error …
    plan: RunPlan
    reason: str = ""
    verification: list[Check] = field(default_factory=list)
    observed: list[Check] = field(default_factory=list)
    preflight: list[Check] = field(default_factory=list)
    revision: int | None = None
    record_dir: Path | None = None
    explanation: helm_mod.Explanation | None = None
    helm: helm_mod.HelmResult | None = None
    release: object | None = None
    actions: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status not in ("in-progress", "awaiting-approval")


@dataclass
class _Event:
    """Shaped like the engine's Event (kind step / checks / done), for the same front-end plumbing."""
    kind: str
    phase: str
    ts: float = field(default_factory=time.time)
    message: str = ""
    status: str = ""
    checks: list[Check] | None = None
    final: bool = False
    line: helm_mod.LogLine | None = None
    outcome: RunOutcome | None = None


def _match_labels_path(chart_name: str) -> str:
    from ..charts.layouts import LAYOUTS
    return LAYOUTS["D" if chart_name == "llm-d-router-gateway" else "A"].match_labels


class _Looker:
    """A look at an existing release against its own manifest (what the dashboard refreshes)."""

    def __init__(self, cluster, helm: str, release: str, namespace: str, kube_args: list[str]) -> None:
        self.cluster, self.helm, self.release, self.namespace = cluster, helm, release, namespace
        self.kube_args = list(kube_args)
        self.expected = None
        self.row: dict | None = None

    def load(self):
        from .release import expected_for_release
        self.expected, self.row = expected_for_release(self.helm, self.release, self.namespace, self.kube_args)
        return self.expected

    def release_info(self) -> dict | None:
        row, error = helm_mod.release_row(self.helm, self.release, self.namespace, self.kube_args)
        if error:
            raise RuntimeError(error)   # the release check says helm could not be asked, not "no release"
        return row

    def look(self) -> list[Check]:
        from ..verify.checks import evaluate
        from ..verify.snapshot import fetch
        if self.cluster is None:
            return []
        if self.expected is None:
            try:
                self.load()
            except UserError:
                return []
        exp = self.expected
        snap = fetch(self.cluster, exp, release_info=self.release_info)
        checks, _ = evaluate(exp, snap, final=False, match_labels_path=_match_labels_path(exp.chart_name))
        return checks


# ---- verify an existing release ---------------------------------------------------------------------
class ReleaseVerification:
    """The verification of a release that exists, as a recorded run (nothing to approve: it only reads)."""

    approved_by = "nothing to approve: verification only reads the cluster"
    helm_running = False
    waiting_for_approval = False
    read_only = True                # another action may take its place while it settles (it is cancelled)

    def __init__(self, release: str, namespace: str, *, cluster, helm: str, kube_args: list[str],
                 context: str = "", record_parent: str | Path = DEFAULT_PARENT, verify_wait: float = 60.0,
                 interval: float = 1.0, on_event: Callable[[object], None] | None = None) -> None:
        from ..names import check_namespace, check_release
        check_release(release)
        check_namespace(namespace)
        self.plan = RunPlan("verify", release, namespace, context=context or getattr(cluster, "context", ""))
        self.outcome = RunOutcome("in-progress", self.plan)
        self.cluster = cluster
        self.helm = helm
        self.kube_args = list(kube_args)
        self.record_parent = Path(record_parent)
        self.verify_wait = verify_wait
        self.interval = interval
        self.on_event = on_event
        self.record: Record | None = None
        self.done: list[str] = []
        self._looker = _Looker(cluster, helm, release, namespace, kube_args)
        self._settle = threading.Event()
        self._stop: tuple[str, str] | None = None
        self._running = False
        self._lock = threading.Lock()
        self._started = time.time()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def expected(self):
        return self._looker.expected

    def _emit(self, ev: _Event) -> None:
        if self.on_event:
            try:
                self.on_event(ev)
            except Exception:  # noqa: BLE001 - a front end's bug must not break the run
                pass

    def _step(self, phase: str, message: str, status: str = "") -> None:
        message = redact(message)
        if self.record is not None:
            self.record.step(phase, message, status)
        self._emit(_Event("step", phase, message=message, status=status))

    def _save(self) -> None:
        if self.record is None:
            return
        o, p = self.outcome, self.plan
        exp = self._looker.expected
        data = {
            "action": "verify", "status": o.status, "reason": o.reason, "release": p.release,
            "namespace": p.namespace, "revision": o.revision,
            "chart": {"name": p.chart_name, "version": p.chart_version, "ref": p.chart_ref,
                      "source": "the release's own manifest (helm get manifest)"},
            "explanation": {"kind": o.explanation.kind, "message": o.explanation.message,
                            "hint": o.explanation.hint} if o.explanation else None,
            "preflight": [], "observed_during_wait": [],
            "verification": [c.to_dict() for c in o.verification],
            "release_state": ({"status": str(self._looker.row.get("status", "")), "revision": o.revision}
                              if self._looker.row else None),
            "actions": [], "summary": o.summary, "context": p.context,
            "server": getattr(self.cluster, "server", ""), "helm_command": [], "approved_by": self.approved_by,
            "values": [{"file": "values.yaml", "name": f"helm get values {p.release}"}] if exp is not None else [],
            "started": iso(self._started), "ended": iso(time.time()) if o.finished else None, "helm": None,
        }
        try:
            self.record.save(data)
        except (OSError, UserError):
            pass

    def _finish(self, status: str, reason: str = "") -> RunOutcome:
        self.outcome.status = status
        self.outcome.reason = reason or self.outcome.reason
        self._step("record", f"outcome: {status}" + (f" ({reason})" if reason else ""), status)
        self._save()
        if self.record is not None:
            self.outcome.record_dir = self.record.path
            self.record.close()
        self.done += [p for p in ("verify", "record") if p not in self.done]
        self._emit(_Event("done", "record", status=status, outcome=self.outcome))
        return self.outcome

    def run(self, until: str = "record") -> RunOutcome:  # noqa: ARG002 - one phase; the engine's signature
        with self._lock:
            if self.outcome.finished or self._running:
                return self.outcome
            self._running = True
        try:
            return self._run()
        except UserError as exc:
            self.outcome.explanation = helm_mod.Explanation(getattr(exc, "kind", "error"), exc.message, exc.hint)
            self._step("error", str(exc), "error")
            return self._finish("error", exc.message)
        except Exception as exc:  # noqa: BLE001 - the record must say so, whatever happened
            from ..errorlog import describe, write_error_log
            log = write_error_log(exc)
            self._step("error", describe(exc), "crashed")
            return self._finish("crashed", describe(exc) + (f" (details in {log})" if log else ""))
        finally:
            self._running = False

    def _run(self) -> RunOutcome:
        from ..cluster.kube import ClusterError
        from ..verify.refresh import verify
        p = self.plan
        self.record = Record(self.record_parent, p.release)
        self.outcome.record_dir = self.record.path
        self._step("plan", f"verify release {p.release} in namespace {p.namespace} (context {p.context}): read-only, "
                           "nothing in the cluster is changed")
        try:
            exp = self._looker.load()
        except ClusterError as exc:
            raise UserError(exc.message, exc.hint) from None
        row = self._looker.row or {}
        p.chart_name, p.chart_version = exp.chart_name, exp.chart_version
        self.outcome.revision = int(row.get("revision") or 0) or None
        self.outcome.summary = [f"Verification of release {p.release} in {p.namespace}: chart {p.chart_name} "
                                f"{p.chart_version}, revision {self.outcome.revision}, helm status "
                                f"{row.get('status', '?')}; compared with the release's own manifest "
                                "(drift: fields changed outside helm)."]
        values, _err = helm_mod.get_values(self.helm, p.release, p.namespace, self.kube_args)
        if values is not None:
            self.record.write_values(values)
        self._step("plan", f"release is {row.get('status', '?')} (revision {self.outcome.revision}, "
                           f"{row.get('chart', '?')}); {len(exp.objects)} objects in its manifest")
        self._save()

        def on_update(checks: list[Check], final: bool) -> None:
            self._emit(_Event("checks", "verify", checks=checks, final=final))

        try:
            checks = verify(self.cluster, exp, wait=self.verify_wait, interval=self.interval, on_update=on_update,
                            cancel=self._settle, release_info=self._looker.release_info,
                            match_labels_path=_match_labels_path(exp.chart_name))
        except ClusterError as exc:
            raise UserError(exc.message, exc.hint) from None
        self.outcome.verification = checks
        self._step("verify", f"{len(checks)} checks: " + (", ".join(c.id for c in failed(checks)) + " failed"
                                                          if failed(checks) else "all passed"), worst(checks))
        if self._stop is not None:
            reason, detail = self._stop
            return self._finish(reason, detail or f"{reason} during verification")
        return self._finish("verify-failed" if failed(checks) else "verified")

    def look(self) -> list[Check]:
        """One more look (the dashboard after the run): the same checks, not written to the record."""
        return self._looker.look()

    def settle_now(self) -> None:
        self._settle.set()

    def cancel(self, reason: str = "cancelled", detail: str = "") -> None:
        self._stop = (reason if reason in STOPPED else "cancelled", detail)
        self._settle.set()

    def close(self, reason: str = "cancelled", detail: str = "") -> None:
        """Nothing waits between phases here: a finished run is already recorded."""


# ---- an approved rollback or uninstall ----------------------------------------------------------------
class ReleaseAction:
    """An `actions.ActionPlan` run through `actions.ActionRun` once approved, with the engine's
    control surface. `action_plan` and `action_outcome` are the action's own objects."""

    def __init__(self, plan, *, cluster, record_parent: str | Path = DEFAULT_PARENT, verify_wait: float = 60.0,
                 interval: float = 1.0, on_event: Callable[[object], None] | None = None) -> None:
        from .actions import ActionRun
        self.action_plan = plan
        self.cluster = cluster
        self.on_event = on_event
        chart, version = split_chart(plan.target_chart or plan.chart)
        self.plan = RunPlan(plan.action, plan.release, plan.namespace, chart, version, plan.context,
                            plan.values_text if plan.action == "rollback" else "")
        self._outcome = RunOutcome("awaiting-approval", self.plan)
        self._run = ActionRun(plan, cluster=cluster, record_parent=record_parent, verify_wait=verify_wait,
                              interval=interval, on_event=self._forward)
        self._looker = _Looker(cluster, plan.helm, plan.release, plan.namespace, plan.kube_args)
        self.approved_by: str | None = None
        self.done: list[str] = []
        self._running = False
        self._started = False
        self._stop: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def _forward(self, ev) -> None:
        if self.on_event:
            try:
                self.on_event(ev)
            except Exception:  # noqa: BLE001 - a front end's bug must not break the action
                pass

    # -- the engine's surface
    def approve(self, by: str) -> None:
        self.approved_by = by

    @property
    def running(self) -> bool:
        return self._running

    @property
    def helm_running(self) -> bool:
        return getattr(self._run, "_proc", None) is not None

    @property
    def waiting_for_approval(self) -> bool:
        return not self.approved_by and not self._started

    @property
    def record(self) -> Record | None:
        return self._run.record

    @property
    def action_outcome(self):
        return self._run.outcome

    @property
    def outcome(self) -> RunOutcome:
        ao, o = self._run.outcome, self._outcome
        if self._started:
            o.status = ao.status
            if self._stop is not None and ao.status == "cancelled":
                o.status, o.reason = self._stop[0], self._stop[1] or o.reason
            o.verification, o.revision, o.record_dir = ao.verification, ao.revision, ao.record_dir
            o.explanation, o.helm = ao.explanation, ao.helm
            o.summary = self.action_plan.summary()
        return o

    def run(self, until: str = "record") -> RunOutcome:  # noqa: ARG002 - one phase; the engine's signature
        """Run the approved action (once); an unapproved one never runs."""
        with self._lock:
            if not self.approved_by or self._started:
                return self.outcome
            self._started = self._running = True
        try:
            self._run.run()
        finally:
            self._running = False
            self.done = ["approve", self.plan.action, "verify", "record"]
        return self.outcome

    def refuse(self) -> RunOutcome:
        """Not approved after all: a record that says so (nothing was changed)."""
        with self._lock:
            if self._started:
                return self.outcome
            self._started = True
        self._run.refuse()
        self.done = ["record"]
        return self.outcome

    def look(self) -> list[Check]:
        if self.plan.action != "rollback" or self._running:
            return []
        return self._looker.look()

    def settle_now(self) -> None:
        """The action's verification settles by itself."""

    def cancel(self, reason: str = "cancelled", detail: str = "") -> None:
        self._stop = (reason if reason in STOPPED else "cancelled", detail)
        self._run.cancel("interrupted" if reason == "interrupted" else "cancelled")

    def close(self, reason: str = "cancelled", detail: str = "") -> None:
        """The record is written from the first step and closed at the end: nothing left open."""
