"""Review: one run of the core engine up to its preflight — the plan in plain words (from what helm
renders), deviations from the chart defaults, the exact helm command the engine will run, the
objects, the preflight checks — and the approval that lets the same run go on. Approval is blocked
(the key disabled, the bar saying why) while anything blocks it.

On an upgrade (a release of this name exists) it shows core's `upgrade_diff`: the values diff
(deployed user values → these) and the manifest diff (`helm get manifest` → `helm template` of
these values), object by object; a release stuck in a pending state blocks approval (helm would
refuse). When the values come from a migration (`WizardState.migration`), the "Migration proof"
section compares the old values rendered with the old chart against these values rendered with the
new one — proven again when the values were edited since. Something LOST does not block approval:
it is listed, and approval then wants the release name typed, as on production."""
from __future__ import annotations

import shlex

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..guard import guarded
from ..messages import EngineEvent, poster
from ..widgets.action import ActionButton
from .base import WizardScreen

MARKS = {"pass": "✓", "warn": "⚠", "fail": "✗", "skip": "-"}


def check_lines(checks, *, remedies: bool = True) -> list[str]:
    """Checks as lines for people: mark, title, evidence, and what to do about a failure."""
    out = []
    for c in checks:
        out.append(f"{MARKS.get(c.status, '?')} {c.title}: {c.evidence}")
        if remedies and c.status == "fail" and c.remedy:
            out.append(f"    → {c.remedy_for(wizard=True)}")
    return out


class ReviewScreen(WizardScreen):
    STEP = "review"
    BINDINGS = [
        WizardScreen.BACK_BINDING,
        Binding("a", "approve", "Approve…", id="review.approve"),
        Binding("c", "copy_command", "Copy helm cmd", id="review.copy"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run = None            # the core engine run this screen reviews
        self.chart = None
        self.blockers: list[str] = []
        self.busy = ""             # what the run is doing ("rendering", "checking the cluster")
        self._key = None
        self.upgrade = None        # core UpgradeDiff, when this deploy upgrades a release
        self.release_known = False # helm said whether the release exists (approval waits for it)
        self.release_blocker = ""  # the release exists in a state helm refuses to upgrade
        self.proof = None          # core migrate Proof of these values, when they come from a migration
        self.proving = False
        self._proof_key = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="review-body"):
            yield Static("", id="approval", markup=False)
            yield Static("THE PLAN\n· rendering with helm template…", id="plan", markup=False)
            # new install or upgrade (and what changes), and a migration's proof: right after the plan
            yield Static("", id="diff", markup=False)
            yield Static("", id="migration", markup=False)
            yield Static("", id="deviations", markup=False)
            yield Static("", id="command", markup=False)
            yield Static("", id="preflight", markup=False)
            yield Static("OBJECTS\n· rendering with helm template…", id="objects", markup=False)
            yield Static("", id="warnings", markup=False)
            yield ActionButton("Approve and deploy…  (a)", id="approve", variant="success")

    def on_mount(self) -> None:
        self.update_subtitle()
        self.build()
        self.build_proof()

    def on_revisit(self) -> None:
        self.update_subtitle()
        self.build()
        self.build_proof()

    def _put(self, wid: str, text: str) -> None:
        from ...core.textsafe import visible
        self.query_one(f"#{wid}", Static).update(Text(visible(text)))

    # ---- the run ------------------------------------------------------------------------------
    @guarded
    def build(self) -> None:
        from ...core.deploy.diff import deviations
        from ...core.errors import UserError
        st = self.app.state
        session = self.app.session
        self.chart = session.chart(st.chart_ref)
        st.diagnostics = st.check(self.chart)
        a = st.answers
        create_ns = bool(not st.offline and st.known_namespaces is not None and a.namespace not in st.known_namespaces)
        key = (st.layer_texts(), st.chart_ref, a, st.context, st.offline, create_ns)
        self.blockers = []
        errors = [d for d in [*st.diagnostics, *st.deep_diagnostics] if d.severity == "error"]
        if errors:
            self.blockers.append(f"{len(errors)} error(s) in the values: fix them on Values (esc)")
        if st.offline:
            self.blockers.append("offline: no cluster, so the deploy is unavailable (review only)")
        devs = deviations(self.chart, st.merged_values())
        self._put("deviations", "DEVIATIONS FROM THE CHART DEFAULTS\n" + ("\n".join(f"· {d}" for d in devs) or "· none"))
        warns = [d for d in st.diagnostics if d.severity != "error"]
        self._put("warnings", "REMAINING WARNINGS\n" + ("\n".join(
            f"· {'W' if d.severity == 'warning' else 'i'} line {d.line}: {d.message}" for d in warns) or "· none"))
        run = st.run
        if run is not None and not run.approved_by and self._key == key and run is self.run:
            self._show_run()          # the same plan as before: its render and preflight still hold
            return
        if run is not None and not run.approved_by:
            run.cancel("cancelled")   # an earlier review of other values: stop it, nothing was changed
        elif run is not None:
            run.close("cancelled", "a new plan was reviewed before this run finished")
        try:
            plan = session.plan(self.chart, st.plan_layers(), release=a.release,
                                namespace=a.namespace, create_namespace=create_ns)
        except UserError as exc:
            st.run = self.run = None
            self.blockers.append(f"no plan: {exc.message} ({exc.hint})" if exc.hint else f"no plan: {exc.message}")
            self._put("command", "HELM COMMAND\n· none: " + exc.message)
            self._show_run()
            return
        self._key = key
        self.run = st.run = session.engine(plan, self.chart, on_event=poster(self))
        self._put("command", "HELM COMMAND (c copies it; the values go to helm as values.yaml in the record "
                  "folder created at approval)\n" + shlex.join(plan.shown_argv()))
        self._put("preflight", "" if st.offline else "PREFLIGHT (read-only checks of the cluster)\n· waiting for the "
                  "render…")
        self.busy = "rendering with helm template"
        self.review_worker(self.run, "render" if st.offline else "approve")
        self.upgrade, self.release_blocker, self.release_known = None, "", bool(st.offline)
        if not st.offline:
            self._put("diff", "INSTALL OR UPGRADE?\n· asking helm whether the release exists…")
        self.deployed_worker(plan)
        self._show_run()

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def review_worker(self, run, until: str) -> None:
        run.run(until=until)

    @work(thread=True, exclusive=True, group="review-deployed", exit_on_error=False)
    def deployed_worker(self, plan) -> None:
        """New install or upgrade: helm says whether the release exists; on upgrade, core's
        upgrade_diff (values and manifest)."""
        from ...core.cluster.releases import STUCK_STATES
        from ...core.deploy.actions import upgrade_diff
        if self.app.state.offline:
            return
        diff, blocker, status = None, "", ""
        try:
            row, error = self.app.session.release_row(plan.release, plan.namespace)
        except Exception as exc:  # noqa: BLE001 - said in the section
            row, error = None, getattr(exc, "message", None) or str(exc)
        if error:
            text = f"INSTALL OR UPGRADE?\n· helm could not say whether {plan.release} exists: {error}"
        elif row is None:
            text = "NEW INSTALL (no deployed release of this name)"
        else:
            status = str(row.get("status", ""))
            if status in STUCK_STATES:
                blocker = (f"release {plan.release} is {status}: helm refuses to upgrade it until it is "
                           "recovered (:releases, then s on it)")
            text = (f"UPGRADE of release {plan.release} in {plan.namespace} (revision {row.get('revision')}, "
                    f"{row.get('chart')}, {status})\n· comparing the values and the manifests…")
        self.app.call_from_thread(self._upgrade_known, plan, None, blocker, text)
        if row is None:
            return
        try:
            diff = upgrade_diff(plan)
            text = upgrade_text(diff, status)
        except Exception as exc:  # noqa: BLE001 - said in the section; approval does not depend on it
            text += f"\n· the diff could not be computed: {getattr(exc, 'message', None) or exc}"
        self.app.call_from_thread(self._upgrade_known, plan, diff, blocker, text)

    def _upgrade_known(self, plan, diff, blocker: str, text: str) -> None:
        if self.run is None or self.run.plan is not plan:
            return          # a newer review replaced this one
        self.release_known = True
        self.upgrade, self.release_blocker = diff, blocker
        self._put("diff", text)
        self._show_run()

    def _diff_text(self) -> str:
        return str(self.query_one("#diff", Static).content)

    # ---- a migration's proof ---------------------------------------------------------------------
    def _migration(self):
        """The migration these values come from, when they are still for its target chart."""
        mig = getattr(self.app.state, "migration", None)
        if mig is None:
            return None
        family, _, version = (self.app.state.chart_ref or "").partition("@")
        return mig if (family, version) == (mig.dst.name, mig.dst.version) else None

    def build_proof(self) -> None:
        mig = self._migration()
        if mig is None:
            self.proof, self.proving, self._proof_key = None, False, None
            self.query_one("#migration").display = False
            return
        self.query_one("#migration").display = True
        text = self.app.state.values_text or ""
        if self._proof_key == text and not self.proving:
            return
        self._proof_key = text
        if mig.files and text == mig.files[0].text and mig.proof is not None:
            self._proof_known(text, mig.proof)
            return
        self.proving = True
        self._put("migration", f"MIGRATION PROOF: {mig.src.name} {mig.src.version} → {mig.dst.name} {mig.dst.version}"
                               "\n· proving the values as edited: rendering old and new with helm…")
        self.proof_worker(mig, text)

    @work(thread=True, exclusive=True, group="review-proof", exit_on_error=False)
    def proof_worker(self, mig, text: str) -> None:
        from ...core.migrate import Proof
        try:
            proof = self.app.session.migration_proof(mig, text)
        except Exception as exc:  # noqa: BLE001 - the proof could not be made: said, and approval wants it typed
            proof = Proof(error=getattr(exc, "message", None) or str(exc))
        self.app.call_from_thread(self._proof_known, text, proof)

    def _proof_known(self, text: str, proof) -> None:
        if text != self._proof_key:
            return          # the values changed since: a newer proof is coming
        self.proof, self.proving = proof, False
        self._put("migration", proof_text(self._migration(), proof))
        self._show_run()

    def lost(self) -> list[str]:
        """What the migration loses (or why it could not be proven): approval then wants the name typed."""
        if self._migration() is None or self.proof is None:
            return []
        if self.proof.error:
            return [f"the proof could not be made: {self.proof.error}"]
        return [f"{f.thing} {f.aspect}: {_short(f.old)} → {_short(f.new)}" for f in self.proof.lost]

    def on_engine_event(self, msg: EngineEvent) -> None:
        ev = msg.event
        if ev.kind == "phase" and ev.phase == "preflight" and not ev.status:
            self.busy = "checking the cluster"
        if ev.kind in ("phase", "check", "waiting", "done"):
            if ev.kind in ("waiting", "done"):
                self.busy = ""
            self._show_run()

    def _show_run(self) -> None:
        """Everything from the run as it stands: summary, objects, preflight, approval."""
        run = self.run
        st = self.app.state
        blockers = list(self.blockers)
        if run is not None:
            out = run.outcome
            exp = run.expected
            if exp is not None:
                self._put("plan", "THE PLAN\n" + "\n".join(f"· {s}" for s in out.summary))
                self._put("objects", "OBJECTS helm template renders\n" + "\n".join(
                    f"· {kind}/{name}" for _, kind, _, name in exp.objects))
            elif out.status == "preflight-failed" or (out.finished and out.explanation):
                why = out.explanation.message if out.explanation else "the chart could not be rendered"
                self._put("plan", f"THE PLAN\n· not known: {why}")
                self._put("objects", f"OBJECTS\n· not rendered: {why}" + (
                    f"\n  → {out.explanation.hint}" if out.explanation and out.explanation.hint else ""))
            pre = [c for c in out.preflight if c.id != "render" or c.status != "pass"]
            if not st.offline and (pre or "preflight" in run.done):
                self._put("preflight", "PREFLIGHT (read-only checks of the cluster)\n" + "\n".join(check_lines(pre)))
            if out.finished and out.status != "awaiting-approval":
                fails = [c for c in out.preflight if c.status == "fail"]
                if fails:
                    blockers.append(f"{len(fails)} preflight check(s) failed: " + ", ".join(c.title for c in fails))
                elif out.status not in ("cancelled", "quit"):
                    blockers.append(out.explanation.message if out.explanation else f"the review stopped: {out.status}")
        if self.release_blocker:
            blockers.append(self.release_blocker)
        self.blockers_now = blockers
        q = self.query_one
        approval = q("#approval", Static)
        ready = (run is not None and run.waiting_for_approval and not blockers and not self.proving
                 and self.release_known)
        if blockers:
            approval.update(Text("✗ Approval blocked: " + "; ".join(blockers)))
        elif ready:
            prod = self.production()
            lost = self.lost()
            approval.update(Text("Ready to approve (a)." + (
                f"  PRODUCTION ({prod}): you will type the release name." if prod else "") + (
                f"  ⚠ THE MIGRATION LOSES {len(lost)} SETTING(S) (below): you will type the release name."
                if lost else "")))
        elif self.proving and run is not None and run.waiting_for_approval:
            approval.update(Text("… proving the migration: approval waits for the proof"))
        elif not self.release_known and run is not None and run.waiting_for_approval:
            approval.update(Text("… asking helm whether the release exists (install or upgrade)"))
        else:
            approval.update(Text(f"… {self.busy or 'reviewing'}: approval waits for the render and the preflight"))
        approval.set_class(bool(blockers), "blocked")
        q("#approve", ActionButton).disabled = not ready
        n_err = sum(1 for d in st.diagnostics if d.severity == "error")
        n_warn = sum(1 for d in st.diagnostics if d.severity == "warning")
        if blockers:
            tail = f"approval blocked: {blockers[0]}"
        elif ready:
            tail = "a approves · c copies the helm command"
        else:
            tail = f"{self.busy or 'reviewing'}…"
        self.set_status(f"✗ {n_err} error{'' if n_err == 1 else 's'}  ⚠ {n_warn} warning{'' if n_warn == 1 else 's'}  · {tail}")
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "approve":
            return True if (self.run is not None and self.run.waiting_for_approval and not self.proving
                            and self.release_known and not getattr(self, "blockers_now", ["…"])) else None
        return True

    # ---- actions ------------------------------------------------------------------------------
    def command(self) -> list[str]:
        return self.run.plan.shown_argv() if self.run is not None else []

    def is_production(self) -> bool:
        return self.production() is not None

    def action_copy_command(self) -> None:
        if self.run is None:
            return
        self.app.copy_to_clipboard(shlex.join(self.command()))
        self.app.notify("helm command copied (OSC 52; in tmux: set-clipboard on)", timeout=4)

    def on_action_button_pressed(self, event: ActionButton.Pressed) -> None:
        if event.button.id == "approve":
            self.action_approve()

    def action_approve(self) -> None:
        from ...core.textsafe import visible
        if self.check_action("approve", ()) is not True:
            why = "; ".join(getattr(self, "blockers_now", [])) or "the render and the preflight are not done yet"
            self.app.notify(visible(f"Approval blocked: {why}"), severity="error", markup=False)
            return
        from ..widgets.modals import Confirm
        plan = self.run.plan
        prod = self.production()
        lost = self.lost()
        verb = "Upgrade" if self.upgrade is not None or "UPGRADE" in self._diff_text() else "Deploy"
        question = (f"{verb} release {plan.release} {'in' if verb == 'Upgrade' else 'to'} namespace {plan.namespace} on "
                    f"context {plan.context}?\nchart {plan.chart_name} {plan.chart_version}"
                    + (f" (now {self.upgrade.deployed_chart}, revision {self.upgrade.deployed_revision})"
                       if self.upgrade is not None else "")
                    + (f"\nThe namespace {plan.namespace} will be created." if plan.create_namespace else "")
                    + (f"\nPRODUCTION: {prod}." if prod else "")
                    + ("\nTHE MIGRATION LOSES: " + "; ".join(lost[:4]) + (" …" if len(lost) > 4 else "")
                       + "\nType the release name to deploy anyway." if lost else ""))
        typed = bool(prod or lost)
        self.app.push_screen(Confirm(visible(question), yes=verb, no="Not yet",
                                     typed=plan.release if typed else None, danger=typed),
                             lambda ok: self._approved(ok, bool(prod), bool(lost)))

    def _approved(self, ok: bool | None, prod: bool, lost: bool = False) -> None:
        if not ok or self.run is None:
            return
        why = [w for w, on in (("production", prod), ("the migration loses settings", lost)) if on]
        self.run.approve(f"in the wizard, release name typed ({', '.join(why)})" if why else "in the wizard")
        self.app.goto("deploy", fresh=True)

    def palette_commands(self):
        return [("Review: approve and deploy", "a", self.action_approve),
                ("Review: copy the helm command (OSC 52)", "c", self.action_copy_command)]


# ---- text for the upgrade and migration sections --------------------------------------------------
DIFF_LINES = 300   # unified-diff lines shown; the rest are counted


def upgrade_text(diff, status: str) -> str:
    """core UpgradeDiff as the section's text (already redacted by core)."""
    out = [f"UPGRADE of release {diff.release} in {diff.namespace}: revision {diff.deployed_revision} "
           f"({diff.deployed_chart}, {status}) → {diff.new_chart}",
           "VALUES DIFF (the deployed release's values → these values)"]
    out += [f"· {c.describe()}" for c in diff.values.changes] or ["· no change"]
    m = diff.manifest
    out.append("MANIFEST DIFF (helm get manifest → helm template of these values)")
    if m.empty:
        out.append("· no object changes")
    else:
        out += [f"· changed: {', '.join(m.changed)}"] if m.changed else []
        out += [f"· added: {', '.join(m.added)}"] if m.added else []
        out += [f"· removed (helm deletes them): {', '.join(m.removed)}"] if m.removed else []
        out += [f"  {ln}" for ln in m.lines[:DIFF_LINES]]
        if len(m.lines) > DIFF_LINES:
            out.append(f"  … {len(m.lines) - DIFF_LINES} more lines")
    return "\n".join(out)


def _short(v: str | None, limit: int = 60) -> str:
    if v is None:
        return "(absent)"
    return v if len(v) <= limit else v[: limit - 1] + "…"


def proof_text(mig, proof) -> str:
    """The "Migration proof" section: lost first, then what is intentionally different, then the count
    of what is equal; what moved and what has no equivalent."""
    from ...core.migrate import DIFFERENT, EQUAL, LOST
    from ...core.values.diagnostics import format_path
    if mig is None:
        return ""
    out = [f"MIGRATION PROOF: {mig.src.name} {mig.src.version} → {mig.dst.name} {mig.dst.version} (the old values "
           "rendered with the old chart against these values rendered with the new one)"]
    if proof.error:
        out.append(f"✗ the proof could not be made: {proof.error} — approval wants the release name typed")
    else:
        counts = {v: sum(1 for f in proof.facets if f.verdict == v) for v in (EQUAL, DIFFERENT, LOST)}
        head = (f"✗ {counts[LOST]} LOST — approval wants the release name typed" if counts[LOST]
                else "✓ nothing lost")
        out.append(f"{head} · {counts[DIFFERENT]} intentionally different · {counts[EQUAL]} equal")
        for f in proof.facets:
            if f.verdict == LOST:
                out.append(f"✗ lost  {f.thing} {f.aspect}: {_short(f.old)} → {_short(f.new)}")
        for f in proof.facets:
            if f.verdict == DIFFERENT:
                out.append(f"~ {f.thing} {f.aspect}: {_short(f.old)} → {_short(f.new)}" + (f" ({f.why})" if f.why else ""))
        equal = [f"{f.thing} {f.aspect}" for f in proof.facets if f.verdict == EQUAL]
        if equal:
            out.append("= equal: " + ", ".join(equal))
    for f in mig.files:
        for m in f.moved:
            out.append(f"moved {format_path(m.old)} → {format_path(m.new)}")
        for d in f.dropped:
            out.append(f"no equivalent: {format_path(d.old)} — {d.reason} (kept in the file, commented out)")
    return "\n".join(out)
