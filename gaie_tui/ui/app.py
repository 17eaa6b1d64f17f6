"""The wizard application: six screens over gaie_tui/core, navigation, keymap, palette, errors,
and the rules for leaving: quitting during a deploy, a signal or a crash stop the engine's run
(helm included) and leave its record saying why, and the terminal is restored."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding

from ..core.session import Session
from .keymap import load_keymap
from .state import WizardState
from .steps import STEP_TITLES, STEPS

STOP_WAIT = 20.0   # seconds to let a stopped run write its record before the wizard exits anyway


def log_path() -> Path:
    from ..core.errorlog import log_path as path
    return path()


def write_error_log(error: BaseException) -> Path | None:
    from ..core.errorlog import write_error_log as write
    return write(error)


def _where(path: Path | None) -> str:
    return str(path) if path is not None else "nowhere: the log could not be written"


def _resume_gc() -> None:
    import gc
    gc.enable()


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

    def __init__(self, session: Session | None = None, state: WizardState | None = None, *,
                 values_path: str | None = None, simulated_banner: str | None = None,
                 resume: bool | None = None, cursor_blink: bool = True, clock=None,
                 keymap_file: Path | None = None, handle_signals: bool = False) -> None:
        super().__init__()
        self.session = session or Session(offline=True)
        self.state = state or WizardState()
        self.values_path = values_path
        self.simulated_banner = simulated_banner
        self.resume = resume                 # None = ask when a draft exists
        self.cursor_blink = cursor_blink     # False in snapshot tests
        self.handle_signals = handle_signals  # the real program: SIGHUP/SIGTERM stop the run first
        import time as _time
        self.clock = clock or _time.monotonic
        self._keymap, self._keymap_problem = load_keymap(keymap_file)
        from ..core.production import load_production_contexts
        self.production_contexts, self._config_problem = load_production_contexts()
        self._leaving = False
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
        if self.handle_signals:
            self._install_signal_handlers()
        # The first screen is pushed once Textual's start-up batch is over. Composed inside it,
        # it was laid out and rendered for a frame that is never written, then again for the
        # real one: about a third of the time to the first screen.
        self.call_later(self._start)

    def _start(self) -> None:
        # the draft is read now (a small file; json only when there is one), before anything can
        # be edited and saved over it; it is offered once the first frame is on the terminal
        from ..core.draft import load_draft
        self._draft = load_draft() if self.resume is not False else None
        if self.values_path:
            self._open_values_file(self.values_path)
        else:
            self.goto("setup")
        # the first frame is being painted: garbage collection (paused by the CLI) resumes after it
        getattr(self.screen, "after_first_paint", self.call_after_refresh)(self._after_first_frame)

    def _after_first_frame(self) -> None:
        _resume_gc()
        from ..core.draft import discard_draft
        draft, self._draft = self._draft, None
        if not draft:
            return
        if self.resume:
            self._resume(draft)
            return
        from ..core.textsafe import visible
        from .widgets.modals import Confirm
        saved = datetime.fromtimestamp(draft.get("saved", 0)).strftime("%Y-%m-%d %H:%M")
        deploy = draft.get("deploy") or {}
        if deploy:
            question = (f"A deploy of release {deploy.get('release')} to namespace {deploy.get('namespace')} did "
                        f"not finish (gaie-tui was stopped on {saved}).\nIts record, marked NOT FINISHED: "
                        f"{deploy.get('record')}\nResume its values?")
        else:
            where = f" for {draft['values_file']}" if draft.get("values_file") else ""
            question = f"A values draft{where} from {saved} was not deployed.\nResume it?"
        self.push_screen(Confirm(visible(question), yes="Resume", no="Discard"),
                         lambda ok: self._resume(draft) if ok else discard_draft())

    def _resume(self, draft: dict) -> None:
        from .state import answers_from
        self.state.answers = answers_from(draft.get("answers") or {})
        self.state.chart_ref = draft.get("chart_ref")
        self.state.values_file = draft.get("values_file")
        self.state.values_text = draft["values"]
        self.goto("values", fresh=True)

    def _open_values_file(self, path: str) -> None:
        from ..core.textsafe import visible
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(visible(f"cannot read {path}: {exc}"), severity="error", markup=False)
            self.goto("setup")
            return
        from ..core.values.generate import chart_from_header
        self.state.values_text = text
        self.state.values_file = str(path)
        self.state.values_file_text = text
        self.state.chart_ref = self.state.chart_ref or chart_from_header(text)
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

    def approved_run(self):
        """The engine run the user approved, or None."""
        run = self.state.run
        return run if run is not None and run.approved_by else None

    def _can_enter(self, name: str) -> bool:
        if self.approved_run() is None:
            self.notify("nothing deployed yet: approve the plan on Review first", severity="warning")
            return False
        return True

    def action_go(self, name: str) -> None:
        self.goto(name)

    # ---- help, command line ----------------------------------------------------------------
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
        for scope, bindings in self._day_two_bindings():
            add(scope, bindings)
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
        if self._day_two_command(cmd, arg.strip()):
            return
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
            self.screen.load_cluster(arg.strip())
        else:
            from ..core.textsafe import visible
            self.notify(visible(f"unknown command :{text}  (try :values, :review, :verify, :ns NAME, :ctx NAME, "
                                ":deployed, :w FILE, :q)"), severity="warning", markup=False)

    # ---- day two: the Releases screen and the actions on releases ---------------------------
    def offer_releases(self, listing, setup) -> None:
        """Setup's first look at the cluster found releases of either chart family: the Releases
        screen becomes the first screen — once, at start, and only while Setup is on top and
        untouched (a user who already started a new deploy is not taken elsewhere; Setup says
        where the releases are instead)."""
        if getattr(self, "_releases_offered", False):
            return
        self._releases_offered = True
        if listing.releases and self.screen is setup and not getattr(setup, "touched", True):
            self.show_releases(listing)

    def show_releases(self, listing=None) -> None:
        """The Releases screen: back to it when it is on the stack, else on top of this screen."""
        from .screens.releases import ReleasesScreen
        for i, scr in enumerate(self.screen_stack):
            if isinstance(scr, ReleasesScreen):
                while len(self.screen_stack) > i + 1:
                    self.pop_screen()
                scr.action_refresh()
                return
        self.push_screen(ReleasesScreen(listing))

    def push_day_two(self, name: str, *args, callback=None) -> None:
        """A day-two screen by name, for the screens that lead to one another (history → rollback,
        stuck → recovery …) without importing each other."""
        from .screens import history, release_action, releases, stuck
        classes = {"history": history.HistoryScreen, "stuck": stuck.StuckScreen,
                   "action": release_action.ActionScreen, "migrate-targets": releases.MigrateTargets,
                   "menu": releases.ReleaseMenu}
        self.push_screen(classes[name](*args), callback)

    def _day_two_command(self, cmd: str, arg: str) -> bool:
        """`:releases` (`:rel`), and `:ns NAME` / `:ns all` on the Releases screen."""
        if cmd in ("releases", "rel", "helm"):
            if self.session.offline or self.state.offline:
                self.notify("offline: no cluster to list releases in", severity="warning", markup=False)
            else:
                self.show_releases()
            return True
        if cmd == "ns" and hasattr(self.screen, "narrow"):
            self.screen.narrow(arg or None)
            return True
        return False

    def _day_two_bindings(self):
        from .screens import history, release_action, releases, stuck
        return [("Releases", releases.ReleasesScreen.BINDINGS), ("Release actions", releases.ReleaseMenu.BINDINGS),
                ("History", history.HistoryScreen.BINDINGS), ("Stuck release", stuck.StuckScreen.BINDINGS),
                ("Rollback / uninstall", release_action.ActionScreen.BINDINGS)]

    # ---- leaving: quit, signals, crashes ---------------------------------------------------
    def running_run(self):
        """The engine run that is doing something right now (rendering, helm, verifying), or None."""
        run = self.state.run
        return run if run is not None and run.running else None

    def action_quit_app(self) -> None:
        run = self.running_run()
        if run is not None and run.approved_by:
            from .widgets.modals import Confirm
            what = "helm is still deploying" if run.helm_running else "the deploy is still running"
            self.push_screen(Confirm(f"{what}. Quit anyway?\nhelm will be stopped and the record says the run "
                                     "was quit; the release may be left pending.", yes="Quit", no="Stay",
                                     danger=True),
                             lambda ok: self.leave("quit") if ok else None)
            return
        self.leave("quit")

    def leave(self, reason: str, detail: str = "", return_code: int = 0) -> None:
        """Stop the engine's run (if any) so its record says why, then exit."""
        if self._leaving:
            return
        self._leaving = True
        run = self.state.run
        if run is None or not run.running:
            if run is not None:
                run.close(reason, detail)   # approved, between phases: its record says why it ends here
            self.exit(return_code)
            return
        run.cancel(reason, detail)
        self.notify("stopping helm and writing the record…", timeout=STOP_WAIT, markup=False)
        import threading

        def wait_then_exit() -> None:
            import time
            deadline = time.monotonic() + STOP_WAIT
            while run.running and time.monotonic() < deadline:
                time.sleep(0.05)
            try:
                self.call_from_thread(self.exit, return_code)
            except RuntimeError:   # the app is already gone
                pass
        threading.Thread(target=wait_then_exit, daemon=True, name="gaie-leave").start()

    def _install_signal_handlers(self) -> None:
        """SIGHUP (the SSH session dropped) and SIGTERM: stop the run, record why, restore the
        terminal, exit — instead of dying with helm still running and the record unfinished."""
        import asyncio
        import signal
        loop = asyncio.get_running_loop()
        names = {signal.SIGHUP: "SIGHUP (the terminal went away)", signal.SIGTERM: "SIGTERM"}
        for sig, name in names.items():
            try:
                loop.add_signal_handler(sig, self.leave, "interrupted", name, 128 + int(sig))
            except (NotImplementedError, RuntimeError, ValueError):
                pass

    def get_system_commands(self, screen):
        for cmd in super().get_system_commands(screen):
            if cmd.title != "Quit":
                yield cmd
        yield SystemCommand("Quit", "Quit gaie-tui (asks while a deploy runs)", self.action_quit_app)

    # ---- errors ------------------------------------------------------------------------------
    def report_error(self, error: BaseException, what: str = "Unexpected error") -> Path | None:
        from ..core.errorlog import describe
        from ..core.textsafe import visible
        path = write_error_log(error)
        self.notify(visible(f"{what}: {describe(error)}\nDetails: {_where(path)}"), severity="error", timeout=15,
                    markup=False)
        return path

    def _handle_exception(self, error: Exception) -> None:
        # Anything that escaped a handler: log it, stop the run so its record says so, and end
        # without a traceback.
        from ..core.errorlog import describe
        path = write_error_log(error)
        run = self.state.run
        if run is not None and run.running:
            run.cancel("crashed", describe(error))
            import time
            deadline = time.monotonic() + STOP_WAIT
            while run.running and time.monotonic() < deadline:
                time.sleep(0.05)
        from rich.text import Text

        from ..core.errorlog import describe
        from ..core.textsafe import visible
        self.exit(return_code=1, message=Text(visible(
            f"gaie-tui stopped on an unexpected error: {describe(error)}\nDetails are in {_where(path)}. Your values "
            "draft is saved and will be offered on the next start.")))
