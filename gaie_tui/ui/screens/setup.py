"""Setup: cluster, namespace, release, chart, provider, image, HF secret, zmq, selector.

The first focus is the Cluster picker, not a text field: a newcomer's first `?` or `:` is a global
key on the first frame. Once the cluster answered, the releases already in it are listed (helm only):
the app shows the Releases screen first when there are any and the form is untouched, and the
release note says when one of this name (or others) lives in the namespace (F2 lists them). The EPP
image field says whether the image really pulls (core `pull_status`, in a worker; offline is a skip
note) and, for inferencepool, offers the real choices side by side (core `image_choices`); the
image proposed by default is one that pulls, never the renamed repository's.

Everything here is asked of core (kubeconfig contexts, the namespace rule, secrets by name, the
model-server selector's matches, the chart archive at hand); the answers settle before Values:
ctrl+n waits for the cluster probe (with a way to go on offline) so the values are generated with
what the cluster told.
"""
from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from ...core.values.answers import DEFAULT_SELECTOR, Answers
from ..guard import guarded
from ..widgets.action import ActionButton
from ..widgets.choice import Choice
from ..widgets.field import FieldInput
from ..widgets.tick import Tick
from .base import WizardScreen

NONE = "__none__"


@dataclass
class ClusterLoaded(Message):
    context: str = ""
    server: str = ""
    contexts: list | None = None
    namespaces: list | None = None
    default_ns: str | None = None         # the namespace rule's answer
    default_ns_source: str = ""
    error: str | None = None


@dataclass
class NamespaceLoaded(Message):
    ns: str
    candidates: list                      # HF-token secret candidates (names only)
    others: list                          # the other secrets
    pods: list                            # pod objects of the namespace
    error: str | None = None


@dataclass
class VersionsLoaded(Message):
    report: object = None
    error: str | None = None


@dataclass
class ArchiveKnown(Message):
    ref: str
    status: object                        # core.charts.availability.ArchiveStatus


@dataclass
class ReleasesKnown(Message):
    listing: object = None                # core.cluster.releases.Listing (helm only, no health)
    error: str | None = None


@dataclass
class ImagesKnown(Message):
    ref: str                              # family@version the choices are for
    choices: object = None                # core.upstream.images.ImageChoices
    error: str | None = None


@dataclass
class ImagePulled(Message):
    image: str
    status: object                        # core.upstream.images.PullStatus


@dataclass
class Generated(Message):
    ref: str
    answers: Answers
    generated: object = None
    error: str | None = None


def _first_line(exc: BaseException) -> str:
    """An error for a status line: its message, never a class name or a traceback."""
    from ...core.textsafe import clip
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return clip(text.splitlines()[0], 200)


class SetupScreen(WizardScreen):
    STEP = "setup"
    # one focus change at start (each one restyles the form); not a text field, whose selected text
    # a newcomer's first `?` or `:` would replace
    AUTO_FOCUS = "#context"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next: values", id="setup.next"),
        Binding("ctrl+r", "reload", "Reload cluster", id="setup.reload"),
        Binding("f2", "releases", "Releases", id="setup.releases"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._pods: list = []
        self._ns_source = ""
        self._ns_initial: str | None = None   # the namespace the form started with
        self._ns_touched = False     # the user typed a namespace: the cluster's default does not replace it
        self._report = None          # core.upstream's VersionsReport, once it has answered
        self._namespaces: list[str] | None = None   # the cluster's, once connected
        self._waiting = None         # the "waiting for the cluster" dialog, while ctrl+n waits
        self._ns_loading: str | None = None   # a namespace whose secrets and pods are being read
        self._releases = None        # core Listing of the releases in the cluster (helm only), once known
        self._form_at_probe = None   # the form when the cluster answered: a change since means touched
        self._choices = None         # core ImageChoices for the chosen chart, once the registries answered
        self._proposed = ""          # the image used when the field is left empty
        self._pulls: dict = {}       # image → core PullStatus seen
        self._pull_timer = None
        self._image_text: tuple[str, str] | None = None   # the choices in full, and in two lines

    def compose_body(self) -> ComposeResult:
        st = self.app.state
        a = st.answers
        from ...core.charts.refs import FAMILIES
        fams = {name: fam.released for name, fam in FAMILIES.items()}
        ref_family, ref_version = self._initial_chart(fams)
        # one widget per row, labels drawn beside the controls (widgets/field.py): no Grid
        with VerticalScroll(id="setup-form"):
            yield Choice([], prompt="(no kubeconfig: offline)", label="Cluster", id="context")
            yield Static("looking for a cluster…", id="cluster-status", classes="note", markup=False)
            yield FieldInput(a.namespace, label="Namespace", id="namespace")
            yield Static("", id="namespace-note", classes="note", markup=False)
            yield FieldInput(a.release, label="Release", id="release")
            yield Static("", id="release-problem", classes="note", markup=False)
            releases_note = Static("", id="releases-note", classes="note", markup=False)
            releases_note.display = False         # shown once the cluster said which releases it holds
            yield releases_note
            yield Choice([(f, f) for f in fams], value=ref_family, label="Chart", id="family")
            yield Choice(lambda: self._version_options(str(self.query_one("#family", Choice).value)),
                         value=ref_version, label="Version", id="version")
            yield Static("", id="versions-note", classes="note", markup=False)
            yield Static("", id="archive-note", classes="note", markup=False)
            yield Choice(lambda: [(p, p) for p in _providers()], value=a.provider, label="Provider", id="provider")
            yield FieldInput(a.image or "", placeholder="", label="EPP image", id="image")
            image_status = Static("", id="image-status", classes="note", markup=False)
            image_status.display = False          # shown once a registry said something about the image
            yield image_status
            yield Choice([("none", NONE)], value=NONE, label="HF secret", id="hf-secret")
            yield Tick("zmq 5557 for KV-cache events", a.zmq, label="Ports", id="zmq")
            yield Tick("Prometheus ServiceMonitor", a.monitoring, label="Monitoring", id="monitoring")
            yield FieldInput(",".join(f"{k}={v}" for k, v in a.selector.items()), label="Selector",
                             id="selector")
            yield Static("", id="matches", classes="note", markup=False)
            # the EPP images side by side, after the short rows: at 80×24 the selector's matches stay
            # on the first screen
            yield Choice(lambda: self._image_options(), prompt="(asking the registries…)", label="EPP choices",
                         id="image-choice")
            yield Static("", id="image-options", classes="note", markup=False)
            yield ActionButton("Next: values  (ctrl+n)", id="next", variant="primary")

    def _initial_chart(self, fams) -> tuple[str, str]:
        ref = self.app.state.chart_ref
        if ref and "@" in ref:
            fam, _, ver = ref.partition("@")
            if fam in fams and ver in fams[fam]:
                return fam, ver
        return "inferencepool", fams["inferencepool"][-1]

    def on_mount(self) -> None:
        if not self.app.cursor_blink:  # snapshots: a blinking cursor is a random picture
            for inp in self.query(Input):
                inp.cursor_blink = False
        self.update_subtitle()
        self._update_image_placeholder()
        self._check_release(self.query_one("#release", Input).value)
        self._note_namespace(self.query_one("#namespace", Input).value)
        # the cluster probe (and its notes) start once the form is on the screen
        self.after_first_paint(self._after_first_frame)

    def _after_first_frame(self) -> None:
        self.query_one("#versions-note", Static).update("asking upstream for newer versions…")
        self.load_versions()
        self.load_archive_status()
        self.load_image_choices()
        st = self.app.state
        if st.offline or self.app.session.offline:
            self._go_offline("offline mode (no cluster)")
        else:
            self.load_cluster()

    # ---- versions and the chart archive (core.upstream, core.charts.availability) -----------
    @work(thread=True, exclusive=True, group="versions", exit_on_error=False)
    def load_versions(self) -> None:
        from ...core.charts.refs import FAMILIES
        try:
            report = self.app.session.versions_report(list(FAMILIES))
        except Exception as exc:  # noqa: BLE001 - never more than a calm line: the known versions still work
            self.post_message(VersionsLoaded(error=_first_line(exc)))
            return
        self.post_message(VersionsLoaded(report))

    def on_versions_loaded(self, msg: VersionsLoaded) -> None:
        from ...core.textsafe import visible
        note = self.query_one("#versions-note", Static)
        if msg.error:
            note.update(f"newer versions unknown ({msg.error}); the versions gaie-tui knows are offered")
        else:
            from ...core.upstream.freshness import versions_line
            self._report = msg.report
            family = str(self.query_one("#family", Choice).value)
            ver = self.query_one("#version", Choice)
            with ver.prevent(Choice.Changed):
                ver.set_options(self._version_options(family))
            note.update(visible(versions_line(msg.report, family)))
            note.tooltip = visible("\n".join(msg.report.status_lines())) or None
        self.load_archive_status()

    def _ref(self) -> str:
        return f"{self.query_one('#family', Choice).value}@{self.query_one('#version', Choice).value}"

    def load_archive_status(self) -> None:
        self._archive_worker(self._ref())     # the form is read here, on the UI's thread

    @work(thread=True, exclusive=True, group="archive", exit_on_error=False)
    def _archive_worker(self, ref: str) -> None:
        try:
            status = self.app.session.archive_status(ref, None)
        except Exception as exc:  # noqa: BLE001 - a note, never a crash
            from ...core.charts.availability import ArchiveStatus
            status = ArchiveStatus(None, f"not known: {_first_line(exc)}")
        self.post_message(ArchiveKnown(ref, status))

    def on_archive_known(self, msg: ArchiveKnown) -> None:
        if msg.ref != self._ref():
            return
        from ...core.textsafe import visible
        note = self.query_one("#archive-note", Static)
        note.update(visible(msg.status.line()))
        note.set_class(msg.status.available is False, "problem")

    # ---- cluster ----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="cluster", exit_on_error=False)
    def load_cluster(self, context: str | None = None) -> None:
        session = self.app.session
        try:
            names, current = session.contexts()
            if not names:
                self.post_message(ClusterLoaded(error="no kubeconfig context found"))
                return
            chosen = context or session.context or current
            cluster = session.connect(chosen)
            namespaces = cluster.namespaces()
            ns, source = session.namespace_default(cluster.context)
            self.post_message(ClusterLoaded(cluster.context, cluster.server, names, namespaces, ns, source))
        except Exception as exc:  # noqa: BLE001 - unreachable, 401, 403 …: offline, said once
            self.post_message(ClusterLoaded(error=_first_line(exc)))

    def on_cluster_loaded(self, msg: ClusterLoaded) -> None:
        from ...core.textsafe import visible
        st = self.app.state
        if msg.error:
            st.probe = "failed"
            self._go_offline(msg.error)
            self._probe_answered()
            return
        st.offline = False
        st.probe = "connected"
        st.context = msg.context
        sel = self.query_one("#context", Choice)
        with sel.prevent(Choice.Changed):
            sel.set_options([(visible(n, one_line=True), n) for n in msg.contexts or []])
            sel.value = msg.context
        status = self.query_one("#cluster-status", Static)
        status.update(visible(f"connected to context {msg.context} ({len(msg.namespaces or [])} namespaces)"))
        status.tooltip = visible(f"API server {msg.server}")
        ns_input = self.query_one("#namespace", Input)
        ns = ns_input.value
        self._ns_source = ""
        if msg.default_ns and not self._ns_touched:
            ns, self._ns_source = msg.default_ns, msg.default_ns_source
        self._namespaces = list(msg.namespaces or [])
        st.known_namespaces = list(self._namespaces)
        if ns != ns_input.value:
            with ns_input.prevent(Input.Changed):
                ns_input.value = ns
        self._note_namespace(ns)
        self.update_subtitle()
        self._ns_loading = ns
        self.load_namespace(ns)
        self._form_at_probe = self._form_state()
        self.load_releases()

    # ---- the releases already in the cluster (core.cluster.releases; the Releases screen) ------
    @work(thread=True, exclusive=True, group="releases", exit_on_error=False)
    def load_releases(self) -> None:
        session = self.app.session
        try:
            if session.cluster() is None:
                return
            listing = session.list_releases(health=False, production_patterns=self.app.production_contexts)
        except Exception as exc:  # noqa: BLE001 - a note; a new deploy works without it
            self.post_message(ReleasesKnown(error=_first_line(exc)))
            return
        self.post_message(ReleasesKnown(listing))

    def on_releases_known(self, msg: ReleasesKnown) -> None:
        if msg.error:
            from ...core.textsafe import visible
            note = self.query_one("#releases-note", Static)
            note.update(visible(f"releases not listed: {msg.error}"))
            note.display = True
            return
        self._releases = msg.listing
        self._note_releases()
        self.refresh_bindings()
        offer = getattr(self.app, "offer_releases", None)
        if offer is not None:
            offer(msg.listing, self)

    def _form_state(self) -> tuple:
        # what only the user changes (pickers below the cluster are also set by the cluster's answers)
        return (tuple(w.value for w in self.query(Input)), tuple(t.value for t in self.query(Tick)),
                self.query_one("#context", Choice).value)

    @property
    def touched(self) -> bool:
        """The user has started on the form: moved the focus or changed a value since the cluster
        answered (then the Releases screen is not shown in their place)."""
        if self.focused is not self.query_one("#context"):
            return True
        return self._form_at_probe is not None and self._form_state() != self._form_at_probe

    def _note_releases(self) -> None:
        from ...core.textsafe import visible
        note = self.query_one("#releases-note", Static)
        listing = self._releases
        if listing is None or self.app.state.offline:
            note.update("")
            note.display = False
            return
        ns = self.query_one("#namespace", Input).value.strip()
        name = self.query_one("#release", Input).value.strip()
        here = [r for r in listing.releases if r.namespace == ns]
        same = next((r for r in here if r.name == name), None)
        if same is not None:
            text = (f"⚠ release {same.name} already exists in {ns} ({same.chart} {same.chart_version}, "
                    f"{same.status}, revision {same.revision}): deploying upgrades it — F2 lists the releases "
                    "(u there upgrades it starting from its own values)")
        elif here:
            text = (f"other releases in {ns}: " + ", ".join(f"{r.name} ({r.chart} {r.chart_version})" for r in here)
                    + " — F2 lists them")
        elif listing.releases:
            n = len(listing.releases)
            text = f"{n} release{'s' if n != 1 else ''} in other namespaces — F2 lists them"
        else:
            text = ""
        note.update(visible(text))
        note.display = bool(text)
        note.set_class(same is not None, "problem")

    def action_releases(self) -> None:
        show = getattr(self.app, "show_releases", None)
        if show is not None and not self.app.state.offline:
            show(self._releases)

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "releases":
            return bool(self._releases is not None and self._releases.releases and not self.app.state.offline)
        return True

    # ---- the EPP image: what really pulls (core.upstream.images) ------------------------------
    def load_image_choices(self) -> None:
        self._images_worker(self._ref())     # the form is read here, on the UI's thread

    @work(thread=True, exclusive=True, group="images", exit_on_error=False)
    def _images_worker(self, ref: str) -> None:
        from ...core.upstream.images import image_choices
        family, _, version = ref.partition("@")
        try:
            choices = image_choices(family, version, self.app.session.upstream())
        except Exception as exc:  # noqa: BLE001 - a note; the proposed image stays
            self.post_message(ImagesKnown(ref, error=_first_line(exc)))
            return
        self.post_message(ImagesKnown(ref, choices))

    def on_images_known(self, msg: ImagesKnown) -> None:
        from ...core.textsafe import visible
        if msg.ref != self._ref():
            return
        options = self.query_one("#image-options", Static)
        if msg.error:
            options.update(visible(f"image choices unknown: {msg.error}"))
            return
        from ...core.upstream.images import proposed
        self._choices = choices = msg.choices
        for c in choices.choices:
            if c.pull is not None:
                self._pulls[c.image] = c.pull
        pick = proposed(choices)
        if pick is not None:
            self._proposed = pick.image
        self._update_image_placeholder()
        full = [f"EPP images for {choices.family} {choices.chart_version} (EPP choices picks one):"]
        short = []
        for i, c in enumerate(choices.choices, 1):
            tag = "  (proposed)" if c.image == self._proposed else ""
            full.append(f"{i} {_pull_mark(c.pull)} {c.image} — {c.label}{tag}")
            short.append(f"{i} {_pull_mark(c.pull)} {c.image.rpartition('/')[2]}{tag.strip() and ' (proposed)'}")
            if c.pull is not None and c.pull.failing:
                full.append(f"    {c.pull.message}")
            if c.note:
                full.append(f"    {c.note}")
        unasked = [c.pull for c in choices.choices if c.pull is not None and c.pull.state in ("offline", "error")]
        if unasked:
            full.append(f"- not checked: {_why_unchecked(unasked[0])}")
        short = [" · ".join(short)] if len(choices.choices) > 1 else []
        if choices.successor_note:
            full.append(choices.successor_note + ".")
            short.append(f"llm-d-router-gateway is the maintained successor of {choices.family}")
        if short:
            short[-1] += " (focus EPP image for details)"
        self._image_text = ("\n".join(full), "\n".join(short))
        self._paint_image_options()
        choice = self.query_one("#image-choice", Choice)
        choice.display = len(choices.choices) > 1
        current = self.query_one("#image", Input).value.strip() or self._proposed
        with choice.prevent(Choice.Changed):
            choice.set_options(self._image_options())
            if any(v == current for _, v in choice.options):
                choice.value = current
        self._check_image()

    def _paint_image_options(self) -> None:
        """The choices in full while the image field or its picker has the focus (a long read),
        else in two lines, so the rest of the form stays on the screen."""
        from ...core.textsafe import visible
        texts = getattr(self, "_image_text", None)
        if texts is None:
            return
        detailed = getattr(self.focused, "id", None) in ("image", "image-choice")
        self.query_one("#image-options", Static).update(visible(texts[0] if detailed else texts[1]))

    def on_descendant_focus(self, _event) -> None:
        self._paint_image_options()

    def _image_options(self) -> list[tuple[str, str]]:
        if self._choices is None:
            return []
        return [(f"{i} {_pull_mark(c.pull)} {c.label}" + ("  (proposed)" if c.image == self._proposed else ""),
                 c.image) for i, c in enumerate(self._choices.choices, 1)]

    @on(Choice.Changed, "#image-choice")
    def _image_chosen(self, event: Choice.Changed) -> None:
        if event.value:
            self.query_one("#image", Input).value = str(event.value)

    @on(Input.Changed, "#image")
    def _image_typed(self, event: Input.Changed) -> None:
        # asked of the registry once typing pauses, not on every key
        if self._pull_timer is not None:
            self._pull_timer.stop()
        self._pull_timer = self.set_timer(0.8, self._check_image)
        image = event.value.strip() or self._proposed
        choice = self.query_one("#image-choice", Choice)
        if choice.options and any(v == image for _, v in choice.options):
            with choice.prevent(Choice.Changed):
                choice.value = image

    def _check_image(self) -> None:
        self._pull_timer = None
        image = self.query_one("#image", Input).value.strip() or self._proposed
        if not image:
            return
        if image in self._pulls:
            self._show_pull(image, self._pulls[image])
            return
        self.query_one("#image-status", Static).update("· asking the registry whether it pulls…")
        self._pull_worker(image)

    @work(thread=True, exclusive=True, group="image-pull", exit_on_error=False)
    def _pull_worker(self, image: str) -> None:
        from ...core.upstream.images import ERROR, PullStatus, pull_status
        try:
            status = pull_status(self.app.session.upstream(), image)
        except Exception as exc:  # noqa: BLE001 - a note, never a crash
            status = PullStatus(image, ERROR, f"{image} not checked: {_first_line(exc)}")
        self.post_message(ImagePulled(image, status))

    def on_image_pulled(self, msg: ImagePulled) -> None:
        self._pulls[msg.image] = msg.status
        if msg.image == (self.query_one("#image", Input).value.strip() or self._proposed):
            self._show_pull(msg.image, msg.status)

    def _show_pull(self, image: str, status) -> None:
        """Whether the image in the field (or the proposed one) pulls, in one line under the field
        (the whole answer in its tooltip): a failure says why and what to choose instead."""
        from ...core.textsafe import visible
        out = self.query_one("#image-status", Static)
        if status.ok:
            text = f"✓ pulls: {status.message.removeprefix(image).strip()}"
        elif status.failing:
            text = f"✗ {status.message}" + (f" — {status.hint}" if status.hint else "")
        else:
            text = f"- not checked ({_why_unchecked(status).split(' (')[0]}): preflight asks again"
        out.update(visible(text))
        out.tooltip = visible(f"{status.message}\n{status.hint}".strip())
        out.set_class(status.failing, "problem")
        out.display = status.ok or status.failing    # "not checked" is said in the choices below

    def _go_offline(self, why: str) -> None:
        from ...core.textsafe import visible
        st = self.app.state
        st.offline = True
        self.query_one("#cluster-status", Static).update(visible(f"offline: {why}"))
        if not st.said_offline:
            st.said_offline = True
            self.app.notify("No cluster reachable: values and review work; deploy is unavailable.",
                            title="Offline", severity="warning", markup=False)
        self._note_namespace(self.query_one("#namespace", Input).value)
        self._update_matches()
        self.update_subtitle()

    @work(thread=True, exclusive=True, group="namespace", exit_on_error=False)
    def load_namespace(self, ns: str) -> None:
        cluster = self.app.session.cluster()
        if cluster is None:
            return
        try:
            candidates, others = cluster.secret_choices(ns)
            pods = cluster.pods(ns)
            self.post_message(NamespaceLoaded(ns, candidates, others, pods))
        except Exception as exc:  # noqa: BLE001 - said on the form
            self.post_message(NamespaceLoaded(ns, [], [], [], error=_first_line(exc)))

    def on_namespace_loaded(self, msg: NamespaceLoaded) -> None:
        from ...core.textsafe import visible
        if msg.ns != self.query_one("#namespace", Input).value or self.app.state.offline:
            return
        self._ns_loading = None
        self._pods = msg.pods
        if msg.error:
            self.query_one("#matches", Static).update(visible(f"✗ cannot read namespace {msg.ns}: "
                                                              f"{msg.error}"))
        hf = self.query_one("#hf-secret", Choice)
        opts = [("none", NONE)] + [(visible(f"{s}  (found)", one_line=True), s) for s in msg.candidates] + \
            [(visible(s, one_line=True), s) for s in msg.others]
        current = self.app.state.answers.hf_secret
        with hf.prevent(Choice.Changed):
            hf.set_options(opts)
            if current in msg.candidates or current in msg.others:
                hf.value = current
            elif msg.candidates:
                hf.value = msg.candidates[0]  # proposed; shown as found; the user confirms with Next
            else:
                hf.value = NONE
        if not msg.error:
            self._update_matches()
        self._probe_answered()      # the secret and the pods are known: the answers have settled

    def _note_namespace(self, ns: str) -> None:
        from ...core.textsafe import visible
        st = self.app.state
        note = self.query_one("#namespace-note", Static)
        if problem := _ns_problem(ns):
            note.update(f"✗ {problem}")
            return
        if st.offline:
            note.update("offline: not checked against a cluster")
        elif self._namespaces is None:
            note.update("checking with the cluster…")   # never "does not exist" before it said so
        elif ns in self._namespaces:
            note.update(visible(f"exists ({self._ns_source})" if self._ns_source else "exists in the cluster"))
        else:
            note.update("does not exist yet: the deploy will create it (you approve it on Review)")

    def _update_matches(self) -> None:
        from ...core.textsafe import visible
        from ...core.verify.pods import selector_matches
        out = self.query_one("#matches", Static)
        st = self.app.state
        if st.offline:
            out.update("offline: pods not checked")
            return
        if self._namespaces is None:
            out.update("")
            return
        try:
            sel = _parse_selector(self.query_one("#selector", Input).value)
        except ValueError as exc:
            out.update(visible(f"✗ {exc}"))
            return
        out.update(visible(selector_matches(sel, self._pods, target_ports=st.answers.target_ports, release=self.target()[2]).describe()))

    # ---- as-you-type ------------------------------------------------------------------------
    @on(Input.Changed, "#release")
    def _release_changed(self, event: Input.Changed) -> None:
        self._check_release(event.value)
        self._note_releases()
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
        # Input says Changed for its first value too: only a different value is the user's choice
        if self._ns_initial is None:
            self._ns_initial = event.value
        elif event.value != self._ns_initial:
            self._ns_touched = True
            self._ns_source = ""
        self._note_namespace(event.value)
        self._note_releases()
        self.query_one("#namespace", Input).set_class(bool(_ns_problem(event.value)), "invalid")
        self.update_subtitle()
        # the namespace is read only once the cluster probe has answered (on_cluster_loaded reads it)
        if self._namespaces is not None and not self.app.state.offline and not _ns_problem(event.value):
            self._pods = []
            self._ns_loading = event.value
            self.load_namespace(event.value)

    @on(Input.Changed, "#selector")
    def _selector_changed(self, event: Input.Changed) -> None:
        self._update_matches()

    @on(Choice.Changed, "#family")
    def _family_changed(self, event: Choice.Changed) -> None:
        from ...core.charts.refs import FAMILIES
        ver = self.query_one("#version", Choice)
        ver.set_options(self._version_options(str(event.value)))
        ver.value = FAMILIES[str(event.value)].released[-1]      # the newest version this gaie-tui knows
        if self._report is not None:
            from ...core.textsafe import visible
            from ...core.upstream.freshness import versions_line
            self.query_one("#versions-note", Static).update(visible(versions_line(self._report, str(event.value))))
        self._reset_image_choices()
        self.load_archive_status()

    def _version_options(self, family: str) -> list[tuple[str, str]]:
        """Newest first: the versions gaie-tui knows, and those upstream has since released
        (their knowledge then comes from the chart archive itself)."""
        from ...core.charts import versions as vkey
        from ...core.charts.refs import FAMILIES
        known = FAMILIES[family].released
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
        self._reset_image_choices()
        self.load_archive_status()

    def _reset_image_choices(self) -> None:
        """Another chart: its own proposal at once (no network), the registries asked again."""
        self._choices, self._proposed = None, ""
        self._update_image_placeholder()
        choice = self.query_one("#image-choice", Choice)
        with choice.prevent(Choice.Changed):
            choice.set_options([])
        self._image_text = None
        self.query_one("#image-options", Static).update("asking the registries which images pull…")
        self.load_image_choices()

    @on(Choice.Changed, "#context")
    def _context_changed(self, event: Choice.Changed) -> None:
        if event.value is not None and event.value != self.app.state.context:
            from ...core.textsafe import visible
            self.query_one("#cluster-status", Static).update(visible(f"connecting to {event.value}…"))
            self.load_cluster(str(event.value))

    def _update_image_placeholder(self) -> None:
        """The image proposed when the field is left empty: one that pulls once the registries have
        said so (core `proposed`), before that the chart's own default rather than the renamed
        repository's (core `proposed_image`)."""
        from ...core.charts.images import proposed_image
        if not self._proposed:
            fam = self.query_one("#family", Choice).value
            ver = self.query_one("#version", Choice).value
            try:
                self._proposed = proposed_image(str(fam), str(ver)).ref
            except Exception:  # noqa: BLE001 - a version only upstream knows may have no pairing
                self._proposed = ""
        # the proposal itself, no prefix: at 80 columns a longer placeholder is cut to nothing
        self.query_one("#image", Input).placeholder = self._proposed or "REGISTRY/REPO:TAG"

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
        image = q("#image", Input).value.strip() or self._proposed or None
        return Answers(release=release, namespace=ns, provider=str(q("#provider", Choice).value), image=image,
                       hf_secret=None if hf in (NONE, None) else str(hf), zmq=q("#zmq", Tick).value,
                       monitoring=q("#monitoring", Tick).value, selector=selector)

    @on(ActionButton.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @guarded
    def action_next(self) -> None:
        try:
            self.collect()
        except ValueError as exc:
            from ...core.textsafe import visible
            self.app.notify(visible(str(exc)), severity="error", markup=False)
            return
        st = self.app.state
        if not st.offline and (st.probe == "pending" or self._ns_loading is not None):
            # the answers settle first: the HF secret and the namespace come from the cluster
            from ..widgets.modals import WaitForCluster
            self._waiting = WaitForCluster(st.context or "the current context")
            self.app.push_screen(self._waiting, self._waited)
            return
        self._generate_now()

    def _probe_answered(self) -> None:
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            waiting.dismiss("answered")

    def _waited(self, how: str | None) -> None:
        self._waiting = None
        if how == "offline":
            self._ns_loading = None
            self.app.state.probe = "failed"
            self._go_offline("chosen while waiting for the cluster")
            self._generate_now()
        elif how == "answered":
            self._generate_now()

    def _generate_now(self) -> None:
        answers = self.collect()
        self.set_status("generating the values…")
        self.generate_worker(self._ref(), answers)

    @work(thread=True, exclusive=True, group="generate", exit_on_error=False)
    def generate_worker(self, ref: str, answers: Answers) -> None:
        from ...core.values.generate import generate
        try:
            chart = self.app.session.chart(ref)     # a version only upstream knows: its archive is pulled
            self.post_message(Generated(ref, answers, generate(chart, answers)))
        except Exception as exc:  # noqa: BLE001 - said, and the form stays as it is
            self.post_message(Generated(ref, answers, error=_first_line(exc)))

    def on_generated(self, msg: Generated) -> None:
        from ...core.textsafe import visible
        self.set_status("")
        if msg.error:
            self.app.notify(visible(f"cannot generate values for {msg.ref}: {msg.error}"), severity="error",
                            markup=False, timeout=10)
            return
        st = self.app.state
        edited = st.values_text is not None and st.values_text != st.generated_text
        changed = st.chart_ref != msg.ref or msg.answers != st.answers
        st.answers, st.chart_ref = msg.answers, msg.ref
        if edited and changed:
            # edits are never thrown away silently
            from ..widgets.modals import Confirm
            self.app.push_screen(Confirm("You edited the values. Replace them with values generated from "
                                         "the new answers?", yes="Replace", no="Keep my edits"),
                                 lambda ok: self._use(msg.generated if ok else None))
            return
        self._use(msg.generated if (st.values_text is None or not edited) else None)

    def _use(self, generated) -> None:
        st = self.app.state
        if generated is not None:
            from ...core.textsafe import visible
            st.values_text = generated.text
            st.generated_text = generated.text
            st.migration = None          # new values from the answers: no migration to prove
            for note in generated.notes:
                self.app.notify(visible(note), title="Note", markup=False, timeout=8)
        self.app.goto("values", fresh=True)

    def action_reload(self) -> None:
        if not self.app.session.offline:
            self.app.state.said_offline = False
            self.app.state.probe = "pending"
            self.load_cluster()

    def palette_commands(self):
        return [("Setup: next (generate values)", "ctrl+n", self.action_next),
                ("Setup: reload cluster", "ctrl+r", self.action_reload),
                ("Setup: the releases in the cluster", "F2", self.action_releases)]


def _why_unchecked(status) -> str:
    """Why a pull status could not be had, in a few words ("offline (--offline)", "registry answered 503")."""
    why = status.message.split(" not checked: ", 1)[-1]
    if why.startswith("offline (offline"):   # "offline (offline (--offline))" says it twice
        why = why[len("offline ("):-1]
    return why


def _pull_mark(status) -> str:
    """✓ pulls, ✗ does not (a failing state), - not checked (offline, registry trouble), · not asked."""
    if status is None:
        return "·"
    return "✓" if status.ok else "✗" if status.failing else "-"


def _providers() -> tuple[str, ...]:
    from ...core.values.providers import PROVIDERS
    return PROVIDERS


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
