"""Verify: the dashboard of checks, refreshed on a timer (paused under a modal), rows updated
in place by key (only changed cells), details pane with the evidence."""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from .base import WizardScreen

ICONS = {"pass": "✓ pass", "warn": "⚠ warn", "fail": "✗ fail", "skip": "- skip", "wait": "… wait"}
REFRESH = 3.0


class Verified(Message):
    def __init__(self, rows: list, error: str | None = None) -> None:
        super().__init__()
        self.rows, self.error = rows, error


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
        self.rows: dict[str, object] = {}
        self.paused = False
        self.refreshes = 0

    def compose_body(self) -> ComposeResult:
        yield DataTable(cursor_type="row", id="checks")
        with VerticalScroll(id="details"):
            yield Static("", id="details-body", markup=False)

    def on_mount(self) -> None:
        self.update_subtitle()
        t = self.query_one("#checks", DataTable)
        t.add_column("status", key="status", width=7)
        t.add_column("check", key="title", width=22)
        t.add_column("what was seen", key="summary")
        self.set_status("verifying…")
        self.action_refresh()
        self.timer = self.set_interval(REFRESH, self._tick)

    def _tick(self) -> None:
        # paused while a modal (or any other screen) is on top, or by the user
        if self.paused or self.app.screen is not self:
            return
        self.action_refresh()

    def action_refresh(self) -> None:
        st = self.app.state
        if st.plan is None:
            return
        self.verify_worker(st.plan)

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def verify_worker(self, plan) -> None:
        st = self.app.state
        try:
            chart = self.app.services.chart(st.chart_ref)
            from ...core.charts.refs import FAMILIES
            label = FAMILIES.get(chart.name).epp_pod_label if chart.name in FAMILIES else "inferencepool"
            rows = self.app.services.verify(plan, st.answers.selector, label)
            self.post_message(Verified(rows))
        except Exception as exc:
            self.post_message(Verified([], error=str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__))

    def on_verified(self, msg: Verified) -> None:
        self.refreshes += 1
        if msg.error:
            self.set_status(f"verification could not run: {msg.error}")
            return
        observed = getattr(self.app.state, "observed", None) or []
        if len(msg.rows) == 1 and msg.rows[0].status == "fail" and observed:
            # no release any more (helm rolled a failed install back): show what was seen while it waited
            from dataclasses import replace
            rows = [msg.rows[0]] + [replace(r, title=f"{r.title} (seen during helm's wait)")
                                    for r in observed if r.id != msg.rows[0].id]
            self.apply_rows(rows)
            return
        self.apply_rows(msg.rows)

    def apply_rows(self, rows: list) -> None:
        """Update the table in place: new rows added, changed cells updated, nothing else touched."""
        t = self.query_one("#checks", DataTable)
        for row in rows:
            cells = {"status": ICONS.get(row.status, row.status), "title": row.title, "summary": row.summary}
            old = self.rows.get(row.id)
            if old is None:
                t.add_row(*cells.values(), key=row.id)
            else:
                old_cells = {"status": ICONS.get(old.status, old.status), "title": old.title, "summary": old.summary}
                for col, value in cells.items():
                    if old_cells[col] != value:
                        t.update_cell(row.id, col, value)
            self.rows[row.id] = row
        self.app.state.checks = list(self.rows.values())
        counts = {s: sum(1 for r in self.rows.values() if r.status == s) for s in ("pass", "fail", "warn", "wait")}
        overall = "FAILING" if counts["fail"] else ("settling" if counts["wait"] else "all checks pass")
        self.set_status(f"{overall}: ✓ {counts['pass']} ✗ {counts['fail']} ⚠ {counts['warn']} … {counts['wait']}"
                        f"{'  (paused)' if self.paused else ''}  · refresh every {REFRESH:.0f}s")
        self.sub_title = f"verify: {overall}"
        self._show_details()

    @on(DataTable.RowHighlighted, "#checks")
    def _row(self) -> None:
        self._show_details()

    def _show_details(self) -> None:
        t = self.query_one("#checks", DataTable)
        if not t.row_count:
            return
        try:
            key = t.coordinate_to_cell_key((t.cursor_row, 0)).row_key.value
        except Exception:
            return
        row = self.rows.get(key)
        if row is None:
            return
        text = [f"{row.title}: {row.status}", row.summary, "", "Evidence:"] + [f"  {e}" for e in row.evidence]
        if row.remedy:
            text += ["", f"What to do: {row.remedy}"]
        body = self.query_one("#details-body", Static)
        new = "\n".join(text)
        if getattr(self, "_details_text", None) != new:
            self._details_text = new
            body.update(new)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.app.notify("refresh paused" if self.paused else "refresh resumed", timeout=2)

    def action_next(self) -> None:
        self.app.state.step("verification: " + ", ".join(f"{r.id}={r.status}" for r in self.rows.values()))
        self.app.goto("record", fresh=True)

    def palette_commands(self):
        return [("Verify: refresh now", "r", self.action_refresh), ("Verify: pause refresh", "p", self.action_pause),
                ("Verify: write the record", "ctrl+n", self.action_next)]
