"""The key line at the bottom of every screen: one widget instead of Textual's Footer.

Textual's Footer mounts a widget per key and recomposes all of them whenever the bindings change
(every focus move): about a tenth of the wizard's start-up and a repaint of the whole line per
change. This draws the same keys — the screen's shown bindings, remapped keys included, disabled
ones dimmed, the command palette key on the right — as one line, redrawn only when its text
changes. A click on a key presses it, as on the Footer.
"""
from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widget import Widget


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; }
    KeyBar > .keybar--key { color: $footer-key-foreground; text-style: bold; }
    KeyBar > .keybar--description { color: $footer-description-foreground; }
    KeyBar > .keybar--disabled { text-style: dim; }
    """
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled"}
    ALLOW_SELECT = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._keys: tuple = ()          # ((key, display, description, enabled), …) as last drawn
        self._palette: tuple | None = None
        self._spans: list[tuple[int, int, str, bool]] = []   # x range → key, for clicks

    # ---- what to show ----------------------------------------------------------------------
    def _collect(self) -> tuple[tuple, tuple | None]:
        app = self.app
        active = self.screen.active_bindings
        seen: set[str] = set()
        keys = []
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)   # one key per action, as the Footer shows them
            keys.append((binding.key, app.get_key_display(binding), binding.description, enabled))
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = (binding.key, app.get_key_display(binding), binding.description or "Palette", enabled)
        return tuple(keys), palette

    def on_mount(self) -> None:
        self._keys, self._palette = self._collect()
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        keys, palette = self._collect()
        if (keys, palette) != (self._keys, self._palette):   # a focus move that changes nothing costs nothing
            self._keys, self._palette = keys, palette
            self.refresh()

    # ---- drawing ---------------------------------------------------------------------------
    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        desc_style = self.get_component_rich_style("keybar--description", partial=True)
        dim = self.get_component_rich_style("keybar--disabled", partial=True)
        width = self.size.width
        right = Text(no_wrap=True)
        spans: list[tuple[int, int, str, bool]] = []
        if self._palette:
            key, display, description, enabled = self._palette
            right.append("▏")
            right.append(f" {display} ", key_style if enabled else key_style + dim)
            right.append(f"{description} ", desc_style if enabled else desc_style + dim)
        items = [(key, enabled, Text.assemble((f" {display} ", key_style if enabled else key_style + dim),
                                              (f"{description} ", desc_style if enabled else desc_style + dim)))
                 for key, display, description, enabled in self._keys]
        room = max(0, width - right.cell_len)
        if sum(item.cell_len for _, _, item in items) > room:
            room -= 2        # whole keys only, then " …": the rest are one `?` away, in the help
        left = Text(no_wrap=True)
        for key, enabled, item in items:
            if left.cell_len + item.cell_len > room:
                left.append(" …", desc_style)
                break
            spans.append((left.cell_len, left.cell_len + item.cell_len, key, enabled))
            left.append_text(item)
        gap = max(0, width - left.cell_len - right.cell_len)
        if self._palette:
            start = left.cell_len + gap
            spans.append((start, start + right.cell_len, self._palette[0], self._palette[3]))
        self._spans = [s for s in spans if s[0] < width]
        return Text.assemble(left, " " * gap, right, no_wrap=True, overflow="crop")

    def on_click(self, event: events.Click) -> None:
        for start, end, key, enabled in self._spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
