"""The Releases screen against the emulator's existing-releases scenario (the real helm and charts):
it is the first screen when the cluster holds releases, lists each with what a platform engineer
looks at first, filters with `/`, narrows with `:ns`, refreshes only the cells that changed, and
opens a release. Setup: the first focus leaves `?` and `:` to the app, and Setup says when a release
of the same name (or others) exists."""
from __future__ import annotations

import pytest
from releases_uikit import act, cell, releases_listed, screen_name, select, shown
from textual.widgets import DataTable, Input
from textual.widgets.data_table import ColumnKey
from uihelp import text_of, wait_until

from gaie_tui.core.session import Session

pytestmark = pytest.mark.xdist_group("ui-releases")
DAY_TWO = pytest.mark.parametrize("sim", ["existing-releases"], indirect=True)

ALL = ["inference-prod/edited", "llm-d/gaie", "team-router/router", "team-stuck/stuck"]


async def command(pilot, text: str) -> None:
    app = pilot.app
    await pilot.press("colon")
    assert await wait_until(pilot, lambda: screen_name(app) == "CommandLine" and app.screen.query("#cmdline")
                            and app.screen.focused is not None, 5)
    await pilot.press(*text, "enter")
    assert await wait_until(pilot, lambda: screen_name(app) != "CommandLine", 5)
    await pilot.pause(0.2)


@DAY_TWO
async def test_releases_is_the_first_screen_and_lists_every_release(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        assert shown(app) == ALL
        assert [type(s).__name__ for s in app.screen_stack][-2:] == ["SetupScreen", "ReleasesScreen"]
        # chart version, helm status, the EPP image the LIVE Deployment runs, health, age, PROD
        assert cell(app, "router", "chart") == "llm-d-router-gateway" and cell(app, "router", "version") == "v0.10.0"
        assert cell(app, "stuck", "status") == "⚠ pending-upgrade"
        assert cell(app, "gaie", "status") == "✓ deployed" and cell(app, "gaie", "age") == "6d"
        assert cell(app, "gaie", "health") == "✓ EPP 1/1 · pods 2/2"
        assert cell(app, "edited", "image") == "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0"  # the hand edit
        assert cell(app, "edited", "prod") == "PROD" and cell(app, "gaie", "prod") == ""
        assert "4 releases in all namespaces · ⚠ 1 stuck" in text_of(app, "#status")
        await select(pilot, app, "edited")
        detail = text_of(app, "#release-detail")
        assert "PROD: the namespace name inference-prod looks like production" in detail
        assert "Health: ✓ EPP 2/2 Ready · 2/2 endpoints Ready" in detail
        # every binding has an id (keymap remapping)
        assert all(b.id for b in type(app.screen).BINDINGS)
        # n: a new deploy, one key away
        await pilot.press("n")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "setup", 5)


@DAY_TWO
async def test_filter_and_narrow_like_k9s(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await pilot.press("slash")
        assert app.screen.focused is app.screen.query_one("#release-filter", Input)
        await pilot.press(*"stuck")
        assert shown(app) == ["team-stuck/stuck"]
        await pilot.press("enter")                              # back to the table, the filter stays
        assert isinstance(app.screen.focused, DataTable) and shown(app) == ["team-stuck/stuck"]
        assert "filter 'stuck': 1 shown" in text_of(app, "#status")
        await pilot.press("escape")                             # esc clears the filter first
        assert shown(app) == ALL and screen_name(app) == "ReleasesScreen"
        await pilot.press("slash", *"prod", "enter")
        assert shown(app) == ["inference-prod/edited"]
        await pilot.press("escape")
        await pilot.press("slash", *"gateway v0.10", "enter")   # every word must match
        assert shown(app) == ["team-router/router"]
        await pilot.press("escape")
        await command(pilot, "ns team-router")
        assert await wait_until(pilot, lambda: shown(app) == ["team-router/router"], 20)
        assert "1 release in namespace(s) team-router" in text_of(app, "#status")
        await command(pilot, "ns all")
        assert await wait_until(pilot, lambda: shown(app) == ALL, 20)
        await command(pilot, "ns Bad_Name")                      # refused with the reason, nothing asked
        assert shown(app) == ALL
        # esc with no filter goes back: Setup is underneath
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "setup", 5)
        await command(pilot, "releases")                          # and :releases comes back
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleasesScreen", 5)


@DAY_TWO
async def test_refresh_repaints_only_the_cells_that_changed_and_pauses_under_a_dialog(app_factory, sim):
    from kubernetes import client, config
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        scr = app.screen
        before = scr.refreshes
        scr.updates.clear()
        scr.action_refresh()
        assert await wait_until(pilot, lambda: scr.refreshes > before, 20)
        assert scr.updates == []                                 # nothing changed: nothing repainted
        api = config.new_client_from_config(config_file=str(sc.kubeconfig), context=sc.context)
        client.AppsV1Api(api).patch_namespaced_deployment("gaie-epp", "llm-d", {"spec": {"replicas": 2}})
        assert await wait_until(pilot, lambda: (scr.action_refresh() or True)
                                and cell(app, "gaie", "health") == "✓ EPP 2/2 · pods 2/2", 30)
        assert {u for u in scr.updates} == {("llm-d/gaie", "health")}, scr.updates
        # the column grew with its widest text when health first arrived: nothing is cut
        table = scr.query_one("#releases", DataTable)
        assert table.columns[ColumnKey("health")].content_width >= len("✓ EPP 2/2 · pods 2/2")
        # a dialog on top pauses the timer's refreshes
        await select(pilot, app, "gaie")
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleaseMenu", 5)
        count = scr.refreshes
        scr._tick()
        await pilot.pause(0.5)
        assert scr.refreshes == count
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleasesScreen", 5)


@DAY_TWO
async def test_enter_opens_a_release_with_the_actions_that_fit(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(100, 30), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await select(pilot, app, "stuck")
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleaseMenu", 5)
        assert app.screen.actions[0] == "recover"                # a stuck release: recovery first
        await pilot.press("escape")
        await select(pilot, app, "gaie")
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleaseMenu", 5)
        assert "recover" not in app.screen.actions
        await pilot.press("h")                                    # the keys work in the menu too
        assert await wait_until(pilot, lambda: screen_name(app) == "HistoryScreen"
                                and app.screen.history is not None, 30)
        table = app.screen.query_one("#history", DataTable)
        assert table.row_count == 2
        detail = text_of(app, "#history-detail")
        assert "Revision 2: deployed, chart inferencepool v1.5.0" in detail
        assert "EPP image: ghcr.io/llm-d/llm-d-inference-scheduler:v0.8.0" in detail
        assert "inferenceExtension.image.tag: v0.7.1 → v0.8.0" in detail       # what changed from revision 1
        assert "This is the current revision." in detail
        await pilot.press("down")
        detail = text_of(app, "#history-detail")
        assert "Revision 1: superseded, chart inferencepool v1.4.0" in detail and "v0.7.1" in detail
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleasesScreen", 5)
        # upgrading a stuck release: helm would refuse, so the recovery is shown instead
        await act(pilot, app, "stuck", "u", "StuckScreen")


async def test_setup_first_focus_leaves_question_mark_and_colon_to_the_app(app_factory):
    """Issue 13 #5: on the first frame `?` opens the help and `:` the command line; the namespace
    keeps `llm-d`."""
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "setup", 10)
        assert not isinstance(app.screen.focused, Input)
        await pilot.press("question_mark")
        assert await wait_until(pilot, lambda: screen_name(app) == "HelpScreen", 5)
        await pilot.press("escape")
        await pilot.press("colon")
        assert await wait_until(pilot, lambda: screen_name(app) == "CommandLine", 5)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.screen.query_one("#namespace", Input).value == "llm-d"
        # tab reaches the namespace field as before
        await pilot.press("tab")
        assert app.screen.focused is app.screen.query_one("#namespace", Input)


@DAY_TWO
async def test_setup_says_when_the_release_or_others_exist(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await pilot.press("n")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "setup", 5)
        note = lambda: text_of(app, "#releases-note")  # noqa: E731
        assert "other releases in llm-d: gaie (inferencepool v1.5.0) — F2 lists them" in note()
        release = app.screen.query_one("#release", Input)
        release.value = "gaie"
        await pilot.pause(0.1)
        assert note().startswith("⚠ release gaie already exists in llm-d (inferencepool v1.5.0, deployed, revision 2)")
        app.screen.query_one("#namespace", Input).value = "team-a"
        await pilot.pause(0.1)
        assert note() == "4 releases in other namespaces — F2 lists them"
        await pilot.press("f2")
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleasesScreen", 5)


async def test_no_releases_keeps_setup_first(app_factory, sim):
    session, _sc = sim                       # llm-d-ready: no release of either family
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: app.screen.STEP == "setup" and app.screen._releases is not None, 20)
        await pilot.pause(0.3)
        assert app.screen.STEP == "setup" and text_of(app, "#releases-note") == ""
        assert app.screen.check_action("releases", ()) is False   # F2 hidden: nothing to list


@DAY_TWO
async def test_a_user_who_started_on_setup_is_not_taken_elsewhere(app_factory, sim, monkeypatch):
    from gaie_tui.ui.screens import setup
    session, _sc = sim
    app = app_factory(session)
    original = setup.SetupScreen.on_releases_known

    def typed_first(self, msg):   # the user typed a release name before helm answered
        self.query_one("#release", Input).value = "mine"
        original(self, msg)
    monkeypatch.setattr(setup.SetupScreen, "on_releases_known", typed_first)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: app.screen.STEP == "setup" and app.screen._releases is not None, 20)
        await pilot.pause(0.3)
        assert app.screen.STEP == "setup"
        assert "F2 lists them" in text_of(app, "#releases-note")
