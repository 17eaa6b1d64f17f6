"""Record: the record the engine wrote for this run (the same files `gaie-tui deploy` writes), its
outcome in words, and keys to open it or copy its path."""
from __future__ import annotations

import os
import shlex
import subprocess

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from .base import WizardScreen


class RecordScreen(WizardScreen):
    STEP = "record"
    BINDINGS = [
        WizardScreen.BACK_BINDING,
        Binding("o", "open", "Open record", id="record.open"),
        Binding("c", "copy_path", "Copy path", id="record.copy"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run = None
        self.shown = False

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="record-body"):
            yield Static("the engine is finishing the record…", id="record-where", markup=False)
            yield Static("", id="record-summary", markup=False)

    def on_mount(self) -> None:
        self.update_subtitle()
        self.run = self.app.approved_run()
        self._poll()
        if not self.shown:
            self._timer = self.set_interval(0.1, self._poll)

    def _poll(self) -> None:
        run = self.run
        if self.shown or run is None or run.running or not run.outcome.finished:
            return
        self.shown = True
        if getattr(self, "_timer", None) is not None:
            self._timer.stop()
        self._show()

    def _show(self) -> None:
        from ...core.deploy.record import STATUS_WORDS
        from ...core.textsafe import visible
        from ..state import discard_own_draft
        out = self.run.outcome
        discard_own_draft(self.app.state)  # the run is recorded: this session's draft has done its job
        where = os.path.abspath(out.record_dir) if out.record_dir else "(no record)"
        demo = ""
        if self.app.simulated_banner and getattr(self.app.session, "record_dir_is_temporary", False):
            demo = "\n(demo: this folder is removed when the demo exits; keep records with --record-dir)"
        self.query_one("#record-where", Static).update(Text(visible(
            f"RECORD WRITTEN\n{where}\n  record.md · record.json · values.yaml · helm.log{demo}\n\n"
            "o opens record.md in $PAGER · c copies the path (OSC 52) · ctrl+q quits")))
        words = STATUS_WORDS.get(out.status, out.status) + (f": {out.reason}" if out.reason else "")
        checks = out.verification
        fails = [c for c in checks if c.status == "fail"]
        n = {s: sum(1 for c in checks if c.status == s) for s in ("pass", "warn", "fail", "skip")}
        lines = ["SUMMARY",
                 f"· {out.plan.chart_name} {out.plan.chart_version} as {out.plan.release} in {out.plan.namespace}",
                 f"· outcome: {out.status} — {words}",
                 f"· helm: revision {out.revision}" if out.revision else "· helm: no revision deployed",
                 f"· verification: {n['pass']} passed, {_n(n['warn'], 'warning')}, {n['fail']} failed, "
                 f"{n['skip']} skipped" if checks else "· verification: not run"]
        lines += [f"  ✗ {c.title}: {c.evidence}" for c in fails]
        self.query_one("#record-summary", Static).update(Text(visible("\n".join(lines))))
        self.set_status(visible(f"record: {where}"))

    def action_copy_path(self) -> None:
        out = self.run.outcome if self.run is not None else None
        if out is not None and out.record_dir:
            self.app.copy_to_clipboard(str(os.path.abspath(out.record_dir)))
            self.app.notify("path copied (OSC 52)", timeout=3)

    def action_open(self) -> None:
        out = self.run.outcome if self.run is not None else None
        if out is None or not out.record_dir:
            return
        pager = os.environ.get("PAGER") or "less"
        try:
            with self.app.suspend():
                subprocess.call([*shlex.split(pager), str(out.record_dir / "record.md")])
        except Exception as exc:  # noqa: BLE001 - no pager, no terminal to hand over
            from ...core.textsafe import visible
            self.app.notify(visible(f"cannot open a pager here: {exc}"), severity="warning", markup=False)

    def palette_commands(self):
        return [("Record: copy path", "c", self.action_copy_path), ("Record: open", "o", self.action_open)]


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
