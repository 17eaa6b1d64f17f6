"""The YAML values editor: TextArea with diagnostics marks applied through the documented
`get_line` stylize hook (no private API), refreshed with `notify_style_update()`; Enter keeps the
YAML indentation; tabs are shown (→) and `untab()` turns those in the indentation into spaces;
keys are applied in the order they were typed, even in a burst (`InOrderKeys`)."""
from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

from .inorder import InOrderKeys

_STYLES = {
    "error": Style(underline=True, bold=True, color="red"),
    "warning": Style(underline=True, color="yellow"),
    "info": Style(underline=True),
}
TAB_MARK = "→"                        # a tab, drawn in the cells it takes (the glyph, not a colour, says it)
_TAB_STYLE = Style(color="yellow", bold=True)
# a line that opens a block: `key:`, `key: |`, `- key:` (a trailing comment allowed)
_OPENS_BLOCK = re.compile(r"""^[^#'"]*?:\s*([|>][-+0-9]*)?\s*(#.*)?$""")


class ValuesEditor(InOrderKeys, TextArea):
    """A code editor for values.yaml that underlines the spans diagnostics point at.

    Over a slow link every byte counts: TextArea repaints its whole visible area when the cursor
    moves. Here a cursor move repaints only the rows between the old and the new selection, and an
    edit that keeps the line count repaints only its rows; anything else repaints everything.

    Keys are applied in the order they were typed, even when a slow link delivers several in one
    read (`InOrderKeys`).
    """

    selection = reactive(Selection(), init=False, always_update=True, repaint=False)

    def __init__(self, text: str = "", **kw) -> None:
        blink = kw.pop("cursor_blink", True)
        super().__init__(text, language="yaml", theme="css", soft_wrap=False, tab_behavior="indent",
                         show_line_numbers=True, **kw)
        self.cursor_blink = blink
        self.indent_width = 2
        self._marks: dict[int, list[tuple[int, int, str]]] = {}

    async def _on_key(self, event: events.Key) -> None:
        """Enter keeps the YAML indentation; every other key goes on to InOrderKeys (bound keys in
        the order they were typed) and TextArea."""
        if event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()      # neither InOrderKeys nor TextArea: TextArea inserts a bare newline
            self._restart_blink()
            self._newline()

    def handled_here(self, event: events.Key) -> bool:
        """Whether TextArea._on_key handles this key itself (mirrors it in Textual 8.2.8)."""
        if self.read_only:
            return False
        if event.is_printable or event.key == "enter":
            return True
        return self.tab_behavior == "indent" and event.key in ("tab", "escape")

    def _newline(self) -> None:
        """A new line with the indentation YAML wants next: the current line's, one level more after
        a line that opens a block (`key:`, `key: |`), aligned with the key after a list dash."""
        start, end = self.selection
        row, col = start
        line = self.document.get_line(row)
        before = line[:col]
        indent = before[: len(before) - len(before.lstrip(" "))]
        content = before.strip()
        if content.startswith("- "):
            indent += " " * (len(before) - len(before.lstrip(" -")) - len(indent))   # under the item's key
        if content and not content.startswith("#") and _OPENS_BLOCK.match(content.removeprefix("- ")):
            indent += " " * self.indent_width
        self._replace_via_keyboard("\n" + indent, start, end)

    def untab(self) -> int:
        """Every tab in the indentation becomes two spaces (YAML allows no tab there); the count."""
        count = 0
        for row in range(self.document.line_count):
            line = self.document.get_line(row)
            lead = line[: len(line) - len(line.lstrip(" \t"))]
            if "\t" in lead:
                count += lead.count("\t")
                self.replace(lead.replace("\t", " " * self.indent_width), (row, 0), (row, len(lead)))
        return count

    def set_diagnostics(self, diags) -> None:
        """diags: objects with line/column (1-based) and severity. Only repaints when marks change."""
        marks: dict[int, list[tuple[int, int, str]]] = {}
        for d in diags:
            row = max(0, d.line - 1)
            if row >= self.document.line_count:
                row = self.document.line_count - 1
            text = self.document.get_line(row)
            start = max(0, min(len(text), d.column - 1))
            end = _token_end(text, start)
            if end <= start:  # empty line or end of line: mark the whole line's content
                start, end = len(text) - len(text.lstrip()), max(len(text), 1)
            marks.setdefault(row, []).append((start, end, d.severity))
        if marks != self._marks:
            self._marks = marks
            self.notify_style_update()

    def _watch_selection(self, previous_selection: Selection, selection: Selection) -> None:
        super()._watch_selection(previous_selection, selection)
        if not self.is_mounted:
            return
        rows = [previous_selection.start[0], previous_selection.end[0], selection.start[0], selection.end[0]]
        self._refresh_rows(min(rows), max(rows))

    def _refresh_rows(self, first: int, last: int) -> None:
        top = int(self.scroll_offset.y)
        lo, hi = max(first, top), min(last, top + self.size.height)
        if lo <= hi:
            from textual.geometry import Region
            self.refresh(Region(0, lo - top, self.size.width, hi - lo + 1))

    def edit(self, edit):
        lines_before = self.document.line_count
        result = super().edit(edit)
        if self.document.line_count != lines_before or self.soft_wrap:
            self.refresh()
        else:
            self._refresh_rows(min(edit.from_location[0], result.end_location[0]),
                               max(edit.to_location[0], result.end_location[0]))
        return result

    def load_text(self, text: str) -> None:
        # A new document: every row changes, and `selection` (repaint=False above) repaints nothing.
        super().load_text(text)
        self.refresh()

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        spans = secret_spans(line.plain)
        if spans:
            # a token typed into the values is never shown, not even here: the same number of
            # cells (so the cursor stays where it is), the document itself unchanged
            plain = line.plain
            for start, end in spans:
                plain = plain[:start] + "•" * (end - start) + plain[end:]
            masked = Text(plain, style=line.style, end=line.end, no_wrap=line.no_wrap)
            for span in line.spans:
                masked.stylize(span.style, span.start, span.end)
            line = masked
        for start, end, severity in self._marks.get(line_index, ()):
            line.stylize(_STYLES.get(severity, _STYLES["info"]), start, end)
        if "\t" in line.plain:
            line = _show_tabs(line, self.indent_width)
        return line


def secret_spans(text: str) -> list[tuple[int, int]]:
    """Where in one line a secret sits: from the first to the last character `core.redact` would
    change (two secrets on one line hide what lies between them: it errs on the side of hiding)."""
    from ...core.redact import redact
    hidden = redact(text)
    if hidden == text:
        return []
    start = 0
    while start < min(len(text), len(hidden)) and text[start] == hidden[start]:
        start += 1
    end = 0
    while end < min(len(text), len(hidden)) - start and text[-1 - end] == hidden[-1 - end]:
        end += 1
    return [(start, len(text) - end)]


def _token_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] not in " :#\t":
        end += 1
    return end


def _show_tabs(line: Text, size: int) -> Text:
    """Each tab drawn as TAB_MARK padded to the cells it takes (the next tab stop), so the cursor
    stays where TextArea puts it (it measures tabs expanded to the same stops)."""
    out = Text(style=line.style, end=line.end, no_wrap=line.no_wrap)
    col = 0
    for part in line.split("\t", include_separator=True):
        tab = part.plain.endswith("\t")
        if tab:
            part.right_crop(1)
        out.append_text(part)
        col += part.cell_len
        if tab:
            width = size - (col % size)
            out.append(TAB_MARK + " " * (width - 1), _TAB_STYLE)
            col += width
    return out
