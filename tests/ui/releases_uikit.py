"""Helpers for the day-two UI tests (the Releases screen and the actions on releases): waiting for
the screens, choosing a release, and what the emulator holds afterwards (helm's release Secrets and
the live objects), read from the emulator's own store."""
from __future__ import annotations

from datetime import UTC, datetime

from uihelp import text_of, wait_until


def screen_name(app) -> str:
    return type(app.screen).__name__


async def releases_listed(pilot, app, timeout: float = 30.0) -> None:
    """The Releases screen is on top with every release's health looked at."""
    assert await wait_until(pilot, lambda: screen_name(app) == "ReleasesScreen", timeout), screen_name(app)
    assert await wait_until(pilot, lambda: app.screen.listing is not None and app.screen.listing.releases
                            and all(r.health != "skip" for r in app.screen.listing.releases), timeout)
    await pilot.pause(0.2)


def shown(app) -> list[str]:
    """The rows of the Releases table, as namespace/name."""
    return list(app.screen._shown)


def cell(app, release: str, column: str) -> str:
    key = next(k for k in app.screen._shown if k.endswith("/" + release))
    return app.screen._shown[key][column]


async def select(pilot, app, release: str) -> None:
    """Put the Releases table's cursor on `release`."""
    from textual.widgets import DataTable
    table = app.screen.query_one("#releases", DataTable)
    keys = shown(app)
    table.move_cursor(row=[k.split("/", 1)[1] for k in keys].index(release))
    await pilot.pause(0.1)
    assert app.screen.selected().name == release


async def act(pilot, app, release: str, key: str, screen: str, timeout: float = 30.0) -> None:
    """On the Releases screen: select `release`, press `key`, wait for `screen`."""
    await select(pilot, app, release)
    await pilot.press(key)
    assert await wait_until(pilot, lambda: screen_name(app) == screen or getattr(app.screen, "STEP", "") == screen,
                            timeout), screen_name(app)
    if screen == "ActionScreen":
        await action_ready(pilot, app)
    if screen == "values":
        assert await wait_until(pilot, lambda: bool(app.screen.query("#editor")), timeout)
    await pilot.pause(0.1)


async def action_ready(pilot, app, timeout: float = 30.0) -> None:
    """The action screen is on top with its plan shown."""
    assert await wait_until(pilot, lambda: screen_name(app) == "ActionScreen"
                            and "THE PLAN" in text_of(app, "#action-plan"), timeout), screen_name(app)


async def approve_action(pilot, app, *, typed: str | None = None, timeout: float = 90.0):
    """On the action screen: a, then y (or the name typed); waits for the outcome and returns it."""
    await pilot.press("a")
    assert await wait_until(pilot, lambda: screen_name(app) == "Confirm", 5)
    if typed:
        await pilot.press(*typed, "enter")
    else:
        await pilot.press("y")
    assert await wait_until(pilot, lambda: screen_name(app) == "ActionScreen" and app.screen.outcome is not None,
                            timeout), text_of(app, "#action-progress") if screen_name(app) == "ActionScreen" else ""
    return app.screen.outcome


def release_secrets(sc, name: str, namespace: str) -> list[tuple[int, str]]:
    """helm's record of a release as the emulator holds it: (revision, status) of each Secret."""
    items = sc.server.store.objects.get(("", "secrets"), {}).get(namespace, {}).values()
    return sorted((int(s["metadata"]["labels"]["version"]), s["metadata"]["labels"]["status"]) for s in items
                  if (s["metadata"].get("labels") or {}).get("owner") == "helm"
                  and s["metadata"]["labels"].get("name") == name)


def live(sc, group: str, plural: str, namespace: str, name: str) -> dict | None:
    return sc.server.store.peek((group, plural), namespace, name)


def epp_container(sc, release: str, namespace: str) -> dict:
    dep = live(sc, "apps", "deployments", namespace, f"{release}-epp")
    assert dep is not None, f"no Deployment {release}-epp in {namespace}"
    return next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "epp")


# ---- a fixed clock for snapshots -------------------------------------------------------------------
FROZEN = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)


class FrozenDatetime(datetime):
    """`datetime` whose now() is FROZEN: the emulator seeds release ages from it and the screens
    count ages and "since" times from it, so a snapshot shows the same text on every day."""

    @classmethod
    def now(cls, tz=None):
        return FROZEN.astimezone(tz) if tz is not None else FROZEN.replace(tzinfo=None)


def freeze_time(monkeypatch) -> None:
    import gaie_tui.core.cluster.releases as releases_mod
    import gaie_tui.core.deploy.actions as actions_mod
    import gaie_tui.sim.scenarios as scenarios_mod
    import gaie_tui.ui.screens.history as history_mod
    for mod in (scenarios_mod, releases_mod, actions_mod, history_mod):
        monkeypatch.setattr(mod, "datetime", FrozenDatetime)
