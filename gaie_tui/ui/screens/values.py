"""Values: the YAML editor with live diagnostics, problems list and an explanation panel.

The checker's `Diagnostic`s are shown as they are (marks, problems list, the panel); the deep check
(`helm template`) says when it was skipped and why. ctrl+s never replaces a file silently: the first
time it asks where, and it asks again before replacing a file this wizard did not open.

A layered set (`gaie-tui --values base.yaml --values overlay.yaml`) is checked merged, as helm merges
it: the layer bar above the editor names every layer (F4 / shift+F4 switch the editor between them),
each finding in the problems list names its file (enter on one in another layer switches to it), and
the explanation says which layer sets the value helm will use for the key under the cursor.

Under 100 columns the explanation collapses to a one-line strip below the editor; F2 opens it (and,
on a wide terminal, folds the side panel away).
"""
from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..guard import guarded
from ..state import save_draft
from ..widgets.editor import ValuesEditor
from .base import WizardScreen

SYNC_BUDGET = 0.015   # a fast check slower than this moves to a worker thread
DEEP_DELAY = 1.5      # seconds of quiet before the deep check starts
NARROW = 100          # under this many columns the explanation is a one-line strip
MARKS = {"error": "E", "warning": "W"}
ORDER = {"error": 0, "warning": 1, "info": 2}
DEEP_CODES = {"render-error", "render-warning", "no-effect", "render-unavailable", "deep-skipped"}


def mark(d) -> str:
    """E / W / i: severity readable without colour."""
    return MARKS.get(d.severity, "i")


@dataclass
class DeepChecked(Message):
    key: tuple
    diags: list
    error: str | None = None


@dataclass
class FastChecked(Message):
    key: tuple
    diags: list


@dataclass
class DeployedLoaded(Message):
    text: str | None
    error: str | None = None


class ValuesScreen(WizardScreen):
    STEP = "values"
    BINDINGS = [
        WizardScreen.BACK_BINDING,
        Binding("ctrl+n", "next", "Next: review", id="values.next"),
        Binding("f8", "next_problem", "Next problem", id="values.next_problem"),
        Binding("shift+f8", "prev_problem", "Prev problem", id="values.prev_problem"),
        Binding("ctrl+f", "apply_fix", "Fix", id="values.fix"),
        Binding("f2", "toggle_explain", "Explain", id="values.explain"),
        Binding("f4", "next_layer", "Next layer", id="values.next_layer"),
        Binding("shift+f4", "prev_layer", "Prev layer", id="values.prev_layer", show=False),
        Binding("ctrl+o", "open_editor", "$EDITOR", id="values.editor"),
        Binding("ctrl+s", "save", "Save", id="values.save"),
        Binding("ctrl+r", "deep_check", "Deep check", id="values.deep_check", show=False),
        Binding("ctrl+l", "focus_problems", "Problems", id="values.problems", show=False),
        Binding("ctrl+t", "untab", "Tabs → spaces", id="values.untab", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.chart = None
        self.diags: list = []
        self.deep: list = []
        self._deep_for: tuple | None = None
        self._deep_note = "deep …"
        self._last_check = 0.0
        self._save_timer = None
        self._deep_timer = None
        self._layered_cache: tuple | None = None
        self._cursors: dict[int, tuple[int, int]] = {}    # where the cursor was in each layer
        self.explain_flipped = False                       # F2: the other way than the width says
        self.latency_probe = None   # benchmarks set a callable(seconds)

    def compose_body(self) -> ComposeResult:
        st = self.app.state
        yield Static("", id="layers", markup=False)
        with Container(id="values-main"):
            yield ValuesEditor(st.values_text or "", id="editor", cursor_blink=self.app.cursor_blink)
            with VerticalScroll(id="explain"):
                yield Static("", id="explain-body", markup=False)
        yield Static("", id="explain-strip", markup=False)
        yield OptionList(id="problems")

    def on_mount(self) -> None:
        from ...core.textsafe import visible
        self.update_subtitle()
        st = self.app.state
        try:
            self.chart = self.app.session.chart(st.chart_ref)
        except Exception as exc:  # noqa: BLE001 - an unknown chart in a --values header: say it, fall back
            from ...core.errorlog import describe
            self.app.notify(visible(f"chart {st.chart_ref}: {describe(exc)}; using the default chart"),
                            severity="warning", markup=False)
            st.chart_ref = None
            self.chart = self.app.session.chart(None)
        if st.chart_ref is None:
            st.chart_ref = f"{self.chart.name}@{self.chart.version}"
        self._layout(self.app.size.width)
        editor = self.query_one("#editor", ValuesEditor)
        editor.focus()
        self._show_layers()
        self._run_fast()
        self._explain()
        self._schedule_deep()

    def on_revisit(self) -> None:
        self.update_subtitle()

    # ---- layout: the explanation beside the editor, or a strip under it ----------------------
    def on_resize(self, event: events.Resize) -> None:
        self._layout(event.size.width)
        self._show_diags(force=True)      # the problems list and the panel reflow to the new width

    def _layout(self, width: int) -> None:
        narrow = width < NARROW
        self.set_class(narrow, "narrow")
        self.set_class(narrow != self.explain_flipped, "explain-closed")

    def explain_open(self) -> bool:
        return not self.has_class("explain-closed")

    def action_toggle_explain(self) -> None:
        self.explain_flipped = not self.explain_flipped
        self._layout(self.app.size.width)
        self._explain(force=True)

    # ---- layers -------------------------------------------------------------------------------
    def _names(self) -> list[str]:
        """The file each layer's diagnostics carry ("" for one file checked on its own)."""
        st = self.app.state
        return [n for n, _ in st.named_texts()] if st.layered else [""]

    def _layer_of(self, d) -> int:
        st = self.app.state
        if not st.layered:
            return 0
        names = self._names()
        return names.index(d.file) if d.file in names else len(names) - 1

    def _layered(self):
        """The merged set (cached per layer texts): which layer sets each effective value."""
        st = self.app.state
        key = st.layer_texts()
        if self._layered_cache is None or self._layered_cache[0] != key:
            self._layered_cache = (key, st.merged())
        return self._layered_cache[1]

    def _show_layers(self, where: str = "") -> None:
        from ...core.textsafe import visible
        st = self.app.state
        bar = self.query_one("#layers", Static)
        bar.set_class(st.layered, "shown")
        if not st.layered:
            return
        text = Text("Layers ", style="bold", no_wrap=True, overflow="ellipsis")
        for i, layer in enumerate(st.layers):
            label = f" {i + 1} {visible(layer.short, one_line=True)}{'' if layer.text == layer.file_text else ' *'} "
            text.append(f"▸{label}◂" if i == st.current else f" {label} ", style="reverse bold" if i == st.current
                        else "")
        text.append("  F4 switches", style="dim")
        if where:
            text.append(f" · {where}")
        bar.update(text)

    def _switch_layer(self, index: int, cursor: tuple[int, int] | None = None) -> None:
        st = self.app.state
        if not st.layered:
            return
        editor = self.query_one("#editor", ValuesEditor)
        self._cursors[st.current] = editor.cursor_location
        st.values_text = editor.text
        st.current = index % len(st.layers)
        with editor.prevent(TextArea.Changed):
            editor.load_text(st.values_text or "")
        editor.move_cursor(cursor or self._cursors.get(st.current, (0, 0)))
        editor.scroll_cursor_visible()
        self._show_layers()
        self._show_diags(force=True)

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("next_layer", "prev_layer"):
            return True if self.app.state.layered else False    # one file: not in the key bar
        return True

    def action_next_layer(self) -> None:
        if not self.app.state.layered:
            self.app.notify("one values file: no other layer (gaie-tui --values a.yaml --values b.yaml opens a set)",
                            timeout=4)
            return
        self._switch_layer(self.app.state.current + 1)

    def action_prev_layer(self) -> None:
        if self.app.state.layered:
            self._switch_layer(self.app.state.current - 1)

    # ---- checking ---------------------------------------------------------------------------
    @on(TextArea.Changed, "#editor")
    def _changed(self, event: TextArea.Changed) -> None:
        self.app.state.values_text = event.text_area.text
        if self._last_check <= SYNC_BUDGET:
            self._run_fast()
        else:
            self._fast_worker(self.app.state.layer_texts())
        self._schedule_save()
        self._schedule_deep()
        self._show_layers()

    def _check(self) -> list:
        return self.app.state.check(self.chart)

    def _run_fast(self) -> None:
        t0 = time.perf_counter()
        try:
            diags = self._check()
        except Exception as exc:  # noqa: BLE001 - the checker must never take the editor down
            self.app.report_error(exc, "The checker failed")
            diags = []
        self._last_check = time.perf_counter() - t0
        self._apply_fast(diags)

    @work(thread=True, exclusive=True, group="fast-check", exit_on_error=False)
    def _fast_worker(self, key: tuple) -> None:
        t0 = time.perf_counter()
        try:
            diags = self._check()
        except Exception as exc:  # noqa: BLE001 - said as on the synchronous path, never swallowed
            self.app.call_from_thread(self.app.report_error, exc, "The checker failed")
            diags = []
        self._last_check = time.perf_counter() - t0
        self.post_message(FastChecked(key, diags))

    def on_fast_checked(self, msg: FastChecked) -> None:
        if msg.key == self.app.state.layer_texts():
            self._apply_fast(msg.diags)

    def _apply_fast(self, diags: list) -> None:
        self.diags = diags
        if self._deep_for != self.app.state.layer_texts():
            self.deep = []  # stale: the text changed since the deep check ran
            self._deep_note = "deep …"
        self._show_diags()
        if self.latency_probe is not None:
            self.latency_probe()

    def _schedule_deep(self) -> None:
        if self._deep_timer is not None:
            self._deep_timer.stop()
        self._deep_timer = self.set_timer(DEEP_DELAY, self.action_deep_check)

    def action_deep_check(self) -> None:
        st = self.app.state
        self._deep_worker(st.layer_texts(), st.named_texts() if st.layered else None)

    @work(thread=True, exclusive=True, group="deep-check", exit_on_error=False)
    def _deep_worker(self, key: tuple, files) -> None:
        from ...core.check.checker import check_layers, deep_check
        try:
            if files is None:
                diags = deep_check(key[0] if key else "", self.chart)
            else:
                diags = [d for d in check_layers(files, self.chart, deep=True) if d.code in DEEP_CODES]
            self.post_message(DeepChecked(key, diags))
        except Exception as exc:  # noqa: BLE001 - said in the status line
            from ...core.errorlog import describe
            from ...core.textsafe import clip
            self.post_message(DeepChecked(key, [], error=clip(describe(exc), 120)))

    def on_deep_checked(self, msg: DeepChecked) -> None:
        from ...core.textsafe import clip
        if msg.key != self.app.state.layer_texts():
            return
        self._deep_for = msg.key
        unavailable = [d for d in msg.diags if d.code == "render-unavailable"]
        if msg.error:
            self.deep = []
            self._deep_note = f"deep check failed: {msg.error}"
        elif unavailable:
            self.deep = [d for d in msg.diags if d.code != "render-unavailable"]
            self._deep_note = f"deep skipped: {clip(unavailable[0].message, 60)}"
        else:
            self.deep = msg.diags
            self._deep_note = "deep ✓"
        self._show_diags()

    def all_diags(self) -> list:
        """Every finding, in the order of the layers, then by line."""
        seen, out = set(), []
        for d in [*self.diags, *self.deep]:
            key = (d.file, d.code, d.line, d.path)
            if key not in seen:
                seen.add(key)
                out.append(d)
        return sorted(out, key=lambda d: (self._layer_of(d), d.line, ORDER.get(d.severity, 3)))

    def here_diags(self) -> list:
        """The findings in the layer the editor shows."""
        current = self.app.state.current
        return [d for d in self.all_diags() if self._layer_of(d) == current]

    def _where(self, d) -> str:
        """`12:3`, or `overlay.yaml:12:3` in a layered set."""
        from ...core.textsafe import visible
        st = self.app.state
        if not st.layered:
            return f"{d.line}:{d.column}"
        return f"{visible(st.layers[self._layer_of(d)].short, one_line=True)}:{d.line}:{d.column}"

    def _show_diags(self, force: bool = False) -> None:
        from ...core.textsafe import visible
        from ...core.values.diagnostics import summary
        diags = self.all_diags()
        st = self.app.state
        st.diagnostics, st.deep_diagnostics = list(self.diags), list(self.deep)
        self.query_one("#editor", ValuesEditor).set_diagnostics(self.here_diags())
        plist = self.query_one("#problems", OptionList)
        # whole lines, cut with … by the list at its own width: they reflow when the terminal grows
        new = [visible(f"{mark(d)} {self._where(d)} {d.message}", one_line=True) for d in diags]
        if force or new != getattr(self, "_problem_lines", None):
            self._problem_lines = new
            highlighted = plist.highlighted
            plist.clear_options()
            plist.add_options([Option(Text(t, no_wrap=True, overflow="ellipsis"), id=str(i))
                               for i, t in enumerate(new)] or
                              [Option(Text("no problems found"), id="none", disabled=True)])
            if highlighted is not None and diags:
                plist.highlighted = min(highlighted, len(diags) - 1)
        layers = f" · layer {st.current + 1} of {len(st.layers)}" if st.layered else ""
        self.set_status(f"{summary(diags, marks=True)}  · {self._deep_note} · {self.chart.name} "
                        f"{self.chart.version}{layers}")
        self._explain(force=force)

    # ---- explanation panel ------------------------------------------------------------------
    @on(TextArea.SelectionChanged, "#editor")
    def _cursor_moved(self) -> None:
        self._explain()

    def _explain(self, force: bool = False) -> None:
        if self.chart is None:
            return
        from ...core.charts.keyinfo import key_info
        from ...core.textsafe import visible
        from ...core.values.cursor import setting_under_cursor
        editor = self.query_one("#editor", ValuesEditor)
        row, col = editor.cursor_location
        path, keys, value = setting_under_cursor(editor.text, row + 1, col + 1)
        here = [d for d in self.here_diags() if d.line == row + 1]
        panel = self.query_one("#explain", VerticalScroll)
        width = max(20, (panel.content_size.width or 40) - 1)
        lines: list[str] = []
        strip = ""
        # the diagnostic first: at 80×24 it is what the user came for, above the fold
        for d in here:
            lines += [f"{mark(d)} {d.severity.upper()} [{d.code}]", d.message]
            if d.hint:
                lines.append(f"→ {d.hint}")
            if d.fix is not None:
                lines.append(f"ctrl+f: {d.fix.title}")
            lines.append("")
            strip = strip or f"{mark(d)} {d.message}"
        text_line = editor.document.get_line(row)
        if "\t" in text_line[: len(text_line) - len(text_line.lstrip(" \t"))]:
            lines += ["A tab in the indentation (shown as →): YAML allows only spaces.",
                      "ctrl+t: every tab in the indentation → two spaces", ""]
            strip = strip or "A tab in the indentation (→): ctrl+t turns tabs into spaces"
        where = ""
        if path:
            info = key_info(self.chart, path, value) if keys is not None else key_info(self.chart, path)
            lines += wrap_path(path, width)
            if self.app.state.layered and keys is not None:
                where, said = self._effective(keys)
                lines += said
            if info.known:
                if info.inside:
                    lines.append(f"inside {info.inside}, which the chart passes on as written")
                type_line = f"type: {info.type or 'any'}" + (" (as written here)" if info.inside and info.type else "")
                lines.append(type_line)
                if info.has_default:
                    lines.append(f"default in {self.chart.version}: {_short(info.default)}")
                if not info.read:
                    lines.append("read by no template: helm ignores it")
                if info.our_doc:
                    lines += ["", info.our_doc]
                if info.chart_doc and info.chart_doc != info.our_doc:
                    lines += ["", f"Chart: {info.chart_doc}"]
                strip = strip or f"{path} · {type_line}" + (
                    f" · default {_short(info.default, 30)}" if info.has_default else "")
            else:
                lines.append(f"not a key of {self.chart.name} {self.chart.version}: helm would ignore it")
                strip = strip or f"{path}: not a key of {self.chart.name} {self.chart.version}"
        else:
            lines.append("Move the cursor onto a key to see what it does.")
            strip = strip or "Move the cursor onto a key to see what it does."
        if self.app.state.layered:
            self._show_layers(where)
        new = visible("\n".join(lines).strip("\n"))
        strip_text = visible(strip, one_line=True) + ("  (F2: more)" if here or path else "  (F2: the panel)")
        if force or (new, strip_text) != getattr(self, "_explained", None):
            self._explained = (new, strip_text)
            self.query_one("#explain-body", Static).update(Text(new))
            self.query_one("#explain-strip", Static).update(Text(strip_text, no_wrap=True, overflow="ellipsis"))

    def _effective(self, keys: tuple) -> tuple[str, list[str]]:
        """Which layer sets the value helm uses for `keys`: a short form for the layer bar and the
        panel's lines (and what it overrides, or what overrides this layer's value)."""
        from ...core.textsafe import visible
        from ...core.values.diagnostics import format_path
        st = self.app.state
        layered = self._layered()
        if not layered.ok:
            return "", []
        names = self._names()
        file, line, _ = layered.source.locate(keys)
        idx = names.index(file) if file in names else st.current
        short = visible(st.layers[idx].short, one_line=True)
        mine = names[st.current]
        lines = []
        if idx == st.current:
            lines.append(f"set here ({short}:{line}): this is the value helm uses")
            for o in layered.overrides:
                entry = layered.layers[o.layer].positions.get(o.keys)
                if o.by == st.current and o.by_keys == keys[: len(o.by_keys)] and entry is not None:
                    lines.append(f"  overrides {visible(st.layers[o.layer].short, one_line=True)}:{entry.line}")
        else:
            lines.append(f"helm uses the value from {short}:{line} (layer {idx + 1})")
            if any(o.layer == st.current and o.keys == keys[: len(o.keys)] for o in layered.overrides) or \
                    layered.layers[names.index(mine)].positions.get(keys) is not None:
                lines.append("  this layer's value never reaches the chart")
        return f"{format_path(keys)} ← {short}:{line}", lines

    # ---- problems navigation ----------------------------------------------------------------
    def _jump(self, index: int) -> None:
        diags = self.all_diags()
        if not diags:
            self.app.notify("no problems", timeout=2)
            return
        index %= len(diags)
        d = diags[index]
        plist = self.query_one("#problems", OptionList)
        plist.highlighted = index
        editor = self.query_one("#editor", ValuesEditor)
        target = (d.line - 1, max(0, d.column - 1))
        layer = self._layer_of(d)
        if layer != self.app.state.current:
            self._switch_layer(layer, target)      # a finding in another layer: that layer in the editor
        else:
            editor.move_cursor(target)
        editor.scroll_cursor_visible()
        editor.focus()

    def _cursor_pos(self) -> tuple[int, int]:
        return self.app.state.current, self.query_one("#editor", ValuesEditor).cursor_location[0] + 1

    def action_next_problem(self) -> None:
        diags = self.all_diags()
        here = self._cursor_pos()
        for i, d in enumerate(diags):
            if (self._layer_of(d), d.line) > here:
                self._jump(i)
                return
        self._jump(0)

    def action_prev_problem(self) -> None:
        diags = self.all_diags()
        here = self._cursor_pos()
        for i in range(len(diags) - 1, -1, -1):
            if (self._layer_of(diags[i]), diags[i].line) < here:
                self._jump(i)
                return
        self._jump(len(diags) - 1)

    @on(OptionList.OptionSelected, "#problems")
    def _problem_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and event.option.id.isdigit():
            self._jump(int(event.option.id))

    def action_focus_problems(self) -> None:
        self.query_one("#problems", OptionList).focus()

    @guarded
    def action_apply_fix(self) -> None:
        from ...core.textsafe import visible
        editor = self.query_one("#editor", ValuesEditor)
        line = editor.cursor_location[0] + 1
        fixes = [d for d in self.here_diags() if d.line == line and d.fix is not None]
        if not fixes:
            if any(d.code == "yaml-tab" for d in self.here_diags()):
                self.action_untab()
                return
            self.app.notify("no one-key fix for this line", timeout=3)
            return
        fix = fixes[0].fix
        last = editor.document.line_count - 1
        start = (fix.line - 1, fix.column - 1)
        end = (fix.end_line - 1, fix.end_column - 1)
        if end[0] > last:  # a whole last line: clamp to the end of the document
            end = (last, len(editor.document.get_line(last)))
        editor.replace(fix.text, start, end)
        self.app.notify(visible(f"applied: {fix.title}"), timeout=3, markup=False)

    def action_untab(self) -> None:
        """ctrl+t: every tab in the indentation becomes two spaces (YAML allows only spaces)."""
        editor = self.query_one("#editor", ValuesEditor)
        n = editor.untab()
        self.app.notify(f"{n} tab(s) in the indentation replaced by two spaces" if n else
                        "no tab in the indentation", timeout=3)

    # ---- files --------------------------------------------------------------------------------
    def _schedule_save(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(0.5, self._save_draft)

    def _save_draft(self) -> None:
        from ...core.errors import UserError
        from ...core.textsafe import visible
        try:
            save_draft(self.app.state)
        except (OSError, UserError) as exc:
            self.app.notify(visible(f"draft not saved: {exc}"), severity="warning", markup=False)

    def on_unmount(self) -> None:
        self._save_draft()

    def action_save(self) -> None:
        """ctrl+s: back to the file opened (or written before); the first time, ask where."""
        st = self.app.state
        if st.values_file and st.values_file_text is not None:
            self.write_values(st.values_file)
            return
        from ..widgets.modals import AskPath
        self.app.push_screen(AskPath("Write the values to:", st.values_file or "values.yaml"),
                             lambda path: self.write_values(path) if path else None)

    def write_values(self, path: str | None) -> None:
        """Write the editor's text (it is the user's own file: secrets included, as typed). A file
        this wizard did not open or write — or one changed on disk since — is replaced only after
        asking."""
        if not path:
            self.action_save()
            return
        st = self.app.state
        target = Path(path).expanduser()
        ours = st.values_file is not None and Path(st.values_file).expanduser() == target
        try:
            on_disk = target.read_text(encoding="utf-8") if target.is_file() else None
        except (OSError, UnicodeDecodeError):
            on_disk = ""
        text = self.query_one("#editor", ValuesEditor).text
        if on_disk is not None and on_disk != text and not (ours and on_disk == st.values_file_text):
            from ...core.textsafe import visible
            from ..widgets.modals import Confirm
            why = "it changed on disk since it was opened here" if ours else "it was not opened here"
            self.app.push_screen(Confirm(visible(f"{target} exists and {why}.\nReplace it?"), yes="Replace",
                                         no="Keep it", danger=True),
                                 lambda ok: self._write(target, text) if ok else None)
            return
        self._write(target, text)

    def _write(self, target: Path, text: str) -> None:
        from ...core.errors import UserError
        from ...core.safeio import write_text
        from ...core.textsafe import visible
        try:
            write_text(target, text)
        except UserError as exc:
            self.app.notify(visible(str(exc)), severity="error", markup=False)
            return
        st = self.app.state
        st.values_file, st.values_file_text = str(target), text
        self._save_draft()
        self._show_layers()
        self.app.notify(visible(f"wrote {target}"), timeout=3, markup=False)

    @guarded
    def action_open_editor(self) -> None:
        from ...core.textsafe import visible
        editor_cmd = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        widget = self.query_one("#editor", ValuesEditor)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="gaie-tui-edit-", delete=False) as fh:
            fh.write(widget.text)   # mode 0600 (mkstemp); removed after, unless the editor failed
            name = fh.name
        try:
            with self.app.suspend():
                rc = subprocess.call([*shlex.split(editor_cmd), name])
            text = Path(name).read_text(encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - no such editor, no terminal to hand over (textual-serve) …
            from ...core.errorlog import describe
            Path(name).unlink(missing_ok=True)
            self.app.notify(visible(f"$EDITOR ({editor_cmd}) could not run: {describe(exc)}. Your values are "
                                    "unchanged here."), severity="warning", markup=False, timeout=10)
            return
        if rc != 0:
            # A failed (or aborted, :cq) editor does not replace the text; whatever it saved is kept.
            changed = text != widget.text
            if not changed:
                Path(name).unlink(missing_ok=True)
            self.app.notify(visible(f"$EDITOR ({editor_cmd}) exited with status {rc}: the values here are "
                                    "unchanged" + (f"; what it saved is kept in {name}" if changed else "")),
                            severity="warning", markup=False, timeout=15)
            return
        Path(name).unlink(missing_ok=True)
        if text != widget.text:
            widget.load_text(text)
            self.app.state.values_text = text
            self._run_fast()
            self._schedule_deep()
            self._save_draft()
            self.app.notify("values updated from $EDITOR", timeout=3)

    # ---- next -------------------------------------------------------------------------------
    def action_next(self) -> None:
        self.app.state.values_text = self.query_one("#editor", ValuesEditor).text
        self._save_draft()
        self.app.goto("review", fresh=True)

    def action_back(self) -> None:
        self._save_draft()
        if any(getattr(s, "STEP", None) == "setup" for s in self.app.screen_stack):
            self.app.goto("setup")
        else:
            self.app.goto("setup", fresh=True)

    def action_load_deployed(self) -> None:
        self._deployed_worker()

    @work(thread=True, exclusive=True, group="deployed", exit_on_error=False)
    def _deployed_worker(self) -> None:
        st = self.app.state
        try:
            text = None if st.offline else self.app.session.deployed_values(st.answers.release, st.answers.namespace)
            self.post_message(DeployedLoaded(text))
        except Exception as exc:  # noqa: BLE001 - said, nothing changes
            from ...core.errorlog import describe
            self.post_message(DeployedLoaded(None, error=describe(exc)))

    def on_deployed_loaded(self, msg: DeployedLoaded) -> None:
        from ...core.textsafe import visible
        st = self.app.state
        if not msg.text:
            self.app.notify(visible(f"no deployed release {st.answers.release} in {st.answers.namespace} to load"
                                    + (f" ({msg.error})" if msg.error else "")), severity="warning", markup=False)
            return
        header = f"# gaie-tui: chart={st.chart_ref}\n# Values of the deployed release {st.answers.release}.\n"
        editor = self.query_one("#editor", ValuesEditor)
        editor.load_text(header + msg.text)
        st.values_text = editor.text
        self._run_fast()
        self._schedule_deep()
        self._save_draft()
        self.app.notify("loaded the deployed release's values", timeout=4)

    def palette_commands(self):
        cmds = [("Values: next problem", "F8", self.action_next_problem),
                ("Values: apply the fix on this line", "ctrl+f", self.action_apply_fix),
                ("Values: explanation panel open/closed", "F2", self.action_toggle_explain),
                ("Values: tabs in the indentation → two spaces", "ctrl+t", self.action_untab),
                ("Values: load the deployed release's values (upgrade)", ":deployed", self.action_load_deployed),
                ("Values: open in $EDITOR", "ctrl+o", self.action_open_editor),
                ("Values: deep check now (helm template)", "ctrl+r", self.action_deep_check),
                ("Values: save to file", "ctrl+s", self.action_save),
                ("Values: copy to clipboard (OSC 52)", "",
                 lambda: self.app.copy_to_clipboard(self.query_one("#editor", ValuesEditor).text)),
                ("Values: review", "ctrl+n", self.action_next)]
        st = self.app.state
        if st.layered:
            from ...core.textsafe import visible
            cmds[1:1] = [(f"Values: edit layer {i + 1} ({visible(layer.short, one_line=True)})", "F4",
                          lambda i=i: self._switch_layer(i)) for i, layer in enumerate(st.layers)]
        return cmds


def wrap_path(path: str, width: int) -> list[str]:
    """A key path on as many lines as it needs, broken only before a `.` or `[` (never inside a
    key: `inferenceExtension.extProcPort` is not cut into `extProcP` / `ort`); a key longer than a
    line is the only thing ever folded."""
    import re
    parts = re.findall(r"\.?[^.\[]+|\[[^\]]*\]", path) or [path]
    lines: list[str] = []
    cur = ""
    for part in parts:
        if cur and len(cur) + len(part) > width:
            lines.append(cur)
            cur = "  " + part
        else:
            cur += part
    lines.append(cur)
    out: list[str] = []
    for line in lines:
        while len(line) > width:
            out.append(line[:width])
            line = "  " + line[width:]
        out.append(line)
    return out


def _short(value, limit: int = 120) -> str:
    from ...core.values.diagnostics import shown_value
    text = shown_value(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
