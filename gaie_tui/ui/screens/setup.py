"""Setup: cluster, namespace, release, chart, provider, image, HF secret, zmq, selector."""
from __future__ import annotations

import os

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from ...core.values.answers import DEFAULT_SELECTOR, Answers
from ..app import guarded
from ..services import nearby_label_sets
from ..widgets.action import ActionButton
from ..widgets.choice import Choice
from ..widgets.field import FieldInput
from ..widgets.tick import Tick
from .base import WizardScreen

NONE = "__none__"


class ClusterLoaded(Message):
    def __init__(self, view=None, error: str | None = None) -> None:
        super().__init__()
        self.view, self.error = view, error


class NamespaceLoaded(Message):
    def __init__(self, namespace: str, secrets: list[str], pods: list, error: str | None = None) -> None:
        super().__init__()
        self.namespace, self.secrets, self.pods, self.error = namespace, secrets, pods, error


class VersionsLoaded(Message):
    def __init__(self, report=None, error: str | None = None) -> None:
        super().__init__()
        self.report, self.error = report, error


class SetupScreen(WizardScreen):
    STEP = "setup"
    AUTO_FOCUS = "#namespace"   # one focus change at start (each one restyles the form)
    BINDINGS = [
        Binding("ctrl+n", "next", "Next: values", id="setup.next"),
        Binding("ctrl+r", "reload", "Reload cluster", id="setup.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._pods: list = []
        self._ns_source = ""
        self._report = None          # core.upstream's VersionsReport, once it has answered
        self._namespaces: list[str] | None = None   # the cluster's, once connected

    def compose_body(self) -> ComposeResult:
        st = self.app.state
        a = st.answers
        fams = self.app.services.families()
        ref_family, ref_version = self._initial_chart()
        # one widget per row, labels drawn beside the controls (widgets/field.py): no Grid
        with VerticalScroll(id="setup-form"):
            yield Choice([], prompt="(no kubeconfig: offline)", label="Cluster", id="context")
            yield Static("looking for a cluster…", id="cluster-status", classes="note", markup=False)
            yield FieldInput(a.namespace, label="Namespace", id="namespace")
            yield Static("", id="namespace-note", classes="note", markup=False)
            yield FieldInput(a.release, label="Release", id="release")
            yield Static("", id="release-problem", classes="note", markup=False)
            yield Choice([(f, f) for f in fams], value=ref_family, label="Chart", id="family")
            yield Choice(lambda: self._version_options(str(self.query_one("#family", Choice).value)),
                         value=ref_version, label="Version", id="version")
            yield Static("", id="versions-note", classes="note", markup=False)
            yield Choice(lambda: [(p, p) for p in self.app.services.providers()], value=a.provider,
                         label="Provider", id="provider")
            yield FieldInput(a.image or "", placeholder="", label="EPP image", id="image")
            yield Choice([("none", NONE)], value=NONE, label="HF secret", id="hf-secret")
            yield Tick("zmq 5557 for KV-cache events", a.zmq, label="Ports", id="zmq")
            yield Tick("Prometheus ServiceMonitor", a.monitoring, label="Monitoring", id="monitoring")
            yield FieldInput(",".join(f"{k}={v}" for k, v in a.selector.items()), label="Selector",
                             id="selector")
            yield Static("", id="matches", classes="note", markup=False)
            yield ActionButton("Next: values  (ctrl+n)", id="next", variant="primary")

    def _initial_chart(self) -> tuple[str, str]:
        fams = self.app.services.families()
        ref = self.app.state.chart_ref
        if ref and "@" in ref:
            fam, _, ver = ref.partition("@")
            if fam in fams and ver in fams[fam]:
                return fam, ver
        fam = "inferencepool"
        return fam, fams[fam][-1]

    def on_mount(self) -> None:
        if not self.app.cursor_blink:  # snapshots: a blinking cursor is a random picture
            for inp in self.query(Input):
                inp.cursor_blink = False
        self.update_subtitle()
        self._update_image_placeholder()
        self._check_release(self.query_one("#release", Input).value)
        # the cluster probe (and its notes) start once the form is on the screen
        self.after_first_paint(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self.query_one("#versions-note", Static).update("asking upstream for newer versions…")
        self.load_versions()
        st = self.app.state
        if st.offline or self.app.services.offline:
            self._go_offline("offline mode (no cluster)")
        else:
            self.load_cluster()

    # ---- versions (core.upstream) -------------------------------------------------------------
    @work(thread=True, exclusive=True, group="versions", exit_on_error=False)
    def load_versions(self) -> None:
        try:
            report = self.app.services.versions_report(list(self.app.services.families()))
        except Exception as exc:  # never more than a calm line: the known versions still work
            self.post_message(VersionsLoaded(error=str(exc).splitlines()[0][:160] if str(exc) else
                                             type(exc).__name__))
            return
        self.post_message(VersionsLoaded(report))

    def on_versions_loaded(self, msg: VersionsLoaded) -> None:
        note = self.query_one("#versions-note", Static)
        if msg.error:
            note.update(f"newer versions unknown ({msg.error}); the versions gaie-tui knows are offered")
            return
        from ..services import versions_line
        self._report = msg.report
        family = str(self.query_one("#family", Choice).value)
        ver = self.query_one("#version", Choice)
        with ver.prevent(Choice.Changed):
            ver.set_options(self._version_options(family))
        note.update(versions_line(msg.report, family))
        note.tooltip = "\n".join(msg.report.status_lines()) or None

    # ---- cluster ----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="cluster", exit_on_error=False)
    def load_cluster(self, context: str | None = None) -> None:
        svc = self.app.services
        try:
            names, current = svc.contexts()
            if not names:
                self.post_message(ClusterLoaded(error="no kubeconfig context found"))
                return
            view = svc.connect(context or svc.context or current)
            view.namespaces = view.namespaces
            self.post_message(ClusterLoaded(view=(view, names)))
        except Exception as exc:  # unreachable, 401, 403 …: offline, said once
            self.post_message(ClusterLoaded(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                                            if str(exc) else type(exc).__name__))

    def on_cluster_loaded(self, msg: ClusterLoaded) -> None:
        st = self.app.state
        if msg.error:
            self._go_offline(msg.error)
            return
        view, names = msg.view
        st.offline = False
        st.context = view.context
        sel = self.query_one("#context", Choice)
        with sel.prevent(Choice.Changed):
            sel.set_options([(n, n) for n in names])
            sel.value = view.context
        self.query_one("#cluster-status", Static).update(f"connected to {view.server} ({len(view.namespaces)} namespaces)")
        ns_input = self.query_one("#namespace", Input)
        env_ns = os.environ.get("LLMDBENCH_VLLM_COMMON_NAMESPACE")
        if env_ns:
            ns, src = env_ns, "from LLMDBENCH_VLLM_COMMON_NAMESPACE"
        elif view.default_namespace and view.default_namespace != "default":
            ns, src = view.default_namespace, f"the namespace of context {view.context}"
        else:
            ns, src = ns_input.value, ""
        self._namespaces = view.namespaces
        st.known_namespaces = list(view.namespaces)
        self._ns_source = src
        if ns != ns_input.value:
            ns_input.value = ns
        self._note_namespace(ns)
        self.update_subtitle()
        self.load_namespace(ns)

    def _go_offline(self, why: str) -> None:
        st = self.app.state
        st.offline = True
        self.query_one("#cluster-status", Static).update(f"offline: {why}")
        if not st.said_offline:
            st.said_offline = True
            self.app.notify("No cluster reachable: values and review work; deploy is unavailable.",
                            title="Offline", severity="warning", markup=False)
        self._note_namespace(self.query_one("#namespace", Input).value)
        self._update_matches()
        self.update_subtitle()

    @work(thread=True, exclusive=True, group="namespace", exit_on_error=False)
    def load_namespace(self, ns: str) -> None:
        svc = self.app.services
        try:
            secrets = svc.secret_names(ns)
            pods = svc.pods(ns)
            self.post_message(NamespaceLoaded(ns, secrets, pods))
        except Exception as exc:
            self.post_message(NamespaceLoaded(ns, [], [], error=str(exc).splitlines()[0][:160] if str(exc) else
                                              type(exc).__name__))

    def on_namespace_loaded(self, msg: NamespaceLoaded) -> None:
        if msg.namespace != self.query_one("#namespace", Input).value or self.app.state.offline:
            return
        self._pods = msg.pods
        if msg.error:
            self.query_one("#matches", Static).update(f"✗ cannot read namespace {msg.namespace}: {msg.error}")
        hf = self.query_one("#hf-secret", Choice)
        svc = self.app.services
        cands = [s for s in msg.secrets if svc.is_hf_candidate(s)]
        others = [s for s in msg.secrets if s not in cands and not s.startswith("sh.helm.release")]
        opts = [("none", NONE)] + [(f"{s}  (found)", s) for s in cands] + [(s, s) for s in others]
        current = self.app.state.answers.hf_secret
        with hf.prevent(Choice.Changed):
            hf.set_options(opts)
            if current in msg.secrets:
                hf.value = current
            elif cands:
                hf.value = cands[0]  # proposed; shown as found; the user confirms with Next
            else:
                hf.value = NONE
        if not msg.error:
            self._update_matches()

    def _note_namespace(self, ns: str) -> None:
        st = self.app.state
        note = self.query_one("#namespace-note", Static)
        if problem := _ns_problem(ns):
            note.update(f"✗ {problem}")
            return
        if st.offline:
            note.update("offline: not checked against a cluster")
        elif ns in (self._namespaces or []):
            note.update(f"exists ({self._ns_source})" if self._ns_source else "exists in the cluster")
        else:
            note.update("does not exist yet: deploy will ask to create it")

    def _update_matches(self) -> None:
        out = self.query_one("#matches", Static)
        if self.app.state.offline:
            out.update("offline: pods not checked")
            return
        try:
            sel = _parse_selector(self.query_one("#selector", Input).value)
        except ValueError as exc:
            out.update(f"✗ {exc}")
            return
        matching = [p for p in self._pods if all(p.labels.get(k) == v for k, v in sel.items())]
        if matching:
            ready = sum(1 for p in matching if p.ready)
            names = ", ".join(p.name for p in matching[:3]) + (" …" if len(matching) > 3 else "")
            out.update(f"matches {len(matching)} pod(s), {ready} Ready: {names}")
        else:
            near = nearby_label_sets(self._pods, sel)
            text = "✗ matches no pod in this namespace"
            if near:
                text += "; nearby pods have: " + " | ".join(
                    ",".join(f"{k}={v}" for k, v in labels.items()) for labels in near[:2])
            out.update(text)

    # ---- as-you-type ------------------------------------------------------------------------
    @on(Input.Changed, "#release")
    def _release_changed(self, event: Input.Changed) -> None:
        self._check_release(event.value)
        self.update_subtitle()

    def target(self) -> tuple[str | None, str, str]:
        """The live form: the title bar (and its PROD badge) follows what is typed."""
        st = self.app.state
        inputs = {w.id: w.value for w in self.query(Input) if w.id in ("namespace", "release")}
        return ((None if st.offline else st.context), inputs.get("namespace", st.answers.namespace),
                inputs.get("release", st.answers.release))

    def _check_release(self, value: str) -> None:
        from ...core.names import release_problem
        problem = release_problem(value)
        self.query_one("#release-problem", Static).update(f"✗ {problem}" if problem else "✓ valid release name")
        self.query_one("#release", Input).set_class(bool(problem), "invalid")

    @on(Input.Changed, "#namespace")
    def _namespace_changed(self, event: Input.Changed) -> None:
        self._note_namespace(event.value)
        self.query_one("#namespace", Input).set_class(bool(_ns_problem(event.value)), "invalid")
        self.update_subtitle()
        # Input says Changed for its first value too, before any cluster is known: reading a
        # namespace then raced the cluster probe (and loaded the kubernetes client, in a thread,
        # while the first frame was being drawn). on_cluster_loaded reads the namespace itself.
        if self._namespaces is not None and not self.app.state.offline and not _ns_problem(event.value):
            self._pods = []
            self.load_namespace(event.value)

    @on(Input.Changed, "#selector")
    def _selector_changed(self, event: Input.Changed) -> None:
        self._update_matches()

    @on(Choice.Changed, "#family")
    def _family_changed(self, event: Choice.Changed) -> None:
        ver = self.query_one("#version", Choice)
        opts = self._version_options(str(event.value))
        ver.set_options(opts)
        known = self.app.services.families()[str(event.value)]
        ver.value = known[-1]           # the newest version this gaie-tui knows
        if self._report is not None:
            from ..services import versions_line
            self.query_one("#versions-note", Static).update(versions_line(self._report, str(event.value)))
        self._update_image_placeholder()

    def _version_options(self, family: str) -> list[tuple[str, str]]:
        """Newest first: the versions gaie-tui knows, and those upstream has since released
        (their knowledge then comes from the chart archive itself)."""
        from ...core.charts import versions as vkey
        known = self.app.services.families()[family]
        answer = self._report.charts.get(family) if self._report is not None else None
        found = list(answer.versions) if answer is not None else []
        newest = answer.newest if answer is not None else None
        out = []
        for v in sorted(set(known) | set(found), key=vkey.key, reverse=True):
            label = v + ("  newest" if v == newest else "") + ("  (new: read from its archive)" if v not in known else "")
            out.append((label, v))
        return out

    @on(Choice.Changed, "#version")
    def _version_changed(self, event: Choice.Changed) -> None:
        self._update_image_placeholder()

    @on(Choice.Changed, "#context")
    def _context_changed(self, event: Choice.Changed) -> None:
        if event.value is not None and event.value != self.app.state.context:
            self.query_one("#cluster-status", Static).update(f"connecting to {event.value}…")
            self.load_cluster(str(event.value))

    def _update_image_placeholder(self) -> None:
        fam = self.query_one("#family", Choice).value
        ver = self.query_one("#version", Choice).value
        try:
            img = self.app.services.default_image(str(fam), str(ver))
        except Exception:
            img = ""
        self.query_one("#image", Input).placeholder = f"default: {img}" if img else "REGISTRY/REPO:TAG"

    # ---- next -------------------------------------------------------------------------------
    def collect(self) -> Answers:
        """The answers as the form holds them (raises ValueError with a plain message)."""
        from ...core.names import release_problem
        q = self.query_one
        release = q("#release", Input).value.strip()
        if problem := release_problem(release):
            raise ValueError(f"release name: {problem}")
        ns = q("#namespace", Input).value.strip()
        if problem := _ns_problem(ns):
            raise ValueError(f"namespace: {problem}")
        selector = _parse_selector(q("#selector", Input).value)
        hf = q("#hf-secret", Choice).value
        image = q("#image", Input).value.strip() or None
        return Answers(release=release, namespace=ns, provider=str(q("#provider", Choice).value), image=image,
                       hf_secret=None if hf in (NONE, None) else str(hf), zmq=q("#zmq", Tick).value,
                       monitoring=q("#monitoring", Tick).value, selector=selector)

    @on(ActionButton.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @guarded
    def action_next(self) -> None:
        from ...core.errors import UserError
        try:
            answers = self.collect()
        except ValueError as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            return
        st = self.app.state
        ref = f"{self.query_one('#family', Choice).value}@{self.query_one('#version', Choice).value}"
        try:
            chart = self.app.services.chart(ref)
            generated = self.app.services.generate(chart, answers)
        except UserError as exc:
            self.app.notify(f"{exc}", severity="error", markup=False)
            return
        edited = st.values_text is not None and st.values_text != st.generated_text
        changed = st.chart_ref != ref or answers != st.answers
        st.answers, st.chart_ref = answers, ref
        st.step(f"setup: {ref}, release {answers.release} in {answers.namespace}, provider {answers.provider}")
        if edited and changed:
            # edits are never thrown away silently
            from ..widgets.modals import Confirm
            self.app.push_screen(Confirm("You edited the values. Replace them with values generated from "
                                         "the new answers?", yes="Replace", no="Keep my edits"),
                                 lambda ok: self._use(generated if ok else None))
            return
        self._use(generated if (st.values_text is None or not edited) else None)

    def _use(self, generated) -> None:
        st = self.app.state
        if generated is not None:
            st.values_text = generated.text
            st.generated_text = generated.text
            for note in generated.notes:
                self.app.notify(note, title="Note", markup=False, timeout=8)
        self.app.goto("values", fresh=True)

    def action_reload(self) -> None:
        if not self.app.services.offline:
            self.app.state.said_offline = False
            self.load_cluster()

    def palette_commands(self):
        return [("Setup: next (generate values)", "ctrl+n", self.action_next),
                ("Setup: reload cluster", "ctrl+r", self.action_reload)]


def _ns_problem(ns: str) -> str | None:
    from ...core.names import namespace_problem
    return namespace_problem(ns)


def _parse_selector(text: str) -> dict[str, str]:
    from ...core.errors import UserError
    from ...core.names import parse_selector
    items = [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
    if not items:
        return dict(DEFAULT_SELECTOR)
    try:
        return parse_selector(items)
    except UserError as exc:
        raise ValueError(str(exc)) from None
