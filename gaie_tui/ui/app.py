"""The wizard application: six screens over gaie_tui/core, navigation, keymap, palette, errors,
and the rules for leaving: quitting during a deploy, a signal or a crash stop the engine's run
(helm included) and leave its record saying why, and the terminal is restored."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual import work
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


def key_names(keys: str) -> str:
    """Binding keys as people write them: `f1,question_mark` → `F1, ?`; `shift+f8` → `shift+F8`."""
    import re

    from textual.keys import format_key
    return ", ".join(re.sub(r"\bf(\d+)\b", r"F\1", format_key(k.strip())) for k in keys.split(",") if k.strip())


def _wizard_commands():
    """The palette provider, built on first use: textual.command stays out of start-up."""
    from textual.command import DiscoveryHit, Hit, Hits, Provider

    class WizardCommands(Provider):
        """ctrl+p: the current screen's commands first, then the steps of the wizard, then help
        and quit. Textual's generic commands (Keys, Maximize, Screenshot, Theme) are left out: the
        help (`?`) lists every key, and nothing else there is part of deploying a chart."""

        def _commands(self):
            app: GaieApp = self.app  # type: ignore[assignment]
            screen = app.screen
            if not hasattr(screen, "palette_commands"):      # a modal: the screen under it
                screen = next((s for s in reversed(app.screen_stack) if hasattr(s, "palette_commands")), screen)
            cmds = [(title, help_text, cb, 2) for title, help_text, cb in
                    getattr(screen, "palette_commands", lambda: [])()]
            here = getattr(screen, "STEP", "")
            for step in STEPS:
                if step != here:
                    cmds.append((f"Go to {STEP_TITLES[step]}", f":{step}", lambda s=step: app.goto(s), 1))
            cmds.append(("Keys and help", "every binding with its id (? or F1)", app.action_help, 0))
            cmds.append(("Quit", "ctrl+q (asks while a deploy runs)", app.action_quit_app, 0))
            return cmds

        async def discover(self) -> Hits:
            for title, help_text, cb, _rank in self._commands():
                yield DiscoveryHit(title, cb, help=help_text)

        async def search(self, query: str) -> Hits:
            matcher = self.matcher(query)
            for title, help_text, cb, rank in self._commands():
                score = matcher.match(title)
                if score > 0:
                    # the palette sorts by score: this screen's commands above the steps, above the rest
                    yield Hit(score + rank, matcher.highlight(title), cb, help=help_text)

    return WizardCommands


class GaieApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "gaie-tui"
    COMMANDS = {_wizard_commands}
    BINDINGS = [
        Binding("ctrl+q", "quit_app", "Quit", id="app.quit", priority=True),
        Binding("f1,question_mark", "help", "Help", id="app.help"),
        Binding("colon", "command_line", "Cmd", id="app.command_line", key_display=":"),
        Binding("ctrl+p", "command_palette", "Palette", id="app.palette", show=False),
    ]

    def __init__(self, session: Session | None = None, state: WizardState | None = None, *,
                 values_path: str | list[str] | None = None, simulated_banner: str | None = None,
                 resume: bool | None = None, cursor_blink: bool = True, clock=None,
                 keymap_file: Path | None = None, handle_signals: bool = False) -> None:
        super().__init__()
        self.session = session or Session(offline=True)
        self.state = state or WizardState()
        # --values FILE, repeatable: the layers of a set, in helm's order
        self.values_paths = [values_path] if isinstance(values_path, str) else list(values_path or [])
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
        if self.values_paths:
            self._open_values_files(self.values_paths)
        else:
            self.goto("setup")
        # the first frame is being painted: garbage collection (paused by the CLI) resumes after it
        getattr(self.screen, "after_first_paint", self.call_after_refresh)(self._after_first_frame)

    def _after_first_frame(self) -> None:
        _resume_gc()
        draft, self._draft = self._draft, None
        if draft:
            self._offer_draft(draft)

    # ---- drafts: offered only when there is something to resume, saying whose it is ------------
    def _offer_draft(self, draft: dict) -> None:
        from ..core.draft import discard_draft
        from ..core.textsafe import visible
        from .state import layers_from
        from .widgets.modals import Confirm
        if self.resume:
            self._resume(draft)
            return
        saved = datetime.fromtimestamp(draft.get("saved", 0)).strftime("%Y-%m-%d %H:%M")
        deploy = draft.get("deploy") or {}
        layers, _ = layers_from(draft)
        whose = _draft_whose(draft, layers)
        if deploy:
            # a deploy that did not finish is always said, whatever was opened now
            question = (f"A deploy of release {deploy.get('release')} to namespace {deploy.get('namespace')} did "
                        f"not finish (gaie-tui was stopped on {saved}).\nIts record, marked NOT FINISHED: "
                        f"{deploy.get('record')}\nIts values: {whose}. Resume its values?")
        else:
            if _draft_matches_files(layers):
                discard_draft()      # the files on disk hold exactly the draft: nothing to resume
                return
            if self.values_paths and not _same_files(layers, self.values_paths):
                # another file's draft is not this start's business: said once, not offered
                self.notify(visible(f"a values draft of {whose} (saved {saved}) is not offered with --values; "
                                    "start gaie-tui without --values to resume it (editing here replaces it)"),
                            title="Draft", timeout=10, markup=False)
                return
            question = f"A values draft of {whose}, saved {saved}, was not deployed.\nResume it?"
        self.push_screen(Confirm(visible(question), yes="Resume", no="Discard"),
                         lambda ok: self._resume(draft) if ok else discard_draft())

    def _resume(self, draft: dict) -> None:
        from .state import answers_from, layers_from
        self.state.answers = answers_from(draft.get("answers") or {})
        self.state.chart_ref = draft.get("chart_ref")
        self.state.layers, self.state.current = layers_from(draft)
        self.state.draft_owned = True
        self.goto("values", fresh=True)

    # ---- opening values files (--values, repeatable: a layered set) ---------------------------
    def _open_values_files(self, paths: list[str]) -> None:
        from ..core.textsafe import visible
        from ..core.values.generate import chart_from_header
        from .state import Layer
        layers = []
        for path in paths:
            try:
                text = _read_values(path)
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                self.notify(visible(f"cannot read {path}: {exc}"), severity="error", markup=False)
                self.goto("setup")
                return
            layers.append(Layer(text, str(path), text))
        st = self.state
        st.layers, st.current = layers, len(layers) - 1      # the last layer (the overlay) in the editor
        header = next((ref for ref in (chart_from_header(x.text) for x in layers) if ref), None)
        self._chart_given = st.chart_ref is not None          # --chart: the files may be for another chart
        st.chart_ref = st.chart_ref or header
        self._header_ref = header
        self.goto("values")
        self.offer_migration()

    # ---- the migration offer -------------------------------------------------------------------
    def offer_migration(self) -> None:
        """Opened values written for another chart version or family: offer to migrate them."""
        self._offer_worker(self.state.named_texts(), self.state.chart_ref, getattr(self, "_header_ref", None))

    @work(thread=True, exclusive=True, group="migration-offer", exit_on_error=False)
    def _offer_worker(self, files, chart_ref, header_ref) -> None:
        from ..core.migrate.offer import migration_offer
        try:
            chart = self.session.chart(chart_ref)
            offer = migration_offer(files, chart, self.session.chart,
                                    header_ref=header_ref if header_ref != f"{chart.family}@{chart.version}" else None)
        except Exception as exc:  # noqa: BLE001 - no offer is the quiet answer; the checker still speaks
            write_error_log(exc)
            return
        if offer is not None:
            self.call_from_thread(self._ask_migration, offer, files)

    def _ask_migration(self, offer, files) -> None:
        from ..core.textsafe import visible
        from .widgets.modals import Confirm
        if self.state.named_texts() != files:
            return          # edited meanwhile: the offer no longer fits what is in the editor
        src, dst = offer.src.replace("@", " "), offer.dst.replace("@", " ")
        question = (f"{offer.why}.\n\nMigrate the values from {src} to {dst}? gaie-tui moves every key to its "
                    "new place, lists what has no equivalent, and renders both to prove nothing is lost. "
                    "You see the result before anything changes here.")
        self.push_screen(Confirm(visible(question), yes="Migrate…", no="Keep as is"),
                         lambda ok: self._migrate_worker(offer, files) if ok else None)

    @work(thread=True, exclusive=True, group="migration", exit_on_error=False)
    def _migrate_worker(self, offer, files) -> None:
        from ..core.errorlog import describe
        self.call_from_thread(self.notify, "migrating and proving (helm template of both charts)…", timeout=4)
        try:
            result, provable = self.session.migrate_files(files, offer.src, offer.dst)
        except Exception as exc:  # noqa: BLE001 - said in one line; the values stay as they are
            self.call_from_thread(self.notify, f"migration not possible: {describe(exc)}", severity="error",
                                  timeout=10, markup=False)
            return
        self.call_from_thread(self._show_migration, result, files, provable)

    def _show_migration(self, result, files, provable: bool) -> None:
        from .widgets.modals import MigrationResult
        if self.state.named_texts() != files:
            self.notify("the values changed during the migration: nothing replaced", severity="warning", timeout=6)
            return
        self.push_screen(MigrationResult(result, proven=provable),
                         lambda ok: self._use_migration(result) if ok else None)

    def _use_migration(self, result) -> None:
        st = self.state
        for layer, migrated in zip(st.layers, result.files, strict=True):
            layer.text = migrated.text
        st.chart_ref = f"{result.dst.family}@{result.dst.version}"
        st.migration = result
        self.goto("values", fresh=True)
        self.notify(f"migrated to {result.dst.name} {result.dst.version}: Review shows the proof; ctrl+s writes "
                    "the files", timeout=8, markup=False)

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
                rows.append((scope, key_names(keys), b.description or b.action, b.id or ""))
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


def _read_values(path: str) -> str:
    """A values file, read under the values-file size limit (a bounded read: a huge file or a
    device never fills memory)."""
    from ..core.values.source import MAX_BYTES
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 1024 // 1024} MB: not a values file")
    return data.decode("utf-8-sig")


def _draft_whose(draft: dict, layers) -> str:
    """Which files (or release) a draft belongs to, in a few words."""
    from pathlib import Path
    files = [Path(x.file).name for x in layers if x.file]
    answers = draft.get("answers") or {}
    release = f"release {answers.get('release')} in {answers.get('namespace')}" if answers.get("release") else ""
    what = " + ".join(files) if files else "values made in the wizard"
    return what + (f" ({release})" if release else "")


def _draft_matches_files(layers) -> bool:
    """Every layer of the draft came from a file that holds exactly that text now."""
    if not layers or any(not x.file for x in layers):
        return False
    for x in layers:
        try:
            if _read_values(x.file) != x.text:
                return False
        except (OSError, UnicodeDecodeError, ValueError):
            return False
    return True


def _same_files(layers, paths: list[str]) -> bool:
    def norm(p: str) -> str:
        import os
        return os.path.realpath(os.path.expanduser(p))
    return [norm(x.file) if x.file else None for x in layers] == [norm(p) for p in paths]
