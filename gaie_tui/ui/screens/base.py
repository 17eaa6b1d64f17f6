"""What every wizard screen shares: header, step line, demo banner, status line, footer."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ..app import STEP_TITLES, STEPS


class WizardScreen(Screen):
    STEP = ""
    BACK_BINDING = Binding("escape", "back", "Back", id="nav.back")

    def compose(self) -> ComposeResult:
        yield Header(icon="»")
        yield Static(self._steps_line(), id="steps")
        if self.app.simulated_banner:
            yield Static("SIMULATED CLUSTER — gaie-tui demo: nothing here touches a real cluster",
                         id="sim-banner")
        yield from self.compose_body()
        yield Static("", id="status")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def _steps_line(self) -> str:
        parts = []
        for s in STEPS:
            t = STEP_TITLES[s]
            parts.append(f"[reverse] {t} [/reverse]" if s == self.STEP else f" {t} ")
        return "›".join(parts)

    def on_screen_resume(self) -> None:
        self.update_subtitle()

    def update_subtitle(self) -> None:
        st = self.app.state
        a = st.answers
        ctx = "offline" if st.offline else (st.context or "no context")
        self.sub_title = f"{ctx} / {a.namespace} / {a.release}" + (
            "  [SIMULATED]" if self.app.simulated_banner else "")

    def set_status(self, text: str) -> None:
        if getattr(self, "_status_text", None) != text:  # an unchanged line costs no bytes
            self._status_text = text
            self.query_one("#status", Static).update(text)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def palette_commands(self):
        return []
