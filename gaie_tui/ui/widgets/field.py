"""Form rows that are one widget each: the field's label is drawn in the widget's own left padding.

Setup's form was a two-column Grid with a Label per row: 13 more widgets to mount and style and a
grid layout to solve on every pass, most of its start-up cost. Here a row is just its control,
with `padding-left: LABEL_WIDTH` (Choice and Tick set it for their `-labelled` class, app.tcss
for FieldInput), and the label is painted over that padding.
Cursor and mouse positions are unchanged, because Textual already counts the padding as outside
the content.
"""
from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Input

from .inorder import InOrderKeys

LABEL_WIDTH = 13   # 12 cells of label, one of space


def labelled_classes(label: str, *classes: str | None) -> str | None:
    """The constructor's `classes`: given there, not added after (each add_class before mounting
    restyles the widget)."""
    return " ".join(c for c in (*classes, "-labelled" if label else None) if c) or None


class Labelled:
    """Mixin for a widget with `padding-left: LABEL_WIDTH`: paints `field_label` there."""

    field_label: str = ""

    def update_node_styles(self, animate: bool = True) -> None:
        # A widget that is not in the DOM yet is styled when it is mounted; Input restyles itself
        # twice in its constructor (compact, valid), about 1 ms each on the first frame, for nothing.
        if self._parent is not None:                                          # type: ignore[attr-defined]
            super().update_node_styles(animate)                               # type: ignore[misc]

    def label_style(self) -> Style:
        # the label sits on the form's background, not on the control's (focus tint, $boost)
        background = self.background_colors[0]                               # type: ignore[attr-defined]
        styles = self.get_component_styles("field--label")                  # type: ignore[attr-defined]
        colour = background + styles.color    # $text-muted is translucent: blend it as Textual does
        return Style(color=colour.rich_color, bgcolor=background.rich_color,
                     bold=styles.text_style.bold, dim=styles.text_style.dim)

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)  # type: ignore[misc]
        if not self.field_label or crop.y > 0 or crop.x >= LABEL_WIDTH or not lines:
            return lines
        end = min(LABEL_WIDTH, crop.right)
        text = self.field_label[:LABEL_WIDTH - 1].ljust(LABEL_WIDTH)[crop.x:end]
        first = lines[0]
        lines[0] = Strip.join([Strip([Segment(text, self.label_style())], len(text)),
                               first.crop(end - crop.x, first.cell_length)])
        return lines


class FieldInput(Labelled, InOrderKeys, Input):
    """A compact Input with its label beside it, in one widget; keys applied in the order they were
    typed (`ab⌫c` is `ac` even when a slow link delivers it in one read)."""

    COMPONENT_CLASSES = Input.COMPONENT_CLASSES | {"field--label"}

    def __init__(self, value: str = "", *, label: str = "", **kwargs) -> None:
        super().__init__(value, compact=True, **kwargs)
        self.field_label = label
