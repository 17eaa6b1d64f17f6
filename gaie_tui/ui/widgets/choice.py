"""A one-line picker that costs one widget: the first frame pays for no option list.

Textual's Select builds its overlay (an OptionList with every option) and three child widgets
when it is mounted; five of them were most of the Setup screen's start-up cost. A `Choice` shows
only the current value. Enter, space or a click opens the options in a small modal list (built
then, from a list or a function); ←/→ step through them without opening it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget

from .field import LABEL_WIDTH, Labelled, labelled_classes

Options = Sequence[tuple[str, object]]


class Choice(Labelled, Widget, can_focus=True):
    """`value` is one of the options' values (None when there is none); `Changed` when it changes.
    With `label`, the row's label is drawn beside the value (see widgets/field.py)."""

    DEFAULT_CSS = f"""
    Choice {{ height: 1; width: 1fr; padding: 0 1 0 0; background: $boost; color: $text; }}
    Choice.-labelled {{ padding-left: {LABEL_WIDTH}; }}
    Choice:focus {{ background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }}
    Choice.-empty {{ color: $text-muted; }}
    """
    COMPONENT_CLASSES = {"field--label"}
    BINDINGS = [
        Binding("enter,space,down", "open", "Choose", show=False),
        Binding("left", "step(-1)", "Previous", show=False),
        Binding("right", "step(1)", "Next", show=False),
    ]

    class Changed(Message):
        def __init__(self, choice: Choice, value: object) -> None:
            super().__init__()
            self.choice, self.value = choice, value

        @property
        def control(self) -> Choice:
            return self.choice

    def __init__(self, options: Options | Callable[[], Iterable[tuple[str, object]]] = (), *,
                 value: object = None, prompt: str = "", label: str = "", id: str | None = None,
                 classes: str | None = None, disabled: bool = False) -> None:
        super().__init__(id=id, classes=labelled_classes(label, classes, "-empty" if value is None else None),
                         disabled=disabled)
        self.field_label = label
        self._source = options
        self._options: list[tuple[str, object]] | None = None if callable(options) else list(options)
        self._value = value
        self._label: str | None = None      # shown before the options are built (lazy lists)
        self.prompt = prompt

    # ---- options and value -------------------------------------------------------------
    @property
    def options(self) -> list[tuple[str, object]]:
        if self._options is None:
            self._options = list(self._source())  # type: ignore[operator]
        return self._options

    def set_options(self, options: Iterable[tuple[str, object]]) -> None:
        """New options; the value stays when it is still offered, else becomes the first (or None)."""
        self._options = list(options)
        if all(v != self._value for _, v in self._options):
            self._set(self._options[0][1] if self._options else None)
        self.refresh()

    @property
    def value(self) -> object:
        return self._value

    @value.setter
    def value(self, value: object) -> None:
        self._set(value)

    def _set(self, value: object) -> None:
        if value == self._value:
            return
        self._value = value
        self.set_class(value is None, "-empty")
        self.refresh()
        self.post_message(self.Changed(self, value))

    def label(self) -> str:
        if self._value is None:
            return self.prompt
        if self._options is None:          # the list is not built yet: the value is its own label
            return str(self._value)
        return next((lbl for lbl, v in self._options if v == self._value), str(self._value))

    def render(self) -> Text:
        text = Text(self.label(), no_wrap=True, overflow="ellipsis")
        text.append(" ▾")
        return text

    # ---- actions --------------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        opts = self.options
        if not opts:
            return
        idx = next((i for i, (_, v) in enumerate(opts) if v == self._value), -1)
        self._set(opts[max(0, min(len(opts) - 1, idx + delta))][1])

    def action_open(self) -> None:
        if not self.options:
            return
        self.app.push_screen(ChoiceMenu(self), self._chosen)

    def _chosen(self, value: object) -> None:
        if value is not _CLOSED:
            self._set(value)
        self.focus()

    def on_click(self) -> None:
        self.focus()
        self.action_open()


_CLOSED = object()


class ChoiceMenu(ModalScreen[object]):
    """The options of a Choice, just below it; enter picks, escape or a click outside closes."""

    DEFAULT_CSS = """
    ChoiceMenu { background: $background 0%; }
    ChoiceMenu > OptionList { width: auto; min-width: 20; max-width: 70; height: auto; max-height: 12;
                              border: round $accent; padding: 0; background: $surface; }
    """
    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def __init__(self, choice: Choice) -> None:
        super().__init__()
        self.choice = choice

    def compose(self):
        from textual.widgets import OptionList
        # labels may be outside text (context and secret names): never parsed as markup
        yield OptionList(*[Text(lbl, no_wrap=True) for lbl, _ in self.choice.options], id="choice-options")

    def on_mount(self) -> None:
        from textual.widgets import OptionList
        lst = self.query_one(OptionList)
        region = self.choice.content_region   # under the value, not its label
        lst.styles.offset = (region.x, region.y + 1)
        lst.styles.min_width = max(20, region.width)
        values = [v for _, v in self.choice.options]
        if self.choice.value in values:
            lst.highlighted = values.index(self.choice.value)
        lst.focus()

    def on_option_list_option_selected(self, event) -> None:
        event.stop()
        self.dismiss(self.choice.options[event.option_index][1])

    def on_click(self, event) -> None:
        if event.widget is self:      # a click outside the list
            self.dismiss(_CLOSED)

    def action_close(self) -> None:
        self.dismiss(_CLOSED)
