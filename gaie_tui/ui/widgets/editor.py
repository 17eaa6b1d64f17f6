"""The YAML values editor: TextArea with diagnostics marks applied through the documented
`get_line` stylize hook (no private API), refreshed with `notify_style_update()`."""
from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import TextArea

_STYLES = {
    "error": Style(underline=True, bold=True, color="red"),
    "warning": Style(underline=True, color="yellow"),
    "info": Style(underline=True),
}


class ValuesEditor(TextArea):
    """A code editor for values.yaml that underlines the spans diagnostics point at."""

    def __init__(self, text: str = "", **kw) -> None:
        blink = kw.pop("cursor_blink", True)
        super().__init__(text, language="yaml", theme="css", soft_wrap=False, tab_behavior="indent",
                         show_line_numbers=True, **kw)
        self.cursor_blink = blink
        self.indent_width = 2
        self._marks: dict[int, list[tuple[int, int, str]]] = {}

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

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        for start, end, severity in self._marks.get(line_index, ()):
            line.stylize(_STYLES.get(severity, _STYLES["info"]), start, end)
        return line


def _token_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] not in " :#\t":
        end += 1
    return end
