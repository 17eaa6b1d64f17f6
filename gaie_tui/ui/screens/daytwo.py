"""What the day-two screens share (Releases, History, Stuck, an action's review and run): the title
bar and step line for a release, and starting an action on a release — every one through core:

- verify: a `ReleaseVerification` (core.deploy.release_runs) on the Verify dashboard;
- upgrade: the deployed values (`actions.deployed_values_text`) in the editor, then Review, which
  shows the values and manifest diff (`actions.upgrade_diff`), then the engine deploys;
- migrate: `core.migrate.release.migrate_release` into the editor, `WizardState.migration` set so
  Review shows the proof;
- history and rollback, uninstall, a stuck release's recovery: an `actions.ActionPlan` reviewed
  and approved on the action screen, run as a `ReleaseAction` (record from the first step).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from rich.markup import escape
from textual.message import Message

from .base import WizardScreen

ACTION_KEYS = {"verify": "v", "upgrade": "u", "migrate": "m", "history": "h", "uninstall": "d", "recover": "s"}
ACTION_WORDS = {"verify": "Verify — the dashboard, recorded",
                "upgrade": "Upgrade — its values in the editor, both diffs",
                "migrate": "Migrate — to a later chart, with the proof",
                "history": "History — revisions; roll back to one",
                "uninstall": "Uninstall — every object listed first",
                "recover": "Recover — what happened, and the fix"}


@dataclass
class Prepared(Message):
    """A worker prepared an action on a release: `payload` is what the action needs, or `error`."""
    what: str
    release: object                 # core.cluster.releases.Release
    payload: object = None
    error: str | None = None


def first_line(exc: BaseException) -> str:
    from ...core.textsafe import clip
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    hint = getattr(exc, "hint", "")
    return clip(text.splitlines()[0] + (f" — {hint}" if hint else ""), 300)


class DayTwoScreen(WizardScreen):
    """A screen about existing releases: `release` (a core Release) is what it is about, if one."""

    STEP = ""
    TRAIL = "Releases"

    def __init__(self, release=None) -> None:
        super().__init__()
        self.release = release

    def _steps_line(self) -> str:
        trail = escape(self.TRAIL + (f" › {self.release.name} in {self.release.namespace}" if self.release else ""))
        return f"[reverse] {trail} [/reverse]  n: a new deploy (Setup)"

    def target(self) -> tuple[str | None, str, str]:
        st = self.app.state
        ctx = None if st.offline else (st.context or self.app.session.context)
        if self.release is not None:
            return ctx, self.release.namespace, self.release.name
        return ctx, "", ""

    def update_subtitle(self) -> None:
        from ...core.textsafe import visible
        ctx, ns, rel = self.target()
        where = f"{ctx or 'no context'}" + (f" / {ns} / {rel}" if rel else "")
        self.sub_title = visible(where, one_line=True) + ("  [SIMULATED]" if self.app.simulated_banner else "")
        self._paint_title()

    # ---- starting an action -------------------------------------------------------------------
    def busy_run(self) -> bool:
        """A deploy or action is running: one thing at a time (its screen has the cancel key)."""
        run = self.app.state.run
        if run is not None and run.running and not getattr(run, "read_only", False):
            self.app.notify("a deploy or release action is still running: wait for it (or cancel it on its screen)",
                            severity="warning", markup=False)
            return True
        return False

    def release_action(self, rel, what: str) -> None:
        from ...core.textsafe import visible
        if rel is None:
            return
        if self.app.state.offline or self.app.session.cluster() is None:
            self.app.notify("no cluster connection: actions on releases need the cluster", severity="warning",
                            markup=False)
            return
        if what == "recover" and not rel.stuck:
            self.app.notify(visible(f"release {rel.name} is {rel.status}, not stuck: nothing to recover"),
                            markup=False, timeout=4)
            return
        if what in ("upgrade", "migrate") and rel.stuck:
            self.app.notify(visible(f"release {rel.name} is {rel.status}: helm refuses to change it until it is "
                                    "recovered — here is what happened and the fix"), severity="warning",
                            markup=False, timeout=8)
            what = "recover"
        if what != "history" and what != "recover" and self.busy_run():
            return
        # the app makes the screens (by name): this base module imports none of them
        if what == "history":
            self.app.push_day_two("history", rel)
        elif what == "recover":
            self.app.push_day_two("stuck", rel)
        elif what == "verify":
            self._start_verify(rel)
        elif what == "migrate":
            from ...core.migrate.release import targets
            options = targets(rel.chart, rel.chart_version)
            if not options:
                self.app.notify(visible(f"{rel.chart} {rel.chart_version} is the newest chart gaie-tui knows: "
                                        "nothing to migrate to"), markup=False)
                return
            self.app.push_day_two("migrate-targets", rel, options,
                                  callback=lambda ref: self._prepare(rel, "migrate", ref) if ref else None)
        else:
            self._prepare(rel, what)

    def _prepare(self, rel, what: str, arg=None) -> None:
        words = {"upgrade": "reading the deployed values of", "migrate": f"migrating (to {arg}) the values of",
                 "uninstall": "listing the objects of", "rollback": "planning the rollback of",
                 "recover": "planning the recovery of"}
        self.set_status(f"{words.get(what, what)} {rel.name}…")
        self.run_worker(lambda: self._prepare_in_thread(rel, what, arg), thread=True, group="day-two-prepare",
                        exclusive=True, exit_on_error=False)

    def _prepare_in_thread(self, rel, what: str, arg) -> None:
        """Runs in a worker thread: whatever the action needs from helm and the cluster."""
        session = self.app.session
        try:
            if what == "upgrade":
                payload = session.deployed_values_text(rel.name, rel.namespace)
            elif what == "migrate":
                from ...core.migrate.release import migrate_release
                payload = migrate_release(session, rel.name, rel.namespace, arg)
            elif what == "uninstall":
                payload = session.plan_uninstall(rel.name, rel.namespace)
            elif what == "rollback":          # arg: (revision, History)
                revision, hist = arg
                payload = session.plan_rollback(rel.name, rel.namespace, revision=revision, hist=hist)
            elif what == "recover":           # arg: (StuckDiagnosis, Recovery chosen)
                diag, chosen = arg
                payload = session.plan_recovery(replace(diag, recovery=chosen))
            else:
                return
        except Exception as exc:  # noqa: BLE001 - said on the screen, nothing changes
            self.post_message(Prepared(what, rel, error=first_line(exc)))
            return
        self.post_message(Prepared(what, rel, payload))

    def on_prepared(self, msg: Prepared) -> None:
        from ...core.textsafe import visible
        self.set_status("")
        rel = msg.release
        if msg.error:
            self.app.notify(visible(f"{msg.what} of {rel.name}: {msg.error}"), severity="error", markup=False,
                            timeout=10)
            return
        if msg.what == "upgrade":
            self._into_editor(rel, msg.payload, None)
            self.app.notify(visible(f"The deployed values of {rel.name} are in the editor: change what you need, "
                                    "then ctrl+n — Review shows the values diff and the manifest diff before "
                                    "anything is upgraded."), title="Upgrade", markup=False, timeout=8)
        elif msg.what == "migrate":
            m = msg.payload
            self._into_editor(rel, m.files[0].text, m)
            moved = sum(len(f.moved) for f in m.files)
            dropped = sum(len(f.dropped) for f in m.files)
            proof = ("nothing lost" if m.ok else f"{len(m.proof.lost)} lost" if m.proof and not m.proof.error
                     else "not proven")
            self.app.notify(visible(f"Migrated the values of {rel.name} to {m.dst.name} {m.dst.version}: {moved} "
                                    f"moved, {dropped} without equivalent; proof: {proof}. Review shows the proof."),
                            title="Migrate", markup=False, timeout=8)
        else:
            self.app.push_day_two("action", rel, msg.payload)

    def _into_editor(self, rel, text: str, migration) -> None:
        """An upgrade (or migration) of `rel` starts in the editor with `text`."""
        from ...core.values.generate import chart_from_header
        st = self.app.state
        retire_run(self.app)
        st.answers = replace(st.answers, release=rel.name, namespace=rel.namespace)
        st.chart_ref = chart_from_header(text) or f"{rel.chart}@{rel.chart_version}"
        st.values_text = text
        st.values_file = st.values_file_text = None
        st.generated_text = None          # Setup asks before replacing these values
        st.migration = migration
        st.diagnostics, st.deep_diagnostics = [], []
        self.app.goto("values", fresh=True)

    def _start_verify(self, rel) -> None:
        st = self.app.state
        retire_run(self.app)
        st.answers = replace(st.answers, release=rel.name, namespace=rel.namespace)
        st.run = self.app.session.release_verification(rel.name, rel.namespace)
        self.app.goto("verify", fresh=True)

    def action_new(self) -> None:
        """n: a new deploy — Setup, below every day-two screen."""
        self.app.goto("setup")


def retire_run(app) -> None:
    """The wizard's current run gives way to a new one: an unapproved review is cancelled (nothing
    was changed), an approved one that waits between phases is closed with its reason."""
    run = app.state.run
    if run is None:
        return
    if run.running:
        if getattr(run, "read_only", False):     # a verification still settling: its record says why it ended
            run.cancel("cancelled", "another action on a release was started from the wizard")
            app.state.run = None
        return
    if not run.approved_by:
        run.cancel("cancelled")
    else:
        run.close("cancelled", "another action on a release was started from the wizard")
    app.state.run = None
