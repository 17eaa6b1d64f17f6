"""Verify: the engine's verification phase as a dashboard — its checks (core `Check`s, shown as they
are) refreshed until they settle, the record then completed by the engine; afterwards the same
checks keep refreshing as a live view (paused under a modal or with p). Rows update in place (only
changed cells); the evidence of the selected check is shown below."""
from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from ..messages import ChecksSeen, EngineEvent, poster
from .base import WizardScreen

ICONS = {"pass": "✓ pass", "warn": "⚠ warn", "fail": "✗ fail", "skip": "- skip", "wait": "… wait"}
REFRESH = 3.0


@dataclass
class Looked(Message):
    checks: list
    error: str | None = None


def shown_status(c) -> str:
    """A check still settling shows as waiting, not as a warning."""
    return "wait" if c.status == "warn" and c.evidence.startswith("waiting:") else c.status


class VerifyScreen(WizardScreen):
    STEP = "verify"
    BINDINGS = [
        WizardScreen.BACK_BINDING,
        Binding("r", "refresh", "Refresh", id="verify.refresh"),
        Binding("p", "pause", "Pause", id="verify.pause"),
        Binding("ctrl+n", "next", "Next: record", id="verify.next"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run = None
        self.rows: dict[str, object] = {}
        self.paused = False
        self.refreshes = 0
        self.settled = False

    def compose_body(self) -> ComposeResult:
        yield DataTable(cursor_type="row", id="checks")
        with VerticalScroll(id="details"):
            yield Static("", id="details-body", markup=False)

    def on_mount(self) -> None:
        self.update_subtitle()
        t = self.query_one("#checks", DataTable)
        t.add_column("status", key="status", width=7)
        t.add_column("check", key="title")
        t.add_column("what was seen", key="summary")
        run = self.run = self.app.approved_run()
        out = run.outcome
        if out.finished and not out.verification:
            # the deploy did not get here: what the watcher saw while helm waited (kept as it was),
            # then live looks below it
            self.apply_rows([replace(c, id=f"seen-{c.id}", title=f"{c.title} (seen while helm waited)")
                             for c in out.observed])
            self.settled = True
            self.action_refresh()
        elif "verify" not in run.done:
            self.set_status("verifying: looking until the checks settle…")
            run.on_event = poster(self)
            self.verify_worker(run)
        else:
            self.settled = True
            self.apply_rows(out.verification)
        self.timer = self.set_interval(REFRESH, self._tick)

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def verify_worker(self, run) -> None:
        run.run(until="record")

    def on_checks_seen(self, msg: ChecksSeen) -> None:
        if msg.phase != "verify":
            return
        self.apply_rows(msg.checks)

    def on_engine_event(self, msg: EngineEvent) -> None:
        if msg.event.kind == "done":
            self.settled = True
            self._say()

    def _tick(self) -> None:
        # paused while a modal (or any other screen) is on top, or by the user
        if self.paused or self.app.screen is not self:
            return
        self.action_refresh()

    def action_refresh(self) -> None:
        if self.run is None or self.run.running:
            return        # the engine's own verification refreshes itself
        self.look_worker(self.run)

    @work(thread=True, exclusive=True, group="verify-look", exit_on_error=False)
    def look_worker(self, run) -> None:
        try:
            checks = run.look()
            self.post_message(Looked(checks))
        except Exception as exc:  # noqa: BLE001 - said in the status line
            from ...core.textsafe import clip
            self.post_message(Looked([], error=clip(getattr(exc, "message", None) or str(exc) or
                                                    type(exc).__name__, 200)))

    def on_looked(self, msg: Looked) -> None:
        self.refreshes += 1
        if msg.error:
            from ...core.textsafe import visible
            self.set_status(visible(f"the cluster could not be asked: {msg.error}"))
            return
        if not msg.checks:
            return
        self.apply_rows(msg.checks)

    def apply_rows(self, checks: list) -> None:
        """Update the table in place: new rows added, changed cells updated, nothing else touched."""
        from ...core.textsafe import clip, visible
        t = self.query_one("#checks", DataTable)
        for c in checks:
            cells = {"status": ICONS.get(shown_status(c), c.status), "title": visible(c.title, one_line=True),
                     "summary": clip(c.evidence.splitlines()[0] if c.evidence else "", 200)}
            old = self.rows.get(c.id)
            if old is None:
                t.add_row(*(Text(v) for v in cells.values()), key=c.id)
            else:
                old_cells = {"status": ICONS.get(shown_status(old), old.status),
                             "title": visible(old.title, one_line=True),
                             "summary": clip(old.evidence.splitlines()[0] if old.evidence else "", 200)}
                for col, value in cells.items():
                    if old_cells[col] != value:
                        t.update_cell(c.id, col, Text(value))
            self.rows[c.id] = c
        self._say()
        self._show_details()

    def _say(self) -> None:
        self.set_status(summary_line(list(self.rows.values()), paused=self.paused, run=self.run))

    @on(DataTable.RowHighlighted, "#checks")
    def _row(self) -> None:
        self._show_details()

    def _show_details(self) -> None:
        from ...core.textsafe import visible
        t = self.query_one("#checks", DataTable)
        if not t.row_count:
            return
        try:
            key = t.coordinate_to_cell_key((t.cursor_row, 0)).row_key.value
        except Exception:  # noqa: BLE001 - no row under the cursor yet
            return
        c = self.rows.get(key)
        if c is None:
            return
        text = [f"{c.title}: {shown_status(c)}", c.evidence, ""]
        if c.looked_at:
            text.append(f"Looked at: {c.looked_at}")
        if c.details:
            text += ["Evidence:"] + [f"  {d}" for d in c.details]
        if c.remedy:
            text += ["", f"What to do: {c.remedy_for(wizard=True)}"]
        new = visible("\n".join(text))
        if getattr(self, "_details_text", None) != new:
            self._details_text = new
            self.query_one("#details-body", Static).update(Text(new))

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._say()
        self.app.notify("refresh paused" if self.paused else "refresh resumed", timeout=2)

    def action_next(self) -> None:
        if self.run is not None and self.run.running:
            self.run.settle_now()     # judge what the next look shows, and write the record
        self.app.goto("record", fresh=True)

    def palette_commands(self):
        return [("Verify: refresh now", "r", self.action_refresh), ("Verify: pause refresh", "p", self.action_pause),
                ("Verify: the record", "ctrl+n", self.action_next)]


_COUNTED = (("pass", "✓", "pass", "pass"), ("fail", "✗", "failed", "failed"), ("warn", "⚠", "warning", "warnings"),
            ("wait", "…", "settling", "settling"), ("skip", "-", "skipped", "skipped"))


def summary_line(checks, *, paused: bool = False, run=None) -> str:
    """The Verify status line, counted as the rows show them: `passing: ✓ 8 pass · - 1 skipped` —
    a skipped check is not a pass, a warning is said as one, nothing counted that is not there."""
    counts = {s: sum(1 for c in checks if shown_status(c) == s) for s, *_ in _COUNTED}
    if counts["fail"]:
        overall = "FAILING"
    elif counts["wait"]:
        overall = "settling"
    elif counts["warn"]:
        overall = "passing with warnings"
    else:
        overall = "passing" if counts["pass"] else "nothing checked yet"
    parts = [f"{mark} {counts[s]} {one if counts[s] == 1 else many}" for s, mark, one, many in _COUNTED if counts[s]]
    record = ""
    if run is not None and run.outcome.finished and run.outcome.record_dir:
        record = "  · record written (ctrl+n)"
    elif run is not None and run.running:
        record = "  · ctrl+n judges now and writes the record"
    return f"{overall}: {' · '.join(parts) or 'no checks'}{'  (paused)' if paused else ''}{record}"
