"""The wizard application: six screens over gaie_tui/core, navigation, keymap, palette, errors."""
from __future__ import annotations

import traceback
from datetime import datetime
from functools import wraps
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding

from .keymap import load_keymap
from .services import Services
from .state import WizardState, discard_draft, load_draft

STEPS = ("setup", "values", "review", "deploy", "verify", "record")
STEP_TITLES = {"setup": "Setup", "values": "Values", "review": "Review", "deploy": "Deploy",
               "verify": "Verify", "record": "Record"}


def log_path() -> Path:
    from ..core.paths import state_dir
    return state_dir() / "gaie-tui.log"


def write_error_log(error: BaseException) -> Path:
    path = log_path()
    from ..core.errors import UserError
    from ..core.redact import redact
    from ..core.safeio import open_append
    try:
        with open_append(path) as fh:
            fh.write(f"--- {datetime.now().isoformat(timespec='seconds')}\n")
            fh.write(redact("".join(traceback.format_exception(type(error), error, error.__traceback__))))
    except (OSError, UserError):
        pass
    return path


def _resume_gc() -> None:
    import gc
    gc.enable()


def guarded(method):
    """Turn an unexpected exception in a handler into a notification plus the log file path."""
    @wraps(method)
    def wrapper(self, *a, **kw):
        try:
            return method(self, *a, **kw)
        except Exception as exc:  # noqa: BLE001 - the point is to catch everything
            self.app.report_error(exc)
    return wrapper


def _wizard_commands():
    """The palette provider, built on first use: textual.command stays out of start-up."""
    from textual.command import DiscoveryHit, Hit, Hits, Provider

    class WizardCommands(Provider):
        """ctrl+p: the current screen's commands first, then the steps of the wizard."""

        def _commands(self):
            app: GaieApp = self.app  # type: ignore[assignment]
            cmds = list(getattr(app.screen, "palette_commands", lambda: [])())
            for step in STEPS:
                cmds.append((f"Go to {STEP_TITLES[step]}", f":{step}", lambda s=step: app.goto(s)))
            cmds.append(("Keys and help", "every binding with its id", app.action_help))
            return cmds

        async def discover(self) -> Hits:
            for title, help_text, cb in self._commands():
                yield DiscoveryHit(title, cb, help=help_text)

        async def search(self, query: str) -> Hits:
            matcher = self.matcher(query)
            for title, help_text, cb in self._commands():
                score = matcher.match(title)
                if score > 0:
                    yield Hit(score, matcher.highlight(title), cb, help=help_text)

    return WizardCommands


class GaieApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "gaie-tui"
    COMMANDS = App.COMMANDS | {_wizard_commands}
    BINDINGS = [
        Binding("ctrl+q", "quit_app", "Quit", id="app.quit", priority=True),
        Binding("f1,question_mark", "help", "Help", id="app.help"),
        Binding("colon", "command_line", "Cmd", id="app.command_line", key_display=":"),
        Binding("ctrl+p", "command_palette", "Palette", id="app.palette", show=False),
    ]

    def __init__(self, services: Services | None = None, state: WizardState | None = None, *,
                 values_path: str | None = None, simulated_banner: str | None = None,
                 resume: bool | None = None, cursor_blink: bool = True, clock=None,
                 keymap_file: Path | None = None) -> None:
        super().__init__()
        self.services = services or Services(offline=True)
        self.state = state or WizardState()
        self.values_path = values_path
        self.simulated_banner = simulated_banner
        self.resume = resume                 # None = ask when a draft exists
        self.cursor_blink = cursor_blink     # False in snapshot tests
        import time as _time
        self.clock = clock or _time.monotonic
        self._keymap, self._keymap_problem = load_keymap(keymap_file)
        from ..core.production import load_production_contexts
        self.production_contexts, self._config_problem = load_production_contexts()
        self._screens: dict[str, object] = {}
        if simulated_banner:
            self.sub_title = "SIMULATED CLUSTER"

    def production_reason(self, context: str | None, namespace: str | None) -> str | None:
        """Why this target is production (config.toml's production_contexts, or its name), else None."""
        from ..core.production import production_reason
        return production_reason(context, namespace, self.production_contexts)

    # ---- start ---------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self._keymap:
            self.set_keymap(self._keymap)
        if self._keymap_problem:
            self.notify(f"keymap ignored: {self._keymap_problem}", severity="warning", markup=False)
        if self._config_problem:
            self.notify(f"config ignored: {self._config_problem}", severity="warning", markup=False)
        if self.simulated_banner:
            self.notify(self.simulated_banner, title="Demo", timeout=4, markup=False)
        # The first screen is pushed once Textual's start-up batch is over. Composed inside it,
        # it was laid out and rendered for a frame that is never written, then again for the
        # real one: about a third of the time to the first screen.
        self.call_later(self._start)

    def _start(self) -> None:
        if self.values_path:
            self._open_values_file(self.values_path)
        else:
            self.goto("setup")
        # the first frame is being painted: garbage collection (paused by the CLI) resumes after it
        getattr(self.screen, "after_first_paint", self.call_after_refresh)(_resume_gc)
        draft = load_draft() if self.resume is not False else None
        if draft:
            if self.resume:
                self._resume(draft)
            else:
                from .widgets.modals import Confirm
                saved = datetime.fromtimestamp(draft.get("saved", 0)).strftime("%Y-%m-%d %H:%M")
                self.push_screen(Confirm(f"A values draft from {saved} was not deployed.\nResume it?",
                                         yes="Resume", no="Discard"),
                                 lambda ok: self._resume(draft) if ok else discard_draft())

    def _resume(self, draft: dict) -> None:
        from .state import answers_from
        self.state.answers = answers_from(draft.get("answers") or {})
        self.state.chart_ref = draft.get("chart_ref")
        self.state.values_file = draft.get("values_file")
        self.state.values_text = draft["values"]
        self.state.step("resumed the saved draft")
        self.goto("values", fresh=True)

    def _open_values_file(self, path: str) -> None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"cannot read {path}: {exc}", severity="error", markup=False)
            self.goto("setup")
            return
        self.state.values_text = text
        self.state.values_file = str(path)
        self.state.chart_ref = self.state.chart_ref or self.services.chart_from_text(text)
        self.state.step(f"opened {path}")
        self.goto("values")

    # ---- navigation ----------------------------------------------------------------------
    def make_screen(self, name: str):
        """Import only the screen asked for: the editor and tables stay out of the first frame."""
        import importlib
        classes = {"setup": "SetupScreen", "values": "ValuesScreen", "review": "ReviewScreen",
                   "deploy": "DeployScreen", "verify": "VerifyScreen", "record": "RecordScreen"}
        module = importlib.import_module(f".screens.{name}", __package__)
        return getattr(module, classes[name])()

    def goto(self, name: str, *, fresh: bool = False) -> None:
        """Show a step: pop back to it when it is on the stack, else push it."""
        if name not in STEPS:
            self.notify(f"unknown screen {name!r}", severity="warning", markup=False)
            return
        if name in ("deploy", "verify", "record") and not self._can_enter(name):
            return
        stack = self.screen_stack
        for i, scr in enumerate(stack):
            if getattr(scr, "STEP", None) == name and not fresh:
                while len(self.screen_stack) > i + 1:
                    self.pop_screen()
                if hasattr(scr, "on_revisit"):
                    scr.on_revisit()
                return
        if fresh:
            for i, scr in enumerate(stack):
                if getattr(scr, "STEP", None) == name:
                    while len(self.screen_stack) > i:
                        self.pop_screen()
                    break
        self.push_screen(self.make_screen(name))

    def _can_enter(self, name: str) -> bool:
        st = self.state
        if name == "deploy" and st.plan is None and not st.deploy_running:
            self.notify("approve the plan on Review first", severity="warning")
            return False
        if name in ("verify", "record") and st.plan is None:
            self.notify("nothing deployed yet: approve on Review first", severity="warning")
            return False
        return True

    def action_go(self, name: str) -> None:
        self.goto(name)

    # ---- help, command line, quit ----------------------------------------------------------
    def binding_rows(self) -> list[tuple[str, str, str, str]]:
        rows: list[tuple[str, str, str, str]] = []
        keymap = self._keymap

        def add(scope: str, bindings) -> None:
            for b in bindings:
                if isinstance(b, tuple):
                    continue
                keys = keymap.get(b.id, b.key) if b.id else b.key
                rows.append((scope, keys, b.description or b.action, b.id or ""))
        add("everywhere", self.BINDINGS)
        from .screens import deploy, record, review, setup, values, verify
        for mod, cls in ((setup, "SetupScreen"), (values, "ValuesScreen"), (review, "ReviewScreen"),
                         (deploy, "DeployScreen"), (verify, "VerifyScreen"), (record, "RecordScreen")):
            klass = getattr(mod, cls)
            add(STEP_TITLES[klass.STEP], klass.BINDINGS)
        return rows

    def action_help(self) -> None:
        from .widgets.modals import HelpScreen
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.binding_rows()))

    def action_command_line(self) -> None:
        from .widgets.modals import CommandLine
        self.push_screen(CommandLine(), self.run_command)

    def run_command(self, text: str | None) -> None:
        if not text:
            return
        cmd, _, arg = text.lstrip(":").strip().partition(" ")
        cmd = cmd.lower()
        aliases = {"v": "values", "s": "setup", "r": "review", "d": "deploy", "vf": "verify", "rec": "record"}
        cmd = aliases.get(cmd, cmd)
        if cmd in STEPS:
            self.goto(cmd)
        elif cmd in ("q", "quit", "q!", "qa"):
            self.action_quit_app()
        elif cmd in ("help", "h", "keys"):
            self.action_help()
        elif cmd in ("w", "write") and hasattr(self.screen, "write_values"):
            self.screen.write_values(arg.strip() or None)
        elif cmd == "deployed" and hasattr(self.screen, "action_load_deployed"):
            self.screen.action_load_deployed()
        elif cmd in ("ns", "release") and arg.strip() and getattr(self.screen, "STEP", "") == "setup":
            from textual.widgets import Input
            self.screen.query_one("#namespace" if cmd == "ns" else "#release", Input).value = arg.strip()
        elif cmd == "ctx" and arg.strip() and getattr(self.screen, "STEP", "") == "setup":
            self.state.context = None
            self.services.context = arg.strip()
            self.screen.load_cluster(arg.strip())
        else:
            self.notify(f"unknown command :{text}  (try :values, :review, :verify, :ns NAME, :ctx NAME, "
                        ":deployed, :w FILE, :q)", severity="warning",
                        markup=False)

    def action_quit_app(self) -> None:
        if self.state.deploy_running:
            from .widgets.modals import Confirm
            self.push_screen(Confirm("helm is still deploying. Quit anyway?\nhelm will be stopped; "
                                     "the release may be left pending.", yes="Quit", no="Stay", danger=True),
                             lambda ok: self._quit_now() if ok else None)
            return
        self._quit_now()

    def _quit_now(self) -> None:
        cancel = getattr(self, "deploy_cancel", None)
        if cancel is not None:
            cancel.set()
        self.exit(0)

    def get_system_commands(self, screen):
        for cmd in super().get_system_commands(screen):
            if cmd.title != "Quit":
                yield cmd
        yield SystemCommand("Quit", "Quit gaie-tui (asks while a deploy runs)", self.action_quit_app)

    # ---- errors ------------------------------------------------------------------------------
    def report_error(self, error: BaseException, what: str = "Unexpected error") -> Path:
        path = write_error_log(error)
        self.notify(f"{what}: {error}\nDetails: {path}", severity="error", timeout=15, markup=False)
        return path

    def _handle_exception(self, error: Exception) -> None:
        # Anything that escaped a handler: log it, say where, and end without a traceback.
        path = write_error_log(error)
        self.exit(return_code=1, message=f"gaie-tui stopped on an unexpected error: {error}\n"
                                         f"Details are in {path}. Your values draft is saved and "
                                         f"will be offered on the next start.")
