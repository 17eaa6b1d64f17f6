"""Deploy: the approved run goes on through the engine's deploy phase — helm's output streaming
live (follow-bottom with an "N new lines" indicator), what the cluster shows while helm waits,
cancel — and, when it did not succeed, the explanation and the actions that fit the release state
the engine read (roll back, uninstall, ask again), or back to the values."""
from __future__ import annotations

import re

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Log, Static

from ..messages import ChecksSeen, EngineEvent, HelmOutput, poster
from ..state import save_draft
from ..widgets.action import ActionButton
from .base import WizardScreen

ACTION_LABELS = {"rollback": "Rollback", "uninstall": "Uninstall", "refresh": "Ask again"}


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
        self.run = None
        self.started = 0.0
        self.finished: float | None = None
        self.unseen = 0
        self.lines = 0
        self.acting = False        # a rollback/uninstall/refresh is running

    def compose_body(self) -> ComposeResult:
        yield Static("", id="deploy-state", markup=False)
        yield Static("", id="observed", markup=False)
        yield Log(max_lines=20000, auto_scroll=False, id="helm-log")
        yield Static("", id="new-lines", markup=False)
        yield Static("", id="explanation", markup=False)
        with Horizontal(id="failure-actions"):
            for what, label in ACTION_LABELS.items():
                yield ActionButton(label, id=what, variant="warning" if what == "rollback" else "error"
                                   if what == "uninstall" else "default")
            yield ActionButton("Back to values", id="to-values")

    def on_mount(self) -> None:
        self.update_subtitle()
        for wid in ("#failure-actions", "#new-lines", "#explanation", "#observed"):
            self.query_one(wid).display = False
        self.run = self.app.approved_run()
        self.started = self.app.clock()
        self.set_interval(1.0, self._tick)
        self._tick()
        self.run.on_event = poster(self)
        self.deploy_worker(self.run)

    @work(thread=True, exclusive=True, group="deploy", exit_on_error=False)
    def deploy_worker(self, run) -> None:
        run.run(until="deploy")
        self.post_message(EngineEvent(_Ended()))

    # ---- what the engine says -----------------------------------------------------------------
    def on_helm_output(self, msg: HelmOutput) -> None:
        from ...core.textsafe import visible
        log = self.query_one("#helm-log", Log)
        at_end = log.is_vertical_scroll_end or log.max_scroll_y == 0
        log.write_lines([visible(line.text, one_line=True) for line in msg.lines], scroll_end=at_end)
        self.lines += len(msg.lines)
        if not at_end:
            self.unseen += len(msg.lines)
            ind = self.query_one("#new-lines", Static)
            ind.display = True
            ind.update(f"↓ {self.unseen} new lines — press f to follow")

    def on_checks_seen(self, msg: ChecksSeen) -> None:
        """What the watcher sees while helm waits, as it sees it: the failing and still-waiting
        checks with their reasons (CrashLoopBackOff, ImagePullBackOff …) and the newest lines of the
        EPP's log — a crash loop is visible here long before helm's timeout."""
        if msg.phase != "deploy" or not self.run.helm_running:
            return
        obs = self.query_one("#observed", Static)
        obs.display = True
        obs.update(Text(_visible("\n".join(observed_lines(msg.checks)))))

    def on_engine_event(self, msg: EngineEvent) -> None:
        ev = msg.event
        if ev.kind == "phase" and ev.phase == "approve" and ev.status:
            save_draft(self.app.state)            # the draft names this run's record from now on
        elif ev.kind == "phase" and ev.phase == "deploy" and ev.status:
            self.query_one("#observed").display = False   # helm is done: its "waiting" view is stale
        elif ev.kind == "ended":
            self._ended()
        elif ev.kind == "action-done":
            self._show_failure()      # the release state the engine read after the action

    def _ended(self) -> None:
        run = self.run
        self.finished = self.app.clock()
        self.query_one("#observed").display = False
        self._tick()
        out = run.outcome
        if "deploy" in run.done and not out.finished:
            self.set_status("Deployed. ctrl+n: verify")
            self.app.notify("helm finished: deployed. ctrl+n opens Verify.", timeout=5)
            self.refresh_bindings()
            return
        self._show_failure()

    def _show_failure(self) -> None:
        from ...core.textsafe import visible
        out = self.run.outcome
        exp = self.query_one("#explanation", Static)
        exp.display = True
        lines = [f"✗ {out.status}" + (f": {out.reason}" if out.reason else "")]
        if out.explanation:
            lines.append(f"{out.explanation.message}")
            if out.explanation.hint:
                lines.append(f"→ {out.explanation.hint}")
        if out.release is not None:
            lines.append(_release_words(out.release))
        seen = [c for c in out.observed if c.status == "fail"]
        if seen:
            lines.append("Seen while helm waited: " + "; ".join(f"{c.title}: {c.evidence}" for c in seen[:3]))
            lines.append("(v shows those checks)")
        if out.record_dir:
            lines.append(f"Record: {out.record_dir}")
        exp.update(Text(visible("\n".join(lines))))
        self._show_actions()

    def _show_actions(self) -> None:
        out = self.run.outcome
        self.query_one("#failure-actions").display = True
        for what in ACTION_LABELS:
            self.query_one(f"#{what}", ActionButton).display = what in out.actions
        first = next((w for w in ACTION_LABELS if w in out.actions), "to-values")
        self.query_one(f"#{first}", ActionButton).focus()
        offered = [ACTION_LABELS[w] for w in ACTION_LABELS if w in out.actions] + ["Back to values"]
        self.set_status("Deploy did not succeed: " + " · ".join(offered))
        self.refresh_bindings()

    def _tick(self) -> None:
        if self.app.screen is not self:
            # under Verify (or a modal) this line is not seen, and a layout change on a screen
            # below repaints the whole one on top: a full screen of bytes every second over SSH
            return
        run = self.run
        end = self.finished if self.finished is not None else self.app.clock()
        elapsed = int(end - self.started)
        out = run.outcome
        if self.finished is None:
            state = "helm is deploying" if run.helm_running else "deploying"
        elif "deploy" in run.done and not out.finished:
            state = f"deployed, revision {out.revision}" if out.revision else "deployed"
        else:
            state = out.status.upper() if out.status in ("deploy-failed", "error") else out.status
        line = f"{state} · {elapsed // 60}:{elapsed % 60:02d} elapsed · {run.plan.release} → {run.plan.namespace}"
        if line != getattr(self, "_state_line", None):     # an unchanged line costs no bytes
            self._state_line = line
            self.query_one("#deploy-state", Static).update(Text(_visible(line)))
        log = self.query_one("#helm-log", Log)
        if self.unseen and log.is_vertical_scroll_end:
            self.action_follow()

    # ---- keys ---------------------------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        running = self.run is not None and self.finished is None
        if action == "cancel":
            return True if running else None
        if action == "next":
            ok = self.run is not None and "deploy" in self.run.done and not self.run.outcome.finished
            return True if ok else None
        if action == "checks":
            return None if running else True
        return True

    def action_follow(self) -> None:
        self.query_one("#helm-log", Log).scroll_end(animate=False)
        self.unseen = 0
        self.query_one("#new-lines").display = False

    def action_cancel(self) -> None:
        if self.finished is not None:
            return
        from ..widgets.modals import Confirm
        self.app.push_screen(Confirm("Stop helm now? The release may be left pending; the actions that fit its "
                                     "state are offered after.", yes="Stop helm", no="Keep going", danger=True),
                             self._cancel_confirmed)

    def _cancel_confirmed(self, ok: bool | None) -> None:
        if ok and self.finished is None:
            self.run.cancel("cancelled")
            self.query_one("#helm-log", Log).write_line("… stopping helm")

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        what = event.button.id
        if what == "to-values":
            self.app.goto("values")
        elif what == "refresh":
            self.action_worker("refresh")
        elif what in ("rollback", "uninstall") and not self.acting:
            from ...core.textsafe import visible
            from ..widgets.modals import Confirm
            plan = self.run.plan
            self.app.push_screen(Confirm(visible(f"{what.capitalize()} release {plan.release} in {plan.namespace}?"),
                                         yes=what.capitalize(), no="No", danger=True),
                                 lambda ok: self.action_worker(what) if ok else None)

    @work(thread=True, exclusive=True, group="release-action", exit_on_error=False)
    def action_worker(self, what: str) -> None:
        self.acting = True
        run = self.run
        try:
            if what == "refresh":
                run.refresh_release()
            else:
                self.post_message(HelmOutput([_note(f"$ helm {what} {run.plan.release} -n {run.plan.namespace}")]))
                run.release_action(what, on_line=lambda ln: self.post_message(HelmOutput([ln])))
        finally:
            self.acting = False
            self.post_message(EngineEvent(_ActionDone(what)))

    def action_next(self) -> None:
        if self.check_action("next", ()) is not True:
            self.app.notify("helm is still running" if self.finished is None else "the deploy did not succeed",
                            timeout=3)
            return
        self.app.goto("verify", fresh=True)

    def action_checks(self) -> None:
        """The Verify dashboard, also after a failed deploy (with what was seen while helm waited)."""
        if self.finished is None:
            self.app.notify("helm is still running", timeout=3)
            return
        self.app.goto("verify", fresh=True)

    def action_back(self) -> None:
        if self.finished is None:
            self.app.notify("helm is still running: x cancels it", timeout=3)
            return
        if "deploy" in self.run.done and not self.run.outcome.finished:
            self.app.notify("deployed: ctrl+n verifies it, and the record is finished there", timeout=4)
            return
        self.app.goto("values")

    def palette_commands(self):
        return [("Deploy: cancel helm", "x", self.action_cancel), ("Deploy: follow output", "f", self.action_follow),
                ("Deploy: verify", "ctrl+n", self.action_next)]


class _Ended:
    kind = "ended"


class _ActionDone:
    kind = "action-done"

    def __init__(self, what: str) -> None:
        self.what = what


def _note(text: str):
    import time

    from ...core.cluster.helm import LogLine
    return LogLine(time.time(), "gaie", text)


def _visible(text: str) -> str:
    from ...core.textsafe import visible
    return visible(text)


def _release_words(state) -> str:
    """The release state as the engine read it, in words that match the actions offered."""
    if state.status == "absent":
        return "The release does not exist now (helm removed the failed first install, or never created it): " \
               "nothing to roll back."
    if state.status == "unknown":
        return f"The release state is UNKNOWN: {state.error}. Ask again once the cluster answers."
    return f"The release is {state.status}" + (f" (revision {state.revision})." if state.revision else ".")


OBSERVED_LOG_LINES = 3
_POD_STATUS = re.compile(r"^[^:]+: (Pending|Running|Succeeded|Failed|Unknown|\?), (Ready|not Ready), restarts")


def observed_lines(checks) -> list[str]:
    """The Deploy screen's view of the cluster while helm waits: a line per failing or waiting
    check (failures first), then the newest EPP log lines the checks quote."""
    bad = [c for c in checks if c.status == "fail"] + \
          [c for c in checks if c.status == "warn" and c.evidence.startswith("waiting")]
    if not bad:
        return ["while helm waits: every check passes so far"]
    out = ["while helm waits, the cluster shows:"]
    out += [f"{'✗' if c.status == 'fail' else '…'} {c.title}: {c.evidence.removeprefix('waiting: ')}" for c in bad[:3]]
    logs: list[str] = []
    for c in bad:
        if c.id in ("epp-pods", "epp-logs"):
            logs += [d for d in c.details if not _POD_STATUS.match(d) and d not in logs]
    out += [f"  │ {line}" for line in logs[-OBSERVED_LOG_LINES:]]
    return out
