"""Record: where the record was written, its summary, keys to open it or copy its path."""
from __future__ import annotations

import os
import shlex
import subprocess

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ..state import discard_draft
from .base import WizardScreen


class Written(Message):
    def __init__(self, path, error: str | None = None) -> None:
        super().__init__()
        self.path, self.error = path, error


class RecordScreen(WizardScreen):
    STEP = "record"
    BINDINGS = [
        WizardScreen.BACK_BINDING,
        Binding("o", "open", "Open record", id="record.open"),
        Binding("c", "copy_path", "Copy path", id="record.copy"),
    ]

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="record-body"):
            yield Static("writing the record…", id="record-where", markup=False)
            yield Static("", id="record-summary", markup=False)

    def on_mount(self) -> None:
        self.update_subtitle()
        st = self.app.state
        st.step("record written")
        self.write_worker()

    @work(thread=True, exclusive=True, group="record", exit_on_error=False)
    def write_worker(self) -> None:
        st = self.app.state
        try:
            path = self.app.services.write_record(st.plan, st.deploy_result, list(st.checks), list(st.steps))
            self.post_message(Written(path))
        except Exception as exc:
            self.post_message(Written(None, error=str(exc)))

    def on_written(self, msg: Written) -> None:
        st = self.app.state
        if msg.error:
            self.query_one("#record-where", Static).update(f"✗ the record could not be written: {msg.error}")
            return
        st.record_path = msg.path
        discard_draft()  # deployed and recorded: the draft has done its job
        where = os.path.abspath(msg.path)
        demo = "\n(demo: this folder is removed when the demo exits)" if self.app.simulated_banner else ""
        self.query_one("#record-where", Static).update(
            f"RECORD WRITTEN\n{where}\n  record.md · record.json · values.yaml · helm.log{demo}\n\n"
            "o opens record.md in $PAGER · c copies the path (OSC 52) · ctrl+q quits")
        res = st.deploy_result
        checks = st.checks
        fails = [c for c in checks if c.status == "fail"]
        lines = ["SUMMARY",
                 f"· {st.plan.chart_name} {st.plan.chart_version} as {st.plan.release} in {st.plan.namespace}",
                 f"· deploy: {'ok, revision ' + str(res.revision) if res and res.ok else 'not successful'}",
                 f"· verification: {len(checks) - len(fails)}/{len(checks)} checks pass"]
        lines += [f"  ✗ {c.title}: {c.summary}" for c in fails]
        self.query_one("#record-summary", Static).update("\n".join(lines))
        self.set_status(f"record: {where}")

    def action_copy_path(self) -> None:
        if self.app.state.record_path:
            self.app.copy_to_clipboard(str(os.path.abspath(self.app.state.record_path)))
            self.app.notify("path copied (OSC 52)", timeout=3)

    def action_open(self) -> None:
        path = self.app.state.record_path
        if not path:
            return
        pager = os.environ.get("PAGER") or "less"
        try:
            with self.app.suspend():
                subprocess.call([*shlex.split(pager), str(path / "record.md")])
        except Exception as exc:
            self.app.notify(f"cannot open a pager here: {exc}", severity="warning", markup=False)

    def palette_commands(self):
        return [("Record: copy path", "c", self.action_copy_path), ("Record: open", "o", self.action_open)]
