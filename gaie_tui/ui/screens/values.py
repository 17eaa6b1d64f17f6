"""Values: the YAML editor with live diagnostics, problems list and an explanation panel.

The checker's `Diagnostic`s are shown as they are (marks, problems list, the panel); the deep check
(`helm template`) says when it was skipped and why. ctrl+s never replaces a file silently: the first
time it asks where, and it asks again before replacing a file this wizard did not open.
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
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..guard import guarded
from ..state import save_draft
from ..widgets.editor import ValuesEditor
from .base import WizardScreen

SYNC_BUDGET = 0.015   # a fast check slower than this moves to a worker thread
DEEP_DELAY = 1.5      # seconds of quiet before the deep check starts
MARKS = {"error": "E", "warning": "W"}
ORDER = {"error": 0, "warning": 1, "info": 2}


def mark(d) -> str:
    """E / W / i: severity readable without colour."""
    return MARKS.get(d.severity, "i")


@dataclass
class DeepChecked(Message):
    text: str
    diags: list
    error: str | None = None


@dataclass
class FastChecked(Message):
    text: str
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
        Binding("ctrl+o", "open_editor", "$EDITOR", id="values.editor"),
        Binding("ctrl+s", "save", "Save", id="values.save"),
        Binding("ctrl+r", "deep_check", "Deep check", id="values.deep_check", show=False),
        Binding("ctrl+l", "focus_problems", "Problems", id="values.problems", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.chart = None
        self.diags: list = []
        self.deep: list = []
        self._deep_for: str | None = None
        self._deep_note = "deep …"
        self._last_check = 0.0
        self._save_timer = None
        self._deep_timer = None
        self.latency_probe = None   # benchmarks set a callable(seconds)

    def compose_body(self) -> ComposeResult:
        st = self.app.state
        with Horizontal(id="values-main"):
            yield ValuesEditor(st.values_text or "", id="editor", cursor_blink=self.app.cursor_blink)
            with VerticalScroll(id="explain"):
                yield Static("", id="explain-body", markup=False)
        yield OptionList(id="problems")

    def on_mount(self) -> None:
        from ...core.textsafe import visible
        self.update_subtitle()
        st = self.app.state
        try:
            self.chart = self.app.session.chart(st.chart_ref)
        except Exception as exc:  # noqa: BLE001 - an unknown chart in a --values header: say it, fall back
            self.app.notify(visible(f"chart {st.chart_ref!r}: {exc}; using the default chart"), severity="warning",
                            markup=False)
            st.chart_ref = None
            self.chart = self.app.session.chart(None)
        if st.chart_ref is None:
            st.chart_ref = f"{self.chart.name}@{self.chart.version}"
        editor = self.query_one("#editor", ValuesEditor)
        editor.focus()
        self._run_fast(editor.text)
        self._explain()
        self._schedule_deep()

    def on_revisit(self) -> None:
        self.update_subtitle()

    # ---- checking ---------------------------------------------------------------------------
    @on(TextArea.Changed, "#editor")
    def _changed(self, event: TextArea.Changed) -> None:
        text = event.text_area.text
        self.app.state.values_text = text
        if self._last_check <= SYNC_BUDGET:
            self._run_fast(text)
        else:
            self._fast_worker(text)
        self._schedule_save()
        self._schedule_deep()

    def _check(self, text: str) -> list:
        from ...core.check.checker import check_text
        return check_text(text, self.chart)

    def _run_fast(self, text: str) -> None:
        t0 = time.perf_counter()
        try:
            diags = self._check(text)
        except Exception as exc:  # noqa: BLE001 - the checker must never take the editor down
            self.app.report_error(exc, "The checker failed")
            diags = []
        self._last_check = time.perf_counter() - t0
        self._apply_fast(diags)

    @work(thread=True, exclusive=True, group="fast-check", exit_on_error=False)
    def _fast_worker(self, text: str) -> None:
        t0 = time.perf_counter()
        diags = self._check(text)
        self._last_check = time.perf_counter() - t0
        self.post_message(FastChecked(text, diags))

    def on_fast_checked(self, msg: FastChecked) -> None:
        if msg.text == self.query_one("#editor", ValuesEditor).text:
            self._apply_fast(msg.diags)

    def _apply_fast(self, diags: list) -> None:
        self.diags = diags
        text = self.query_one("#editor", ValuesEditor).text
        if self._deep_for != text:
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
        self._deep_worker(self.query_one("#editor", ValuesEditor).text)

    @work(thread=True, exclusive=True, group="deep-check", exit_on_error=False)
    def _deep_worker(self, text: str) -> None:
        from ...core.check.checker import deep_check
        try:
            self.post_message(DeepChecked(text, deep_check(text, self.chart)))
        except Exception as exc:  # noqa: BLE001 - said in the status line
            from ...core.textsafe import clip
            self.post_message(DeepChecked(text, [], error=clip(str(exc) or type(exc).__name__, 120)))

    def on_deep_checked(self, msg: DeepChecked) -> None:
        from ...core.textsafe import clip
        if msg.text != self.query_one("#editor", ValuesEditor).text:
            return
        self._deep_for = msg.text
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
        seen, out = set(), []
        for d in [*self.diags, *self.deep]:
            key = (d.code, d.line, d.path)
            if key not in seen:
                seen.add(key)
                out.append(d)
        return sorted(out, key=lambda d: (d.line, ORDER.get(d.severity, 3)))

    def _show_diags(self) -> None:
        from ...core.textsafe import clip
        diags = self.all_diags()
        st = self.app.state
        st.diagnostics, st.deep_diagnostics = list(self.diags), list(self.deep)
        self.query_one("#editor", ValuesEditor).set_diagnostics(diags)
        plist = self.query_one("#problems", OptionList)
        width = max(30, (plist.size.width or self.app.size.width) - 3)
        new = [clip(f"{mark(d)} {d.line}:{d.column} {d.message}", width) for d in diags]
        old = [str(plist.get_option_at_index(i).prompt) for i in range(plist.option_count)]
        if new != old:
            highlighted = plist.highlighted
            plist.clear_options()
            plist.add_options([Option(Text(t, no_wrap=True), id=str(i)) for i, t in enumerate(new)] or
                              [Option(Text("no problems found"), id="none", disabled=True)])
            if highlighted is not None and diags:
                plist.highlighted = min(highlighted, len(diags) - 1)
        counts = {s: sum(1 for d in diags if d.severity == s) for s in ("error", "warning", "info")}
        self.set_status(f"✗ {counts['error']} errors  ⚠ {counts['warning']} warnings  i {counts['info']} notes"
                        f"  · {self._deep_note} · {self.chart.name} {self.chart.version}")
        self._explain()

    # ---- explanation panel ------------------------------------------------------------------
    @on(TextArea.SelectionChanged, "#editor")
    def _cursor_moved(self) -> None:
        self._explain()

    def _explain(self) -> None:
        if self.chart is None:
            return
        from ...core.charts.keyinfo import key_info
        from ...core.textsafe import visible
        from ...core.values.cursor import path_under_cursor
        editor = self.query_one("#editor", ValuesEditor)
        row, col = editor.cursor_location
        path = path_under_cursor(editor.text, row + 1, col + 1)
        here = [d for d in self.all_diags() if d.line == row + 1]
        lines: list[str] = []
        if path:
            info = key_info(self.chart, path)
            lines += [path, ""]
            if info.known:
                if info.our_doc:
                    lines += [info.our_doc, ""]
                if info.chart_doc and info.chart_doc != info.our_doc:
                    lines += [f"Chart: {info.chart_doc}", ""]
                lines.append(f"type: {info.type or 'any'}")
                if info.has_default:
                    lines.append(f"default in {self.chart.version}: {_short(info.default)}")
                if not info.read:
                    lines.append("read by no template: helm ignores it")
            else:
                lines.append(f"not a key of {self.chart.name} {self.chart.version}: helm would ignore it")
        else:
            lines.append("Move the cursor onto a key to see what it does.")
        for d in here:
            lines += ["", f"{d.severity.upper()} [{d.code}]", d.message]
            if d.hint:
                lines.append(f"→ {d.hint}")
            if d.fix is not None:
                lines.append(f"ctrl+f: {d.fix.title}")
        new = visible("\n".join(lines))
        if new != getattr(self, "_explained", None):
            self._explained = new
            self.query_one("#explain-body", Static).update(Text(new))

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
        editor.move_cursor((d.line - 1, max(0, d.column - 1)))
        editor.scroll_cursor_visible()
        editor.focus()

    def _cursor_line(self) -> int:
        return self.query_one("#editor", ValuesEditor).cursor_location[0] + 1

    def action_next_problem(self) -> None:
        diags = self.all_diags()
        line = self._cursor_line()
        for i, d in enumerate(diags):
            if d.line > line:
                self._jump(i)
                return
        self._jump(0)

    def action_prev_problem(self) -> None:
        diags = self.all_diags()
        line = self._cursor_line()
        for i in range(len(diags) - 1, -1, -1):
            if diags[i].line < line:
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
        fixes = [d for d in self.all_diags() if d.line == line and d.fix is not None]
        if not fixes:
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
            Path(name).unlink(missing_ok=True)
            self.app.notify(visible(f"$EDITOR ({editor_cmd}) could not run: {exc}. Your values are unchanged "
                                    "here."), severity="warning", markup=False, timeout=10)
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
            self._run_fast(text)
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
            self.post_message(DeployedLoaded(None, error=str(exc)))

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
        self._run_fast(editor.text)
        self._schedule_deep()
        self._save_draft()
        self.app.notify("loaded the deployed release's values", timeout=4)

    def palette_commands(self):
        return [("Values: next problem", "F8", self.action_next_problem),
                ("Values: load the deployed release's values (upgrade)", ":deployed", self.action_load_deployed),
                ("Values: apply the fix on this line", "ctrl+f", self.action_apply_fix),
                ("Values: open in $EDITOR", "ctrl+o", self.action_open_editor),
                ("Values: deep check now (helm template)", "ctrl+r", self.action_deep_check),
                ("Values: save to file", "ctrl+s", self.action_save),
                ("Values: copy to clipboard (OSC 52)", "",
                 lambda: self.app.copy_to_clipboard(self.query_one("#editor", ValuesEditor).text)),
                ("Values: review", "ctrl+n", self.action_next)]


def _short(value) -> str:
    import json
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "…"
