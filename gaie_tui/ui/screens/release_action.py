"""An action on an existing release — rollback, uninstall, or a stuck release's recovery — from its
review to its outcome, on one screen:

1. the plan as core wrote it (`ActionPlan.summary()`: what changes, every object an uninstall
   deletes, why a stuck release is recovered this way), the exact helm command, and for a rollback
   the values that change;
2. approval (a), asked again in a dialog — the release name typed on production;
3. the run (core `ReleaseAction` over `actions.ActionRun`): its steps, helm's output, the
   verification as it settles, x cancels (helm is stopped, the record says so);
4. the outcome in words, the release state afterwards and where the record is; after a rollback
   v opens the Verify dashboard on the release.
"""
from __future__ import annotations

import shlex
from collections import deque
from dataclasses import replace

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..messages import ChecksSeen, EngineEvent, HelmOutput, poster
from ..widgets.action import ActionButton
from .daytwo import DayTwoScreen

VERBS = {"rollback": "Roll back", "uninstall": "Uninstall"}
MARKS = {"pass": "✓", "warn": "⚠", "fail": "✗", "skip": "-", "": "·"}
TAIL = 12   # helm output lines shown


class ActionScreen(DayTwoScreen):
    DEFAULT_CSS = """
    ActionScreen #action-body { padding: 0 1; }
    ActionScreen #action-body Static { margin-bottom: 1; }
    ActionScreen #action-approval { text-style: bold; }
    ActionScreen #action-outcome { text-style: bold; }
    ActionScreen #action-approve { margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="nav.back"),
        Binding("a", "approve", "Approve…", id="action.approve"),
        Binding("x", "cancel", "Cancel", id="action.cancel"),
        Binding("c", "copy_command", "Copy helm cmd", id="action.copy"),
        Binding("v", "dashboard", "Dashboard", id="action.dashboard"),
    ]

    def __init__(self, release, plan) -> None:
        super().__init__(release)
        self.plan = plan                 # core.deploy.actions.ActionPlan
        self.runner = None               # core.deploy.release_runs.ReleaseAction, once approved
        self.steps: list[str] = []
        self.helm_lines: deque[str] = deque(maxlen=TAIL)
        self.checks: list = []
        self.outcome = None              # core ActionOutcome, once done
        self.TRAIL = "Releases › " + ("Recover" if plan.why else VERBS.get(plan.action, plan.action))

    def compose_body(self) -> ComposeResult:
        verb = VERBS.get(self.plan.action, self.plan.action)
        with VerticalScroll(id="action-body"):
            yield Static("", id="action-approval", markup=False)
            yield Static("", id="action-plan", markup=False)
            yield Static("", id="action-command", markup=False)
            yield Static("", id="action-values", markup=False)
            yield ActionButton(f"Approve: {verb.lower()}…  (a)", id="action-approve",
                               variant="error" if self.plan.action == "uninstall" else "warning")
            yield Static("", id="action-progress", markup=False)
            yield Static("", id="action-outcome", markup=False)

    def on_mount(self) -> None:
        from ...core.cluster.helm import redact_argv
        p = self.plan
        self.update_subtitle()
        self._put("action-plan", "THE PLAN\n" + "\n".join(f"· {line}" for line in p.summary()))
        self._put("action-command", "HELM COMMAND (c copies it)\n" + shlex.join(redact_argv(p.argv())))
        if p.action == "rollback" and p.values_diff is not None:
            d = p.values_diff
            self._put("action-values", f"VALUES: REVISION {p.revision} (NOW) → REVISION {p.target}\n" + (
                "\n".join(f"· {c.describe()}" for c in d.changes) if not d.empty else "· no change"))
        else:
            self.query_one("#action-values").display = False
        self.query_one("#action-progress").display = False
        self._show()
        # the plan stays at the top of the screen: focusing the button must not scroll it away
        self.query_one("#action-approve", ActionButton).focus(scroll_visible=False)

    def _put(self, wid: str, text: str) -> None:
        from ...core.textsafe import visible
        self.query_one(f"#{wid}", Static).update(Text(visible(text)))

    # ---- state --------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.runner is not None and self.runner.running

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def _show(self) -> None:
        p = self.plan
        approval = self.query_one("#action-approval", Static)
        button = self.query_one("#action-approve", ActionButton)
        if self.done:
            approval.update("")
            approval.display = False
        elif self.running:
            approval.update(Text(f"{VERBS.get(p.action, p.action)} in progress… (x cancels: helm is stopped and the "
                                 "record says so)"))
        else:
            approval.update(Text("Ready to approve (a)." + (
                f"  PRODUCTION ({p.production}): you will type the release name." if p.production else "")))
        button.display = self.runner is None
        self.refresh_bindings()
        if self.done:
            self._say_outcome()
        elif self.running:
            self.set_status(f"{VERBS.get(p.action, p.action).lower()}ing {p.release}… · x cancels")
        else:
            self.set_status("a approves · c copies the helm command · esc back (nothing is changed until you approve)")

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "approve":
            return True if self.runner is None else None
        if action == "cancel":
            return True if self.running else None
        if action == "dashboard":
            return True if (self.done and self.plan.action == "rollback") else None
        return True

    # ---- approval and the run -----------------------------------------------------------------
    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        if event.button.id == "action-approve":
            self.action_approve()

    def action_approve(self) -> None:
        from ...core.textsafe import visible
        from ..widgets.modals import Confirm
        if self.runner is not None or self.busy_run():
            return
        p = self.plan
        verb = VERBS.get(p.action, p.action)
        target = f" to revision {p.target}" if p.action == "rollback" else ""
        question = (f"{verb} release {p.release}{target} in namespace {p.namespace} on context {p.context}?\n"
                    + p.summary()[0]
                    + (f"\nPRODUCTION: {p.production}." if p.production else ""))
        self.app.push_screen(Confirm(visible(question), yes=verb, no="Not yet",
                                     typed=p.release if p.production else None,
                                     danger=bool(p.production) or p.action == "uninstall"),
                             self._approved)

    def _approved(self, ok: bool | None) -> None:
        from ...core.deploy.release_runs import ReleaseAction
        from .daytwo import retire_run
        if not ok or self.runner is not None:
            return
        session, st = self.app.session, self.app.state
        runner = ReleaseAction(self.plan, cluster=session.cluster(), record_parent=session.record_dir,
                               verify_wait=session.verify_wait, interval=session.observe_interval,
                               on_event=poster(self))
        runner.approve("in the wizard, release name typed (production)" if self.plan.production else "in the wizard")
        retire_run(self.app)
        st.answers = replace(st.answers, release=self.plan.release, namespace=self.plan.namespace)
        st.run = self.runner = runner      # quitting or a signal now stops it, and its record says so
        self.steps.append(f"approved {runner.approved_by}")
        self.query_one("#action-progress").display = True
        self._progress()
        self._show()
        self._run_worker(runner)

    @work(thread=True, exclusive=True, group="release-action", exit_on_error=False)
    def _run_worker(self, runner) -> None:
        runner.run()

    def on_engine_event(self, msg: EngineEvent) -> None:
        ev = msg.event
        if ev.kind == "step":
            self.steps.append(f"{MARKS.get(ev.status, '·')} [{ev.phase}] {ev.message}")
            self._progress()
        elif ev.kind == "done":
            self.outcome = ev.outcome
            self._progress()
            self._show()

    def on_helm_output(self, msg: HelmOutput) -> None:
        self.helm_lines.extend(line.text for line in msg.lines)
        self._progress()

    def on_checks_seen(self, msg: ChecksSeen) -> None:
        self.checks = msg.checks
        self._progress()

    def _progress(self) -> None:
        from ...core.textsafe import visible
        lines = ["PROGRESS", *self.steps]
        if self.helm_lines:
            lines += ["", "helm:"] + [f"  {visible(t, one_line=True)}" for t in self.helm_lines]
        if self.checks:
            lines += ["", "VERIFICATION"] + [f"{MARKS.get(c.status, '?')} {c.title}: {c.evidence.splitlines()[0] if c.evidence else ''}"
                                             for c in self.checks]
        self._put("action-progress", "\n".join(lines))

    def _say_outcome(self) -> None:
        import os

        from ...core.deploy.actions import STATUS_WORDS
        from ...core.textsafe import visible
        out = self.outcome
        where = os.path.abspath(out.record_dir) if out.record_dir else "(no record)"
        after = (f"the release is now {out.release_status} (revision {out.revision})" if out.release_status
                 else "the release no longer exists")
        lines = [f"OUTCOME: {out.status} — {STATUS_WORDS.get(out.status, out.status)}", f"· {after}"]
        if out.remaining:
            lines.append("· still there: " + ", ".join(out.remaining))
        if out.explanation and out.status not in ("rolled-back", "uninstalled"):
            lines.append(f"· {out.explanation.message}" + (f"\n  → {out.explanation.hint}" if out.explanation.hint
                                                          else ""))
        lines += ["", f"RECORD WRITTEN\n{where}\n  record.md · record.json · values.yaml · helm.log"]
        lines.append("\nv opens the Verify dashboard on the release · esc back to the releases"
                     if self.plan.action == "rollback" else "\nesc back to the releases")
        self._put("action-outcome", "\n".join(lines))
        self.set_status(visible(f"{out.status} · record: {where}", one_line=True))
        self.query_one("#action-outcome").scroll_visible()

    def action_cancel(self) -> None:
        from ..widgets.modals import Confirm
        if not self.running:
            return
        self.app.push_screen(Confirm("Stop helm now? The release may be left pending; the record says it was "
                                     "cancelled.", yes="Stop helm", no="Let it finish", danger=True),
                             lambda ok: self.runner.cancel("cancelled") if ok and self.running else None)

    def action_dashboard(self) -> None:
        if self.done and self.plan.action == "rollback":
            self.app.goto("verify", fresh=True)

    def action_copy_command(self) -> None:
        from ...core.cluster.helm import redact_argv
        self.app.copy_to_clipboard(shlex.join(redact_argv(self.plan.argv())))
        self.app.notify("helm command copied (OSC 52; in tmux: set-clipboard on)", timeout=4)

    def action_back(self) -> None:
        if self.running:
            self.app.notify("the action is running: x cancels it", severity="warning", markup=False)
            return
        if self.done:
            # back to the releases (they look again at once), past the history or diagnosis that led here
            if any(type(s).__name__ == "ReleasesScreen" for s in self.app.screen_stack):
                self.app.show_releases()
                return
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def palette_commands(self):
        return [("Action: approve", "a", self.action_approve), ("Action: cancel helm", "x", self.action_cancel),
                ("Action: copy the helm command", "c", self.action_copy_command)]
