"""A stuck release (pending-install, pending-upgrade, pending-rollback, uninstalling): what happened,
from helm's release record and the cluster's events (core `actions.diagnose`), and the recoveries
that fit — the recommended one first (roll back to the last revision that deployed, or uninstall
when none ever did). Choosing one plans it; the action screen reviews it and asks for approval."""
from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static

from .daytwo import DayTwoScreen, first_line


@dataclass
class Diagnosed(Message):
    diagnosis: object = None        # core.deploy.actions.StuckDiagnosis
    error: str | None = None


def recovery_label(r, recommended: bool) -> str:
    what = f"Roll back to revision {r.revision}" if r.action == "rollback" else "Uninstall"
    return f"{what}{'  (recommended)' if recommended else ''} — {r.reason}"


class StuckScreen(DayTwoScreen):
    TRAIL = "Releases › Stuck"
    DEFAULT_CSS = """
    StuckScreen #stuck-body { height: 1fr; padding: 0 1; }
    StuckScreen #stuck-body Static { margin-bottom: 1; }
    StuckScreen #recoveries { height: auto; max-height: 5; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="nav.back"),
        Binding("ctrl+r", "reload", "Look again", id="stuck.reload"),
    ]

    def __init__(self, release) -> None:
        super().__init__(release)
        self.diagnosis = None
        self.options: list = []

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="stuck-body"):
            yield Static("reading the release record and the cluster's events…", id="stuck-what", markup=False)
            yield OptionList(id="recoveries")
            yield Static("", id="stuck-events", markup=False)

    def on_mount(self) -> None:
        self.update_subtitle()
        self.query_one("#recoveries").display = False
        self.action_reload()

    def action_reload(self) -> None:
        self.set_status(f"diagnosing {self.release.name}…")
        self._diagnose(self.release)

    @work(thread=True, exclusive=True, group="stuck", exit_on_error=False)
    def _diagnose(self, rel) -> None:
        try:
            diag = self.app.session.diagnose_release(rel.name, rel.namespace)
        except Exception as exc:  # noqa: BLE001 - said on the screen
            self.post_message(Diagnosed(error=first_line(exc)))
            return
        self.post_message(Diagnosed(diag))

    def on_diagnosed(self, msg: Diagnosed) -> None:
        from ...core.textsafe import visible
        what = self.query_one("#stuck-what", Static)
        if msg.error:
            what.update(Text(visible(f"✗ {msg.error}\n\nctrl+r looks again · esc back")))
            self.set_status("could not diagnose the release")
            return
        self.diagnosis = d = msg.diagnosis
        what.update(Text(visible(f"WHAT HAPPENED: {d.release} in {d.namespace} is {d.status} (revision {d.revision})\n"
                                 + "\n".join(f"· {line}" for line in d.explanation)
                                 + "\n\nRECOVERY (enter plans it; you review and approve it next)")))
        self.options = [d.recovery, *d.alternatives]
        lst = self.query_one("#recoveries", OptionList)
        lst.clear_options()
        lst.add_options([Text(visible(recovery_label(r, i == 0), one_line=True), no_wrap=True, overflow="ellipsis")
                         for i, r in enumerate(self.options)])
        lst.display = True
        lst.highlighted = 0
        lst.focus()
        events = self.query_one("#stuck-events", Static)
        events.update(Text(visible("THE CLUSTER'S RECENT EVENTS ABOUT ITS OBJECTS\n" + (
            "\n".join(f"· {e}" for e in d.events) if d.events else "· none"))))
        self.set_status(f"recommended: {recovery_label(d.recovery, False).split(' — ')[0].lower()} · enter plans it")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.diagnosis is None or self.busy_run():
            return
        self._prepare(self.release, "recover", (self.diagnosis, self.options[event.option_index]))

    def palette_commands(self):
        return [("Stuck: look again", "ctrl+r", self.action_reload)]
