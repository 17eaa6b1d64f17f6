"""A checkbox whose state reads without colour: `[x]` when on, `[ ]` when off.

Textual's Checkbox draws the same `X` in both states and tells them apart by colour only, which
NO_COLOR terminals, monochrome themes and screen readers of capture-pane output cannot see.
"""
from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class Tick(Checkbox):
    @property
    def _button(self) -> Content:
        return Content.assemble(("[", ""), ("x" if self.value else " ", self.get_visual_style("toggle--button")),
                                ("]", ""))
