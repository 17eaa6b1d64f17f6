"""Deploy: helm output streaming live, follow-bottom with an "N new lines" indicator, cancel,
and on failure the explanation with Rollback / Uninstall / Back-to-values."""
from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Log, Static

from ..widgets.action import ActionButton
from .base import WizardScreen


class HelmLine(Message):
    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class DeployDone(Message):
    def __init__(self, result) -> None:
        super().__init__()
        self.result = result


class Observed(Message):
    def __init__(self, rows: list) -> None:
        super().__init__()
        self.rows = rows


class ActionDone(Message):
    def __init__(self, what: str, ok: bool, output: str) -> None:
        super().__init__()
        self.what, self.ok, self.output = what, ok, output


class DeployScreen(WizardScreen):
    STEP = "deploy"
    BINDINGS = [
        Binding("escape", "back", "Back", id="nav.back"),
        Binding("x", "cancel", "Cancel deploy", id="deploy.cancel"),
        Binding("f", "follow", "Follow", id="deploy.follow"),
        Binding("ctrl+n", "next", "Next: verify", id="deploy.next"),
        Binding("v", "checks", "Checks", id="deploy.checks"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.started = 0.0
        self.finished: float | None = None
        self.unseen = 0
        self.lines = 0
        self.result = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="deploy-state", markup=False)
        yield Static("", id="observed", markup=False)
        yield Log(max_lines=20000, auto_scroll=False, id="helm-log")
        yield Static("", id="new-lines", markup=False)
        yield Static("", id="explanation", markup=False)
        with Horizontal(id="failure-actions"):
            yield ActionButton("Rollback", id="rollback", variant="warning")
            yield ActionButton("Uninstall", id="uninstall", variant="error")
            yield ActionButton("Back to values", id="to-values")

    def on_mount(self) -> None:
        self.update_subtitle()
        self.query_one("#failure-actions").display = False
        self.query_one("#new-lines").display = False
        self.query_one("#explanation").display = False
        st = self.app.state
        self.started = self.app.clock()
        self.set_interval(1.0, self._tick)
        self._tick()
        st.deploy_running = True
        self.app.deploy_cancel = threading.Event()
        st.step("deploy started")
        st.observed = []
        self.query_one("#observed").display = False
        self.run_helm(st.plan, self.app.deploy_cancel)

    def on_observed(self, msg: Observed) -> None:
        st = self.app.state
        st.observed = msg.rows
        bad = [r for r in msg.rows if r.status in ("fail", "wait")]
        obs = self.query_one("#observed", Static)
        obs.display = True
        if bad:
            obs.update("while helm waits: " + "; ".join(f"{'✗' if r.status == 'fail' else '…'} {r.title}: {r.summary}"
                                                        for r in bad[:2]))
        else:
            obs.update("while helm waits: every check passes so far")

    @work(thread=True, exclusive=True, group="helm", exit_on_error=False)
    def run_helm(self, plan, cancel: threading.Event) -> None:
        try:
            # core.deploy.helm_observed watches the cluster while helm waits (the --wait progress
            # view), the same loop as `gaie-tui deploy`; each view arrives as Observed
            result = self.app.services.deploy(plan, lambda line: self.post_message(HelmLine(line)), cancel,
                                              on_observed=lambda rows: self.post_message(Observed(rows)))
        except Exception as exc:
            from ..app import write_error_log
            from ..services import DeployResult
            path = write_error_log(exc)
            result = DeployResult(False, explanation=f"the deploy could not run: {exc} (details: {path})")
        self.post_message(DeployDone(result))

    def on_helm_line(self, msg: HelmLine) -> None:
        log = self.query_one("#helm-log", Log)
        at_end = log.is_vertical_scroll_end or log.max_scroll_y == 0
        log.write_line(msg.line, scroll_end=at_end)
        self.lines += 1
        if not at_end:
            self.unseen += 1
            ind = self.query_one("#new-lines", Static)
            ind.display = True
            ind.update(f"↓ {self.unseen} new lines — press f to follow")

    def action_follow(self) -> None:
        self.query_one("#helm-log", Log).scroll_end(animate=False)
        self.unseen = 0
        self.query_one("#new-lines").display = False

    def _tick(self) -> None:
        if self.app.screen is not self:
            # under Verify (or a modal) this line is not seen, and a layout change on a screen
            # below repaints the whole one on top: a full screen of bytes every second over SSH
            return
        end = self.finished if self.finished is not None else self.app.clock()
        elapsed = int(end - self.started)
        if self.result is None:
            state = "deploying"
        elif self.result.ok:
            state = f"deployed, revision {self.result.revision}" if self.result.revision else "deployed"
        elif self.result.cancelled:
            state = "cancelled"
        else:
            state = "FAILED"
        plan = self.app.state.plan
        line = f"{state} · {elapsed // 60}:{elapsed % 60:02d} elapsed · {plan.release} → {plan.namespace}"
        if line != getattr(self, "_state_line", None):     # an unchanged line costs no bytes
            self._state_line = line
            self.query_one("#deploy-state", Static).update(line)
        log = self.query_one("#helm-log", Log)
        if self.unseen and log.is_vertical_scroll_end:
            self.action_follow()

    def on_deploy_done(self, msg: DeployDone) -> None:
        st = self.app.state
        st.deploy_running = False
        self.result = msg.result
        st.deploy_result = msg.result
        self.finished = self.app.clock()
        self._tick()
        if msg.result.ok:
            st.step(f"deployed (revision {msg.result.revision})")
            self.set_status("Deployed. ctrl+n: verify")
            self.app.notify("helm finished: deployed. ctrl+n opens Verify.", timeout=5)
        else:
            st.step("deploy cancelled" if msg.result.cancelled else "deploy failed")
            exp = self.query_one("#explanation", Static)
            exp.display = True
            seen = [r for r in getattr(st, "observed", []) if r.status == "fail"]
            text = "✗ " + msg.result.explanation
            if seen:
                text += "\nSeen while helm waited: " + "; ".join(f"{r.title}: {r.summary}" for r in seen[:3])
                text += "\n(v shows those checks)"
            exp.update(text)
            self.query_one("#failure-actions").display = True
            self.query_one("#rollback", ActionButton).focus()
            self.set_status("Deploy did not succeed: Rollback, Uninstall, or Back to values")

    def action_cancel(self) -> None:
        if not self.app.state.deploy_running:
            return
        from ..widgets.modals import Confirm
        self.app.push_screen(Confirm("Stop helm now? The release may be left pending; you can roll back after.",
                                     yes="Stop helm", no="Keep going", danger=True), self._cancel_confirmed)

    def _cancel_confirmed(self, ok: bool | None) -> None:
        if ok and self.app.deploy_cancel is not None:
            self.app.deploy_cancel.set()
            self.query_one("#helm-log", Log).write_line("… stopping helm")

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        if event.button.id == "to-values":
            self.app.goto("values")
        elif event.button.id in ("rollback", "uninstall"):
            from ..widgets.modals import Confirm
            what = event.button.id
            plan = self.app.state.plan
            self.app.push_screen(Confirm(f"{what.capitalize()} release {plan.release} in {plan.namespace}?",
                                         yes=what.capitalize(), no="No", danger=True),
                                 lambda ok: self.run_action(what) if ok else None)

    @work(thread=True, exclusive=True, group="helm-action", exit_on_error=False)
    def run_action(self, what: str) -> None:
        svc, plan = self.app.services, self.app.state.plan
        self.post_message(HelmLine(f"$ helm {what} {plan.release} --namespace {plan.namespace}"))
        ok, out = (svc.rollback if what == "rollback" else svc.uninstall)(plan)
        self.post_message(ActionDone(what, ok, out))

    def on_action_done(self, msg: ActionDone) -> None:
        log = self.query_one("#helm-log", Log)
        for line in msg.output.splitlines():
            log.write_line(line)
        self.app.state.step(f"{msg.what}: {'done' if msg.ok else 'failed'}")
        self.app.notify(f"{msg.what} {'done' if msg.ok else 'failed'}", severity="information" if msg.ok else "error")

    def action_next(self) -> None:
        if self.app.state.deploy_running:
            self.app.notify("helm is still running", timeout=3)
            return
        self.app.goto("verify", fresh=True)

    def action_checks(self) -> None:
        """The Verify dashboard, also after a failed deploy (with what was seen while helm waited)."""
        if self.app.state.deploy_running:
            self.app.notify("helm is still running", timeout=3)
            return
        self.app.goto("verify", fresh=True)

    def action_back(self) -> None:
        if self.app.state.deploy_running:
            self.app.notify("helm is still running: x cancels it", timeout=3)
            return
        self.app.goto("review")

    def palette_commands(self):
        return [("Deploy: cancel helm", "x", self.action_cancel), ("Deploy: follow output", "f", self.action_follow),
                ("Deploy: verify", "ctrl+n", self.action_next)]
