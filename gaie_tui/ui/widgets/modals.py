"""Modal screens: confirm (optionally with a typed word), help, the `:` command line, a message."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from .action import ActionButton


class Confirm(ModalScreen[bool]):
    """Yes/No; with `typed`, Yes is only possible after typing that exact word."""

    BINDINGS = [Binding("escape,n", "no", "Cancel", id="confirm.cancel"),
                Binding("y", "yes", "Yes", id="confirm.yes")]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No", typed: str | None = None,
                 danger: bool = False) -> None:
        super().__init__()
        self.question, self.yes, self.no, self.typed, self.danger = question, yes, no, typed, danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="danger" if self.danger else ""):
            yield Static(self.question, id="question", markup=False)
            if not self.typed:
                yield Static("y yes · n/esc no", classes="hint")
            if self.typed:
                yield Static(f"Type {self.typed} to confirm:", markup=False)
                yield Input(placeholder=self.typed, id="typed")
            with Horizontal(id="buttons"):
                yield ActionButton(self.yes, id="yes", variant="error" if self.danger else "primary",
                                   disabled=bool(self.typed))
                yield ActionButton(self.no, id="no")

    def on_mount(self) -> None:
        if not getattr(self.app, "cursor_blink", True):
            for inp in self.query(Input):
                inp.cursor_blink = False
        self.query_one("#typed" if self.typed else "#no").focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#yes", ActionButton).disabled = event.value != self.typed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value == self.typed:
            self.dismiss(True)

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)

    def action_yes(self) -> None:
        if not self.typed:  # a typed confirmation is never short-cut by a key
            self.dismiss(True)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str, str]]) -> None:
        super().__init__()
        self.rows = rows  # (scope, keys, description, id)

    def compose(self) -> ComposeResult:
        lines = ["Keys (remap any id in keymap.toml in the config folder)", ""]
        scope = None
        for sc, keys, desc, bid in self.rows:
            if sc != scope:
                lines.append(f"[{sc}]" if False else f"── {sc}")
                scope = sc
            lines.append(f"  {keys:<16} {desc:<28} {bid}")
        lines += ["", "In the editor, esc leaves the editor first; esc again goes back."]
        with Vertical(id="dialog", classes="wide"):
            with VerticalScroll(id="help-body"):
                yield Static("\n".join(lines), markup=False)
            yield Static("esc/q close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


class CommandLine(ModalScreen[str | None]):
    """`:` command line at the bottom; returns the text or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cmdline.cancel")]

    def compose(self) -> ComposeResult:
        yield Input(placeholder="values review verify record setup · ns NAME · ctx NAME · deployed · w FILE · q",
                    id="cmdline")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class WaitForCluster(ModalScreen[str | None]):
    """Setup's answers settle before Values: ctrl+n waits here for the cluster probe (a spinner),
    or goes on offline (o), or goes back (esc). Dismissed with "answered" when the probe answers."""

    BINDINGS = [Binding("o", "offline", "Go on offline", id="wait.offline"),
                Binding("escape", "back", "Back", id="wait.back")]
    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context
        self._frame = 0

    def compose(self) -> ComposeResult:
        from ...core.textsafe import visible
        with Vertical(id="dialog"):
            yield Static(visible(f"Waiting for the cluster (context {self.context}) to answer, so the values "
                                 "get the secret and namespace it has…"), id="question", markup=False)
            yield Static(self.FRAMES[0], id="spinner", markup=False)
            yield Static("o go on offline (values and review only) · esc back", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.set_interval(0.1, self._spin)

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(self.FRAMES)
        self.query_one("#spinner", Static).update(self.FRAMES[self._frame])

    def action_offline(self) -> None:
        self.dismiss("offline")

    def action_back(self) -> None:
        self.dismiss(None)


class AskPath(ModalScreen[str | None]):
    """Where to write a file: an input with a suggestion; enter writes, esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="askpath.cancel")]

    def __init__(self, question: str, suggestion: str) -> None:
        super().__init__()
        self.question, self.suggestion = question, suggestion

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="question", markup=False)
            yield Input(self.suggestion, id="path")
            yield Static("enter write · esc cancel", classes="hint", markup=False)

    def on_mount(self) -> None:
        if not getattr(self.app, "cursor_blink", True):
            self.query_one("#path", Input).cursor_blink = False
        self.query_one("#path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MigrationResult(ModalScreen[bool]):
    """What a migration did — per file what moved, what has no equivalent, what takes effect now —
    and its proof (equal / intentionally different / lost): use the migrated values, or keep mine."""

    BINDINGS = [Binding("escape,n", "no", "Keep mine", id="migration.keep"),
                Binding("y", "yes", "Use migrated", id="migration.use")]

    def __init__(self, result, *, proven: bool) -> None:
        super().__init__()
        self.result, self.proven = result, proven

    def lines(self) -> list[str]:
        from ...core.values.diagnostics import format_path
        r = self.result
        out = [f"Migrated from {r.src.name} {r.src.version} to {r.dst.name} {r.dst.version}", ""]
        for f in r.files:
            out.append(f.name)
            out += [f"  moved  {format_path(m.old)} → {format_path(m.new)}" for m in f.moved]
            out += [f"  no equivalent  {format_path(d.old)}: {d.reason} (kept, commented out)" for d in f.dropped]
            out += [f"  takes effect now  {format_path(k)}" for k in f.newly_read]
            if not (f.moved or f.dropped or f.newly_read):
                out.append("  nothing to move")
        out.append("")
        proof = r.proof
        if proof is None:
            out.append("PROOF: not made — " + ("no chart archive or no helm here to render both charts"
                                               if not self.proven else "skipped"))
        elif proof.error:
            out.append(f"PROOF: could not be made — {proof.error}")
        else:
            counts = {v: sum(1 for f in proof.facets if f.verdict == v)
                      for v in ("equal", "intentionally different", "lost")}
            out.append(f"PROOF: {counts['equal']} equal, {counts['intentionally different']} intentionally "
                       f"different, {counts['lost']} lost" + (" — nothing is lost" if not proof.lost else ""))
            marks = {"equal": "=", "intentionally different": "~", "lost": "✗"}
            for f in proof.facets:
                if f.verdict != "equal":
                    out.append(f"  {marks.get(f.verdict, '?')} {f.thing} {f.aspect}: {f.old or '(absent)'} → "
                               f"{f.new or '(absent)'}" + (f" ({f.why})" if f.why else ""))
        return out

    def compose(self) -> ComposeResult:
        from ...core.textsafe import visible
        lost = self.result.proof is not None and bool(self.result.proof.lost)
        with Vertical(id="dialog", classes="wide danger" if lost else "wide"):
            with VerticalScroll(id="migration-body"):
                yield Static(visible("\n".join(self.lines())), id="migration-text", markup=False)
            yield Static("y use the migrated values (Review shows the proof) · n/esc keep mine", classes="hint")
            with Horizontal(id="buttons"):
                yield ActionButton("Use migrated", id="yes", variant="warning" if lost else "primary")
                yield ActionButton("Keep mine", id="no")

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)

    def action_yes(self) -> None:
        self.dismiss(True)
