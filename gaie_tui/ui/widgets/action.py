"""A one-line button: focus, enter/space or a click presses it.

The wizard's buttons are all compact one-liners. Textual's Button carries a stylesheet for every
size, variant, hover and press state; parsing it cost Setup's first frame about 10 ms, an eighth
of its start-up. This draws the label on its variant's colour, reverses it when focused (visible
with NO_COLOR too) and dims it when disabled.
"""
from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

VARIANTS = ("default", "primary", "success", "warning", "error")


class ActionButton(Widget, can_focus=True):
    DEFAULT_CSS = """
    ActionButton { width: auto; height: 1; padding: 0 1; text-style: bold;
                   background: $surface-lighten-2; color: $foreground; }
    ActionButton.-primary { background: $primary; color: $text; }
    ActionButton.-success { background: $success; color: $text; }
    ActionButton.-warning { background: $warning; color: $text; }
    ActionButton.-error { background: $error; color: $text; }
    ActionButton:focus { text-style: bold reverse; }
    ActionButton:disabled { text-opacity: 50%; }
    """
    BINDINGS = [Binding("enter,space", "press", "Press", show=False)]

    class Pressed(Message):
        def __init__(self, button: ActionButton) -> None:
            super().__init__()
            self.button = button

        @property
        def control(self) -> ActionButton:
            return self.button

    def __init__(self, label: str, *, variant: str = "default", id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"unknown button variant {variant!r}")
        # the class goes in with the constructor: add_class before mounting restyles the widget
        super().__init__(id=id, classes=f"{classes or ''} -{variant}".strip(), disabled=disabled)
        self.label = label

    def render(self) -> Text:
        return Text(self.label, no_wrap=True, overflow="ellipsis")

    def action_press(self) -> None:
        if not self.disabled:
            self.post_message(self.Pressed(self))

    def on_click(self) -> None:
        self.action_press()
