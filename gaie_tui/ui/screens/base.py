"""What every wizard screen shares: title bar, step line, demo banner, status line, footer."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from ..steps import STEP_TITLES, STEPS
from ..widgets.keybar import KeyBar


class WizardScreen(Screen):
    STEP = ""
    BACK_BINDING = Binding("escape", "back", "Back", id="nav.back")

    def compose(self) -> ComposeResult:
        # One Static, not textual's Header (three child widgets and a clock): cheaper to paint
        # first, and it carries the PROD badge.
        yield Static(self._title_text(), id="title-bar")
        yield Static(self._steps_line(), id="steps")
        if self.app.simulated_banner:
            yield Static("SIMULATED CLUSTER — gaie-tui demo: nothing here touches a real cluster",
                         id="sim-banner")
        yield from self.compose_body()
        yield Static("", id="status")
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def after_first_paint(self, callback) -> None:
        """Run `callback` once this screen has been painted on the terminal.

        `call_after_refresh` alone is too early at start: the app composes its first screen inside
        Textual's start-up batch, where frames are rendered but not written, so callbacks queued
        by on_mount ran (workers, notifications, restyles) before the first frame reached the
        terminal. A short timer waits out the batch (asking for refreshes in a loop instead kept
        the screen busy, and the batch could then never end), then the next refresh is the one
        that is written."""
        def check() -> None:
            if self.app._batch_count:
                self.set_timer(0.002, check)
            else:
                self.refresh()
                self.call_after_refresh(callback)
        check()

    def _steps_line(self) -> str:
        parts = []
        for s in STEPS:
            t = STEP_TITLES[s]
            parts.append(f"[reverse] {t} [/reverse]" if s == self.STEP else f" {t} ")
        return "›".join(parts)

    def _on_screen_resume(self, event) -> None:
        # Runs before Screen._on_screen_resume (and replaces an on_screen_resume here). On the
        # first resume every node was styled moments ago, when it was mounted: restyling the
        # whole screen again (~10 ms for Setup's form) only delayed the first frame.
        if not getattr(self, "_resumed_before", False):
            self._resumed_before = True
            event.refresh_styles = False
        self.update_subtitle()

    # ---- title bar: context / namespace / release, and PROD when it is production ----------
    def target(self) -> tuple[str | None, str, str]:
        """(context, namespace, release) this screen is about; Setup reads its live form."""
        st = self.app.state
        return (None if st.offline else st.context), st.answers.namespace, st.answers.release

    def production(self) -> str | None:
        """Why the target counts as production (config.toml or its name), else None."""
        ctx, ns, _ = self.target()
        return self.app.production_reason(ctx, ns)

    def update_subtitle(self) -> None:
        from ...core.textsafe import visible
        ctx, ns, rel = self.target()
        where = "offline" if self.app.state.offline else (ctx or "no context")
        self.sub_title = visible(f"{where} / {ns} / {rel}", one_line=True) + (
            "  [SIMULATED]" if self.app.simulated_banner else "")
        self._paint_title()

    def watch_sub_title(self, _value) -> None:
        self._paint_title()

    def _title_text(self) -> Text:
        text = Text(f"» {self.app.title}", style="bold", no_wrap=True, overflow="ellipsis")
        sub = self.sub_title if self.sub_title is not None else self.app.sub_title
        if sub:
            text.append(f" — {sub}", style="not bold")
        return text

    def _paint_title(self) -> None:
        bars = self.query("#title-bar")
        if not bars:
            return
        bar = bars.first(Static)
        text = self._title_text()
        prod = self.production()
        if prod:
            text = Text.assemble((" PROD ", "bold reverse"), " ", text, no_wrap=True, overflow="ellipsis")
        bar.update(text)
        bar.set_class(bool(prod), "prod")
        bar.tooltip = f"production: {prod}" if prod else None

    def set_status(self, text: str) -> None:
        """The status line: derived from the same state as the body (callers say it from there)."""
        if getattr(self, "_status_text", None) != text:  # an unchanged line costs no bytes
            self._status_text = text
            self.query_one("#status", Static).update(Text(text, no_wrap=True, overflow="ellipsis"))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def palette_commands(self):
        return []
