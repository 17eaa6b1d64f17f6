"""Review: one run of the core engine up to its preflight — the plan in plain words (from what helm
renders), deviations from the chart defaults, the diff against the deployed values on upgrade, the
exact helm command the engine will run, the objects, the preflight checks — and the approval that
lets the same run go on. Approval is blocked (the key disabled, the bar saying why) while anything
blocks it."""
from __future__ import annotations

import shlex

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..guard import guarded
from ..messages import EngineEvent, poster
from ..widgets.action import ActionButton
from .base import WizardScreen

MARKS = {"pass": "✓", "warn": "⚠", "fail": "✗", "skip": "-"}


def check_lines(checks, *, remedies: bool = True) -> list[str]:
    """Checks as lines for people: mark, title, evidence, and what to do about a failure."""
    out = []
    for c in checks:
        out.append(f"{MARKS.get(c.status, '?')} {c.title}: {c.evidence}")
        if remedies and c.status == "fail" and c.remedy:
            out.append(f"    → {c.remedy_for(wizard=True)}")
    return out


class ReviewScreen(WizardScreen):
    STEP = "review"
    BINDINGS = [
        WizardScreen.BACK_BINDING,
        Binding("a", "approve", "Approve…", id="review.approve"),
        Binding("c", "copy_command", "Copy helm cmd", id="review.copy"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run = None            # the core engine run this screen reviews
        self.chart = None
        self.blockers: list[str] = []
        self.busy = ""             # what the run is doing ("rendering", "checking the cluster")
        self._key = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="review-body"):
            yield Static("", id="approval", markup=False)
            yield Static("THE PLAN\n· rendering with helm template…", id="plan", markup=False)
            yield Static("", id="deviations", markup=False)
            yield Static("", id="command", markup=False)
            yield Static("", id="preflight", markup=False)
            yield Static("OBJECTS\n· rendering with helm template…", id="objects", markup=False)
            yield Static("", id="diff", markup=False)
            yield Static("", id="warnings", markup=False)
            yield ActionButton("Approve and deploy…  (a)", id="approve", variant="success")

    def on_mount(self) -> None:
        self.update_subtitle()
        self.build()

    def on_revisit(self) -> None:
        self.update_subtitle()
        self.build()

    def _put(self, wid: str, text: str) -> None:
        from ...core.textsafe import visible
        self.query_one(f"#{wid}", Static).update(Text(visible(text)))

    # ---- the run ------------------------------------------------------------------------------
    @guarded
    def build(self) -> None:
        from ...core.deploy.diff import deviations
        from ...core.errors import UserError
        st = self.app.state
        session = self.app.session
        self.chart = session.chart(st.chart_ref)
        text = st.effective_text()
        st.diagnostics = st.check(self.chart)
        a = st.answers
        create_ns = bool(not st.offline and st.known_namespaces is not None and a.namespace not in st.known_namespaces)
        key = (st.layer_texts(), st.chart_ref, a, st.context, st.offline, create_ns)
        self.blockers = []
        errors = [d for d in [*st.diagnostics, *st.deep_diagnostics] if d.severity == "error"]
        if errors:
            self.blockers.append(f"{len(errors)} error(s) in the values: fix them on Values (esc)")
        if st.offline:
            self.blockers.append("offline: no cluster, so the deploy is unavailable (review only)")
        devs = deviations(self.chart, st.merged_values())
        self._put("deviations", "DEVIATIONS FROM THE CHART DEFAULTS\n" + ("\n".join(f"· {d}" for d in devs) or "· none"))
        warns = [d for d in st.diagnostics if d.severity != "error"]
        self._put("warnings", "REMAINING WARNINGS\n" + ("\n".join(
            f"· {'W' if d.severity == 'warning' else 'i'} line {d.line}: {d.message}" for d in warns) or "· none"))
        run = st.run
        if run is not None and not run.approved_by and self._key == key and run is self.run:
            self._show_run()          # the same plan as before: its render and preflight still hold
            return
        if run is not None and not run.approved_by:
            run.cancel("cancelled")   # an earlier review of other values: stop it, nothing was changed
        elif run is not None:
            run.close("cancelled", "a new plan was reviewed before this run finished")
        try:
            plan = session.plan(self.chart, st.plan_layers(), release=a.release,
                                namespace=a.namespace, create_namespace=create_ns)
        except UserError as exc:
            st.run = self.run = None
            self.blockers.append(f"no plan: {exc.message} ({exc.hint})" if exc.hint else f"no plan: {exc.message}")
            self._put("command", "HELM COMMAND\n· none: " + exc.message)
            self._show_run()
            return
        self._key = key
        self.run = st.run = session.engine(plan, self.chart, on_event=poster(self))
        self._put("command", "HELM COMMAND (c copies it; the values go to helm as values.yaml in the record "
                  "folder created at approval)\n" + shlex.join(plan.shown_argv()))
        self._put("preflight", "" if st.offline else "PREFLIGHT (read-only checks of the cluster)\n· waiting for the "
                  "render…")
        self.busy = "rendering with helm template"
        self.review_worker(self.run, "render" if st.offline else "approve")
        self.deployed_worker(plan.release, plan.namespace, text)
        self._show_run()

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def review_worker(self, run, until: str) -> None:
        run.run(until=until)

    @work(thread=True, exclusive=True, group="review-deployed", exit_on_error=False)
    def deployed_worker(self, release: str, namespace: str, text: str) -> None:
        from ...core.deploy.diff import values_diff
        st = self.app.state
        if st.offline:
            return
        try:
            deployed = self.app.session.deployed_values(release, namespace)
        except Exception:  # noqa: BLE001 - no diff is said as no release
            deployed = None
        lines = ["NEW INSTALL (no deployed release of this name)"] if deployed is None else \
            ["UPGRADE: DIFF AGAINST THE DEPLOYED VALUES", *(values_diff(deployed, text) or ["· no change"])]
        self.app.call_from_thread(self._put, "diff", "\n".join(lines))

    def on_engine_event(self, msg: EngineEvent) -> None:
        ev = msg.event
        if ev.kind == "phase" and ev.phase == "preflight" and not ev.status:
            self.busy = "checking the cluster"
        if ev.kind in ("phase", "check", "waiting", "done"):
            if ev.kind in ("waiting", "done"):
                self.busy = ""
            self._show_run()

    def _show_run(self) -> None:
        """Everything from the run as it stands: summary, objects, preflight, approval."""
        run = self.run
        st = self.app.state
        blockers = list(self.blockers)
        if run is not None:
            out = run.outcome
            exp = run.expected
            if exp is not None:
                self._put("plan", "THE PLAN\n" + "\n".join(f"· {s}" for s in out.summary))
                self._put("objects", "OBJECTS helm template renders\n" + "\n".join(
                    f"· {kind}/{name}" for _, kind, _, name in exp.objects))
            elif out.status == "preflight-failed" or (out.finished and out.explanation):
                why = out.explanation.message if out.explanation else "the chart could not be rendered"
                self._put("plan", f"THE PLAN\n· not known: {why}")
                self._put("objects", f"OBJECTS\n· not rendered: {why}" + (
                    f"\n  → {out.explanation.hint}" if out.explanation and out.explanation.hint else ""))
            pre = [c for c in out.preflight if c.id != "render" or c.status != "pass"]
            if not st.offline and (pre or "preflight" in run.done):
                self._put("preflight", "PREFLIGHT (read-only checks of the cluster)\n" + "\n".join(check_lines(pre)))
            if out.finished and out.status != "awaiting-approval":
                fails = [c for c in out.preflight if c.status == "fail"]
                if fails:
                    blockers.append(f"{len(fails)} preflight check(s) failed: " + ", ".join(c.title for c in fails))
                elif out.status not in ("cancelled", "quit"):
                    blockers.append(out.explanation.message if out.explanation else f"the review stopped: {out.status}")
        self.blockers_now = blockers
        q = self.query_one
        approval = q("#approval", Static)
        ready = run is not None and run.waiting_for_approval and not blockers
        if blockers:
            approval.update(Text("✗ Approval blocked: " + "; ".join(blockers)))
        elif ready:
            prod = self.production()
            approval.update(Text("Ready to approve (a)." + (
                f"  PRODUCTION ({prod}): you will type the release name." if prod else "")))
        else:
            approval.update(Text(f"… {self.busy or 'reviewing'}: approval waits for the render and the preflight"))
        approval.set_class(bool(blockers), "blocked")
        q("#approve", ActionButton).disabled = not ready
        n_err = sum(1 for d in st.diagnostics if d.severity == "error")
        n_warn = sum(1 for d in st.diagnostics if d.severity == "warning")
        if blockers:
            tail = f"approval blocked: {blockers[0]}"
        elif ready:
            tail = "a approves · c copies the helm command"
        else:
            tail = f"{self.busy or 'reviewing'}…"
        self.set_status(f"✗ {n_err} error{'' if n_err == 1 else 's'}  ⚠ {n_warn} warning{'' if n_warn == 1 else 's'}  · {tail}")
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "approve":
            return True if (self.run is not None and self.run.waiting_for_approval
                            and not getattr(self, "blockers_now", ["…"])) else None
        return True

    # ---- actions ------------------------------------------------------------------------------
    def command(self) -> list[str]:
        return self.run.plan.shown_argv() if self.run is not None else []

    def is_production(self) -> bool:
        return self.production() is not None

    def action_copy_command(self) -> None:
        if self.run is None:
            return
        self.app.copy_to_clipboard(shlex.join(self.command()))
        self.app.notify("helm command copied (OSC 52; in tmux: set-clipboard on)", timeout=4)

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        if event.button.id == "approve":
            self.action_approve()

    def action_approve(self) -> None:
        from ...core.textsafe import visible
        if self.check_action("approve", ()) is not True:
            why = "; ".join(getattr(self, "blockers_now", [])) or "the render and the preflight are not done yet"
            self.app.notify(visible(f"Approval blocked: {why}"), severity="error", markup=False)
            return
        from ..widgets.modals import Confirm
        plan = self.run.plan
        prod = self.production()
        question = (f"Deploy release {plan.release} to namespace {plan.namespace} on context "
                    f"{plan.context}?\nchart {plan.chart_name} {plan.chart_version}"
                    + (f"\nThe namespace {plan.namespace} will be created." if plan.create_namespace else "")
                    + (f"\nPRODUCTION: {prod}." if prod else ""))
        self.app.push_screen(Confirm(visible(question), yes="Deploy", no="Not yet",
                                     typed=plan.release if prod else None, danger=bool(prod)),
                             lambda ok: self._approved(ok, bool(prod)))

    def _approved(self, ok: bool | None, prod: bool) -> None:
        if not ok or self.run is None:
            return
        self.run.approve("in the wizard, release name typed (production)" if prod else "in the wizard")
        self.app.goto("deploy", fresh=True)

    def palette_commands(self):
        return [("Review: approve and deploy", "a", self.action_approve),
                ("Review: copy the helm command (OSC 52)", "c", self.action_copy_command)]
