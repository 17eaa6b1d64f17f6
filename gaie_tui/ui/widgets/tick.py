"""A one-line toggle whose state reads without colour: `[x]` when on, `[ ]` when off.

Textual's Checkbox draws the same `X` in both states and tells them apart by colour only, which
NO_COLOR terminals, monochrome themes and screen readers of capture-pane output cannot see. It is
also a ToggleButton with a large stylesheet; this is one small widget, labelled like a form row.
"""
from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from .field import LABEL_WIDTH, Labelled, labelled_classes


class Tick(Labelled, Widget, can_focus=True):
    DEFAULT_CSS = f"""
    Tick {{ height: 1; width: auto; padding: 0 1 0 0; color: $text; }}
    Tick.-labelled {{ padding-left: {LABEL_WIDTH}; }}
    Tick:focus {{ background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }}
    """
    COMPONENT_CLASSES = {"field--label"}
    BINDINGS = [Binding("enter,space", "toggle", "Toggle", show=False)]

    value: reactive[bool] = reactive(False, init=False)

    class Changed(Message):
        def __init__(self, tick: Tick, value: bool) -> None:
            super().__init__()
            self.tick, self.value = tick, value

        @property
        def control(self) -> Tick:
            return self.tick

    def __init__(self, text: str, value: bool = False, *, label: str = "", id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=labelled_classes(label, classes))
        self.text = text
        self.set_reactive(Tick.value, bool(value))
        self.field_label = label

    def render(self) -> Text:
        return Text(f"[{'x' if self.value else ' '}] {self.text}", no_wrap=True, overflow="ellipsis")

    def watch_value(self, value: bool) -> None:
        self.post_message(self.Changed(self, value))

    def action_toggle(self) -> None:
        self.value = not self.value

    def on_click(self) -> None:
        self.focus()
        self.action_toggle()
