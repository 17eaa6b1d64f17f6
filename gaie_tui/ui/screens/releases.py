"""Releases: every inferencepool and llm-d-router-gateway release in the namespaces the user may list
(core.cluster.releases), with chart version, the EPP image the live Deployment runs, helm status,
health, age and PROD — the wizard's first screen when the cluster holds releases.

It refreshes like the Verify dashboard: a look every few seconds (paused under a dialog or with p),
`refresh()` says which fields of which release changed, and only the cells whose text changed are
updated. k9s habits: `/` filters (every word must match; `prod` and `stuck` match those), enter
opens a release's actions, `:ns NAME` narrows to a namespace (`:ns all` widens again), esc clears
the filter, then goes back; `n` is a new deploy (Setup).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, OptionList, Static

from .daytwo import ACTION_KEYS, ACTION_WORDS, DayTwoScreen, first_line

REFRESH = 3.0
# what fits 80 columns first (the rest is one → away, and in the details below the table)
COLUMNS = (("prod", "PROD"), ("name", "NAME"), ("namespace", "NAMESPACE"), ("version", "VERSION"),
           ("status", "STATUS"), ("health", "HEALTH"), ("age", "AGE"), ("chart", "CHART"),
           ("image", "EPP IMAGE (live)"))
HEALTH_MARKS = {"pass": "✓", "warn": "⚠", "fail": "✗", "skip": "-"}


@dataclass
class Listed(Message):
    """A fresh listing (start, :ns, r) or a refresh of the current one (`changes`)."""
    listing: object = None          # core.cluster.releases.Listing
    changes: object = None          # core.cluster.releases.Changes (a refresh)
    error: str | None = None
    generation: int = 0             # which listing a refresh started from (a newer one wins)


def status_text(rel) -> str:
    """helm's status with a mark: ⚠ for a stuck release (pending-*, uninstalling)."""
    return ("⚠ " if rel.stuck else "✓ " if rel.status == "deployed" else "✗ " if rel.status == "failed"
            else "· ") + rel.status


def health_text(rel) -> str:
    """`✓ EPP 1/1 · pods 2/2`: EPP replicas Ready, model-server pods behind the pool Ready."""
    mark = HEALTH_MARKS.get(rel.health, "?")
    if rel.health == "skip":
        return f"{mark} not looked at"
    if not rel.image and not rel.epp_replicas:
        return f"{mark} no EPP"
    text = f"{mark} EPP {rel.epp_ready}/{rel.epp_replicas} · pods {rel.endpoints_ready}/{rel.endpoints}"
    return text + (" · image differs" if rel.pod_images else "")


def cells(rel) -> dict[str, str]:
    """The row of one release, as text (outside text made visible, on one line)."""
    from ...core.textsafe import visible
    image = rel.image or "-"
    if rel.pod_images:
        image += "  (pods: " + ", ".join(rel.pod_images) + ")"
    return {"prod": "PROD" if rel.production else "", "name": visible(rel.name, one_line=True),
            "namespace": visible(rel.namespace, one_line=True), "status": visible(status_text(rel), one_line=True),
            "health": visible(health_text(rel), one_line=True),
            "version": visible(rel.chart_version, one_line=True), "chart": visible(rel.chart, one_line=True),
            "age": rel.age(),
            "image": visible(image, one_line=True)}


def _cell(column: str, text: str) -> Text:
    if column == "prod" and text:
        return Text(text, style="bold reverse")
    if column == "status" and text.startswith("⚠"):
        return Text(text, style="bold")
    return Text(text)


def set_cell(table: DataTable, row: str, column: str, value: Text) -> None:
    """Update one cell and repaint only that cell. DataTable.update_cell refreshes the whole table
    (every visible row is written again); this does what it does — new value, render caches
    invalidated by the update count — and refreshes the cell's region. A cell wider than its
    column takes update_cell's way: the column widens, the table is laid out again. Leans on
    DataTable's `_data` and `_update_count` (Textual is pinned to 8.2.8; tests count the bytes)."""
    from textual.widgets.data_table import ColumnKey, RowKey
    col = table.columns.get(ColumnKey(column))
    wider = col is None or value.cell_len > col.content_width
    if wider or not hasattr(table, "_data") or not hasattr(table, "_update_count"):
        table.update_cell(row, column, value, update_width=True)
        return
    table._data[RowKey(row)][ColumnKey(column)] = value
    table._update_count += 1
    table.refresh_coordinate(table.get_cell_coordinate(row, column))


def row_key(rel) -> str:
    return f"{rel.namespace}/{rel.name}"


class ReleasesScreen(DayTwoScreen):
    TRAIL = "Releases"
    DEFAULT_CSS = """
    ReleasesScreen #release-filter { display: none; height: 1; }
    ReleasesScreen #release-filter.-active { display: block; }
    ReleasesScreen #releases { height: 1fr; }
    ReleasesScreen #release-details { height: auto; max-height: 8; border-top: solid $panel-lighten-2;
                                      padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="nav.back"),
        Binding("enter", "open", "Open", id="releases.open"),
        Binding("slash", "filter", "Filter", id="releases.filter", key_display="/"),
        Binding("n", "new", "New deploy", id="releases.new"),
        Binding("v", "act('verify')", "Verify", id="releases.verify"),
        Binding("u", "act('upgrade')", "Upgrade", id="releases.upgrade"),
        Binding("h", "act('history')", "History", id="releases.history"),
        Binding("m", "act('migrate')", "Migrate", id="releases.migrate"),
        Binding("d", "act('uninstall')", "Uninstall", id="releases.uninstall"),
        Binding("s", "act('recover')", "Recover", id="releases.recover"),
        Binding("r", "refresh", "Refresh", id="releases.refresh"),
        Binding("p", "pause", "Pause", id="releases.pause", show=False),
    ]

    def __init__(self, listing=None) -> None:
        super().__init__()
        self.listing = listing          # core Listing; None until the cluster answered
        self.filter = ""
        self.paused = False
        self.refreshes = 0
        self.updates: list[tuple[str, str]] = []   # (row, column) of every cell update: tests count them
        self._shown: dict[str, dict[str, str]] = {}   # row key → column → text on the screen
        self._busy = ""
        self._error = ""
        self._generation = 0         # +1 per new listing: a refresh of an older one is dropped
        self._relisting = False

    def compose_body(self) -> ComposeResult:
        yield Input(placeholder="/ filter: words of the name, namespace, chart, status or image; prod; stuck",
                    id="release-filter", compact=True)
        yield DataTable(cursor_type="row", id="releases")
        with VerticalScroll(id="release-details"):
            yield Static("", id="release-detail", markup=False)

    def on_mount(self) -> None:
        if not self.app.cursor_blink:
            self.query_one("#release-filter", Input).cursor_blink = False
        table = self.query_one("#releases", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.update_subtitle()
        if self.listing is None:
            self.relist()
        else:
            self._rebuild()
            self.action_refresh()      # the listing Setup made has no health yet
        self.timer = self.set_interval(REFRESH, self._tick)
        table.focus()

    def on_screen_resume(self) -> None:
        # back from an action or the dashboard: look again at once
        if self.listing is not None:
            self.action_refresh()

    # ---- asking the cluster --------------------------------------------------------------------
    def relist(self, namespace: str | None = None, *, everywhere: bool = False) -> None:
        """A new listing: the scope kept, or narrowed to `namespace`, or every namespace allowed."""
        scope = None if (namespace or everywhere or self.listing is None) else self.listing.scope
        self._generation += 1
        self._relisting = True       # no refresh of the old listing until the new one is here
        self._busy = f"looking for releases in namespace {namespace}…" if namespace else "looking for releases…"
        self._say()
        self._list_worker(scope, namespace, self._generation)

    @work(thread=True, exclusive=True, group="releases-list", exit_on_error=False)
    def _list_worker(self, scope, namespace: str | None, generation: int) -> None:
        try:
            listing = self.app.session.list_releases(scope=scope, namespace=namespace,
                                                     production_patterns=self.app.production_contexts)
        except Exception as exc:  # noqa: BLE001 - said in the status line, the table stays
            self.post_message(Listed(error=first_line(exc), generation=generation))
            return
        self.post_message(Listed(listing, generation=generation))

    def _tick(self) -> None:
        # paused while a dialog (or any other screen) is on top, or by the user
        if self.paused or self.app.screen is not self or self.listing is None:
            return
        self.action_refresh()

    def action_refresh(self) -> None:
        if self._relisting:
            return
        if self.listing is None:
            self.relist()
            return
        self._refresh_worker(self.listing, self._generation)

    @work(thread=True, exclusive=True, group="releases-refresh", exit_on_error=False)
    def _refresh_worker(self, listing, generation: int) -> None:
        fresh = copy.deepcopy(listing)    # refreshed off the UI thread, handed over whole
        try:
            changes = self.app.session.refresh_releases(fresh, production_patterns=self.app.production_contexts)
        except Exception as exc:  # noqa: BLE001 - said in the status line, the table stays
            self.post_message(Listed(error=first_line(exc), generation=generation))
            return
        self.post_message(Listed(fresh, changes, generation=generation))

    def on_listed(self, msg: Listed) -> None:
        if msg.generation != self._generation:
            return          # a look at a listing that has been replaced since (:ns, r)
        if msg.changes is None:
            self._relisting = False
        self._busy = ""
        if msg.error:
            self._error = msg.error
            self._say()
            return
        self._error = ""
        scope_changed = self.listing is None or msg.listing.scope != self.listing.scope
        self.listing = msg.listing
        if msg.changes is None or scope_changed or msg.changes.added or msg.changes.removed:
            self.refreshes += msg.changes is not None
            self._rebuild()
        else:
            self.refreshes += 1
            self._update(msg.changes)
        if scope_changed:
            self.update_subtitle()     # a refresh with nothing changed costs no bytes

    # ---- the table ------------------------------------------------------------------------------
    def visible_releases(self) -> list:
        if self.listing is None:
            return []
        return [r for r in self.listing.releases if r.matches(self.filter)]

    def _rebuild(self) -> None:
        """Rows for the releases the filter lets through, the cursor kept on the same release."""
        table = self.query_one("#releases", DataTable)
        current = self.selected()
        wanted = self.visible_releases()
        if [row_key(r) for r in wanted] != list(self._shown):
            table.clear()
            self._shown = {}
            for rel in wanted:
                texts = cells(rel)
                table.add_row(*(_cell(k, texts[k]) for k, _ in COLUMNS), key=row_key(rel))
                self._shown[row_key(rel)] = texts
            if current is not None and row_key(current) in self._shown:
                table.move_cursor(row=table.get_row_index(row_key(current)))
        else:
            for rel in wanted:
                self._repaint(rel)
        self._say()
        self._show_details()

    def _update(self, changes) -> None:
        """A refresh: recompute the rows of the releases that changed (and every age), update only the
        cells whose text changed."""
        for rel in self.visible_releases():
            if rel.key in changes.changed:
                self._repaint(rel)
            else:
                self._repaint(rel, only=("age",))
        self._say()
        self._show_details()

    def _repaint(self, rel, only: tuple[str, ...] | None = None) -> None:
        key = row_key(rel)
        shown = self._shown.get(key)
        if shown is None:
            return
        table = self.query_one("#releases", DataTable)
        for col, text in cells(rel).items():
            if (only is None or col in only) and shown.get(col) != text:
                # a wider cell widens its column (a layout of the whole table); a same-width one is
                # just that cell
                set_cell(table, key, col, _cell(col, text))
                shown[col] = text
                self.updates.append((key, col))

    def selected(self):
        """The release under the cursor, or None."""
        table = self.query_one("#releases", DataTable)
        if not table.row_count or self.listing is None:
            return None
        try:
            key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        except Exception:  # noqa: BLE001 - no row under the cursor yet
            return None
        return next((r for r in self.listing.releases if row_key(r) == key), None)

    @on(DataTable.RowHighlighted, "#releases")
    def _highlighted(self) -> None:
        self._show_details()

    @on(DataTable.RowSelected, "#releases")
    def _selected(self) -> None:
        self.action_open()

    def _show_details(self) -> None:
        from ...core.textsafe import visible
        rel = self.selected()
        if rel is None:
            if self.listing is not None and not self.listing.releases:
                text = (f"No inferencepool or llm-d-router-gateway release in {self.listing.scope.note}.\n"
                        "n starts a new deploy · :ns NAME looks in another namespace · :ns all everywhere allowed")
            elif self.listing is not None:
                text = f"No release matches the filter {self.filter!r}: esc clears it."
            else:
                text = ""
        else:
            lines = [f"{rel.name} in {rel.namespace} — {rel.chart} {rel.chart_version}, revision {rel.revision}, "
                     f"{rel.status}, last changed {rel.age()} ago",
                     f"EPP image (the live Deployment): {rel.image or 'no EPP Deployment'}"]
            if rel.pod_images:
                lines.append("  its pods run: " + ", ".join(rel.pod_images))
            lines.append(f"Health: {HEALTH_MARKS.get(rel.health, '?')} {rel.health_note or 'not looked at'}")
            if rel.production:
                lines.append(f"PROD: {rel.production} — approving a change wants the release name typed")
            if rel.stuck:
                lines.append(f"⚠ stuck in {rel.status}: s shows what happened and the recovery that fits")
            keys = ["enter actions", "v verify", "u upgrade", "h history/rollback", "m migrate", "d uninstall"]
            lines.append(" · ".join((["s recover"] if rel.stuck else []) + keys))
            text = "\n".join(lines)
        new = visible(text)
        if getattr(self, "_detail_text", None) != new:
            self._detail_text = new
            self.query_one("#release-detail", Static).update(Text(new))

    def _say(self) -> None:
        if self._busy and self.listing is None:
            self.set_status(self._busy)
            return
        parts = []
        if self.listing is not None:
            rels = self.listing.releases
            parts.append(f"{len(rels)} release{'s' if len(rels) != 1 else ''} in {self.listing.scope.note}")
            stuck = sum(1 for r in rels if r.stuck)
            unhealthy = sum(1 for r in rels if r.health == "fail")
            if stuck:
                parts.append(f"⚠ {stuck} stuck")
            if unhealthy:
                parts.append(f"✗ {unhealthy} unhealthy")
            if self.listing.problems:
                parts.append(f"{len(self.listing.problems)} not looked at")
            if self.filter:
                parts.append(f"filter {self.filter!r}: {len(self._shown)} shown")
        if self._busy:
            parts.append(self._busy)
        if self._error:
            parts.append(f"✗ {self._error}")
        if self.paused:
            parts.append("(paused: p)")
        from ...core.textsafe import visible
        self.set_status(visible(" · ".join(parts), one_line=True))

    # ---- keys -------------------------------------------------------------------------------------
    def action_open(self) -> None:
        rel = self.selected()
        if rel is None:
            return
        self.app.push_screen(ReleaseMenu(rel), lambda what: self.release_action(rel, what) if what else None)

    def action_act(self, what: str) -> None:
        self.release_action(self.selected(), what)

    def action_filter(self) -> None:
        box = self.query_one("#release-filter", Input)
        box.add_class("-active")
        box.focus()

    @on(Input.Changed, "#release-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter = event.value.strip()
        self._rebuild()

    @on(Input.Submitted, "#release-filter")
    def _filter_done(self) -> None:
        box = self.query_one("#release-filter", Input)
        box.set_class(bool(self.filter), "-active")
        self.query_one("#releases", DataTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#release-filter", Input)
        if box.has_focus or self.filter:       # esc clears the filter first, as in k9s
            with box.prevent(Input.Changed):
                box.value = ""
            self.filter = ""
            box.remove_class("-active")
            self.query_one("#releases", DataTable).focus()
            self._rebuild()
            return
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.action_new()

    def action_pause(self) -> None:
        self.paused = not self.paused
        self._say()

    def narrow(self, namespace: str | None) -> None:
        """`:ns NAME` (None or "all": every namespace the context may list)."""
        from ...core.names import namespace_problem
        from ...core.textsafe import visible
        if namespace and namespace.lower() not in ("all", "-a", "*"):
            if problem := namespace_problem(namespace):
                self.app.notify(visible(f"namespace {namespace!r}: {problem}"), severity="warning", markup=False)
                return
            self.relist(namespace)
        else:
            self.relist(everywhere=True)

    def palette_commands(self):
        return [("Releases: open the selected release", "enter", self.action_open),
                ("Releases: filter", "/", self.action_filter),
                ("Releases: verify the selected release", "v", lambda: self.action_act("verify")),
                ("Releases: upgrade the selected release", "u", lambda: self.action_act("upgrade")),
                ("Releases: history and rollback", "h", lambda: self.action_act("history")),
                ("Releases: migrate to a later chart", "m", lambda: self.action_act("migrate")),
                ("Releases: uninstall the selected release", "d", lambda: self.action_act("uninstall")),
                ("Releases: recover a stuck release", "s", lambda: self.action_act("recover")),
                ("Releases: refresh now", "r", self.action_refresh),
                ("Releases: a new deploy (Setup)", "n", self.action_new)]


# ---- dialogs --------------------------------------------------------------------------------------
class ReleaseMenu(ModalScreen[str | None]):
    """enter on a release: what can be done with it (each line names its key)."""

    DEFAULT_CSS = "ReleaseMenu { align: center middle; } ReleaseMenu OptionList { height: auto; max-height: 8; }"
    BINDINGS = [Binding("escape", "close", "Close", id="release-menu.close")] + [
        Binding(key, f"pick('{what}')", what.capitalize(), id=f"release-menu.{what}", show=False)
        for what, key in ACTION_KEYS.items()]

    def __init__(self, release) -> None:
        super().__init__()
        self.release = release
        self.actions = [w for w in ACTION_KEYS if w != "recover" or release.stuck]
        if release.stuck:
            self.actions.insert(0, self.actions.pop())   # recovery first

    def compose(self) -> ComposeResult:
        from ...core.textsafe import visible
        rel = self.release
        head = visible(f"{rel.name} in {rel.namespace} — {rel.chart} {rel.chart_version}, {rel.status}"
                       + (f"\nPROD: {rel.production}" if rel.production else ""))
        with Vertical(id="dialog"):
            yield Static(head, id="question", markup=False)
            yield OptionList(*[Text(f"{ACTION_KEYS[w]}  {ACTION_WORDS[w]}"
                                    + ("  (recover first)" if rel.stuck and w in ("upgrade", "migrate") else ""),
                                    no_wrap=True, overflow="ellipsis") for w in self.actions], id="release-actions")
            yield Static("enter or the key picks · esc closes", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.actions[event.option_index])

    def action_pick(self, what: str) -> None:
        if what in self.actions:
            self.dismiss(what)

    def action_close(self) -> None:
        self.dismiss(None)


class MigrateTargets(ModalScreen[str | None]):
    """Where to migrate a release to (core.migrate.release.targets)."""

    DEFAULT_CSS = "MigrateTargets { align: center middle; } MigrateTargets OptionList { height: auto; max-height: 6; }"
    BINDINGS = [Binding("escape", "close", "Close", id="migrate-targets.close")]

    def __init__(self, release, targets: list[str]) -> None:
        super().__init__()
        self.release, self.targets = release, targets

    def compose(self) -> ComposeResult:
        from ...core.textsafe import visible
        rel = self.release

        def label(ref: str) -> str:
            fam, _, ver = ref.partition("@")
            why = ("the maintained successor of inferencepool (router.* layout)" if fam == "llm-d-router-gateway"
                   else "a later version of the same chart")
            return f"{fam} {ver} — {why}"
        with Vertical(id="dialog"):
            yield Static(visible(f"Migrate the values of {rel.name} ({rel.chart} {rel.chart_version}) to:\nthe "
                                 "migrated values open in the editor; Review shows the proof (old render against "
                                 "new) before anything is deployed."), id="question", markup=False)
            yield OptionList(*[Text(label(t), no_wrap=True, overflow="ellipsis") for t in self.targets],
                             id="migrate-targets")
            yield Static("enter picks · esc closes", classes="hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.targets[event.option_index])

    def action_close(self) -> None:
        self.dismiss(None)
