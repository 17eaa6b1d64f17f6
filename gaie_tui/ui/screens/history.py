"""History: every revision helm keeps of a release (core `actions.history`) — its status, chart
version, the EPP image in its manifest, when — and, for the revision under the cursor, what changed
in the values from the revision before. enter (or r) on a revision plans a rollback to it, reviewed
and approved on the action screen."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from .daytwo import DayTwoScreen, first_line

COLUMNS = (("rev", "REV"), ("status", "STATUS"), ("chart", "CHART"), ("image", "EPP IMAGE"), ("age", "AGE"),
           ("description", "DESCRIPTION"))


@dataclass
class HistoryLoaded(Message):
    history: object = None          # core.deploy.actions.History
    error: str | None = None


def ago(when: datetime | None) -> str:
    if when is None:
        return "?"
    secs = max(0, int((datetime.now(UTC) - when).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit}"
    return f"{secs}s"


class HistoryScreen(DayTwoScreen):
    TRAIL = "Releases › History"
    DEFAULT_CSS = """
    HistoryScreen #history { height: 1fr; min-height: 4; }
    HistoryScreen #history-details { height: 2fr; border-top: solid $panel-lighten-2; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="nav.back"),
        Binding("r", "rollback", "Roll back to it", id="history.rollback"),
        Binding("ctrl+r", "reload", "Reload", id="history.reload", show=False),
    ]

    def __init__(self, release) -> None:
        super().__init__(release)
        self.history = None

    def compose_body(self) -> ComposeResult:
        yield DataTable(cursor_type="row", id="history")
        with VerticalScroll(id="history-details"):
            yield Static("", id="history-detail", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#history", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.update_subtitle()
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        self.set_status(f"reading the history of {self.release.name} (values and manifest of each revision)…")
        self._load(self.release)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _load(self, rel) -> None:
        try:
            hist = self.app.session.release_history(rel.name, rel.namespace)
        except Exception as exc:  # noqa: BLE001 - said in the status line
            self.post_message(HistoryLoaded(error=first_line(exc)))
            return
        self.post_message(HistoryLoaded(hist))

    def on_history_loaded(self, msg: HistoryLoaded) -> None:
        from ...core.textsafe import visible
        if msg.error:
            self.set_status(visible(f"✗ {msg.error}", one_line=True))
            return
        self.history = hist = msg.history
        table = self.query_one("#history", DataTable)
        table.clear()
        cur = hist.current
        for rev in reversed(hist.revisions):           # newest first, as helm history reads best
            status = rev.status + (" (current)" if cur is not None and rev.number == cur.number else "")
            row = {"rev": str(rev.number), "status": status, "chart": f"{rev.chart} {rev.chart_version}",
                   "image": rev.image or "-", "age": ago(rev.updated), "description": rev.description}
            table.add_row(*(Text(visible(row[k], one_line=True)) for k, _ in COLUMNS), key=str(rev.number))
        good = hist.last_good(cur.number) if cur else None
        self.set_status(f"{len(hist.revisions)} revision(s); enter or r on an earlier one plans a rollback to it"
                        + (f" (the last that deployed before this one: {good.number})" if good else ""))
        self._show_details()

    def selected(self):
        table = self.query_one("#history", DataTable)
        if self.history is None or not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        except Exception:  # noqa: BLE001 - no row under the cursor yet
            return None
        return self.history.get(int(key))

    @on(DataTable.RowHighlighted, "#history")
    def _highlighted(self) -> None:
        self._show_details()

    @on(DataTable.RowSelected, "#history")
    def _chosen(self) -> None:
        self.action_rollback()

    def _show_details(self) -> None:
        from ...core.textsafe import visible
        rev = self.selected()
        if rev is None:
            return
        hist = self.history
        diff = hist.diff(rev.number)
        prev = next((r for r in reversed(hist.revisions) if r.number < rev.number), None)
        lines = [f"Revision {rev.number}: {rev.status}, chart {rev.chart} {rev.chart_version}, "
                 f"{ago(rev.updated)} ago" + (f", a rollback to revision {rev.rollback_of}" if rev.rollback_of else ""),
                 f"EPP image: {rev.image or 'unknown'}",
                 f"helm: {rev.description or '(no description)'}", ""]
        lines.append(f"VALUES CHANGED FROM REVISION {prev.number}" if prev else "VALUES (the first revision helm keeps)")
        lines += [f"· {c.describe()}" for c in diff.changes] or ["· none"]
        cur = hist.current
        lines.append("")
        if cur is not None and rev.number == cur.number:
            lines.append("This is the current revision.")
        else:
            lines.append(f"enter or r: roll back to revision {rev.number} (reviewed and approved first)")
        new = visible("\n".join(lines))
        if getattr(self, "_detail_text", None) != new:
            self._detail_text = new
            self.query_one("#history-detail", Static).update(Text(new))

    def action_rollback(self) -> None:
        from ...core.textsafe import visible
        rev = self.selected()
        if rev is None:
            return
        cur = self.history.current
        if cur is not None and rev.number == cur.number:
            self.app.notify(visible(f"revision {rev.number} is the current revision: choose an earlier one"),
                            markup=False, timeout=4)
            return
        if self.busy_run():
            return
        self._prepare(self.release, "rollback", (rev.number, self.history))

    def palette_commands(self):
        return [("History: roll back to the selected revision", "r", self.action_rollback),
                ("History: read it again", "ctrl+r", self.action_reload)]
