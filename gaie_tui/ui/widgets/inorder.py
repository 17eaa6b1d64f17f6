"""Keys applied in the order they were typed, for the editor and the form's inputs.

Over a slow SSH link several keys arrive in one read, and Textual 8.2.8 posts them all before any
is handled. A widget inserts printable keys (and, in TextArea, Enter) in its own key handler at
once, but its other keys (End, Home, arrows, Backspace, …) and the screen's keys are bindings, run
only once the key has bubbled back up to the App: a key typed after a bound one was applied before
it (End+Enter split the line where the cursor was; `ab⌫c` gave `ab` in an Input). Here the bound
key's action runs in the widget's own handler, in order. The binding is the one the App would
pick (`Screen.active_bindings`: focused widget first, keys the widget consumes filtered out, the
user's keymap applied); priority bindings were already tried by the App and bubble as before.
Upstream: Textualize/textual#6605 (PR #6631 takes the same approach); drop this when it lands.
"""
from __future__ import annotations

from textual import events


class InOrderKeys:
    """Mixin for a focusable widget (before the Textual widget in the bases)."""

    def handled_here(self, event: events.Key) -> bool:
        """Whether the widget's own key handler (next in the MRO) handles this key."""
        return bool(event.is_printable)

    async def _on_key(self, event: events.Key) -> None:
        if self.handled_here(event):
            return      # the widget's own _on_key, next in the MRO, inserts it: already in order
        active = self.screen.active_bindings.get(event.key)              # type: ignore[attr-defined]
        if active is None or active.binding.priority or not active.enabled:
            return      # nothing to run here: the key bubbles on as before
        if await self.app.run_action(active.binding.action, active.node):  # type: ignore[attr-defined]
            event.stop()   # done: it does not bubble to the App, which would run it a second time
