"""Setup's EPP image: the real choices side by side for inferencepool, each with the pull status a
real loopback OCI registry answers (anonymous bearer tokens, HEAD of the manifest), a proposed image
that pulls (never the renamed repository's), the pull status of whatever is typed, the successor
note — and a calm skip note when no registry can be reached."""
from __future__ import annotations

import sys

import pytest
from support import ROOT
from textual.widgets import Input
from uihelp import text_of, wait_until

from gaie_tui.core.session import Session
from gaie_tui.ui.widgets.choice import Choice

sys.path.insert(0, str(ROOT / "tests" / "releases"))
from releases_kit import GAIE_EPP_PATH, ROUTER_EPP_PATH, SCHEDULER_PATH, PrivateRegistry  # noqa: E402

pytestmark = pytest.mark.xdist_group("ui-setup-images")
GAIE_EPP = "registry.k8s.io/gateway-api-inference-extension/epp"
ROUTER_EPP = "ghcr.io/llm-d/llm-d-router-endpoint-picker"
SCHEDULER = "ghcr.io/llm-d/llm-d-inference-scheduler"


@pytest.fixture
def registry(monkeypatch):
    """ghcr.io and registry.k8s.io on one loopback registry: the router EPP and the chart's own EPP
    pull anonymously; the renamed scheduler repository answers 401 to anonymous token requests."""
    server = PrivateRegistry(private={SCHEDULER_PATH})
    server.add_image_tags(ROUTER_EPP_PATH, ["v0.9.0", "v0.10.0"])
    server.add_image_tags(GAIE_EPP_PATH, ["v1.4.0", "v1.5.0"])
    server.add_image_tags(SCHEDULER_PATH, ["v0.7.1", "v0.8.0"])
    server.start()
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={server.url},registry.k8s.io={server.url}")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.stop()


def _session() -> Session:
    svc = Session(offline=True)                 # no cluster; the registry is reachable
    svc.upstream_options = {"timeout": 5, "connect_timeout": 2, "retries": 0}
    return svc


async def test_setup_offers_the_real_image_choices_with_their_pull_status(app_factory, registry):
    app = app_factory(_session())
    async with app.run_test(size=(120, 50), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: "(proposed)" in text_of(app, "#image-options"), 30), \
            text_of(app, "#image-options")
        # two lines while the focus is elsewhere; in full next to the image field
        assert text_of(app, "#image-options").splitlines() == [
            "1 ✗ llm-d-inference-scheduler:v0.8.0 · 2 ✓ epp:v1.5.0 (proposed) · 3 ✓ llm-d-router-endpoint-picker:v0.10.0",
            "llm-d-router-gateway is the maintained successor of inferencepool (focus EPP image for details)"]
        image = app.screen.query_one("#image", Input)
        image.focus()
        await pilot.pause(0.1)
        options = text_of(app, "#image-options").splitlines()
        assert options[0] == "EPP images for inferencepool v1.5.0 (EPP choices picks one):"
        # the EPP llm-d paired with v1.5.0: in the renamed repository, which refuses anonymous pulls
        assert options[1] == f"1 ✗ {SCHEDULER}:v0.8.0 — llm-d deployed llm-d-inference-scheduler v0.8.0 with " \
                             "inferencepool v1.5.0"
        assert f"{SCHEDULER} does not answer anonymously (HTTP 401)" in options[2]
        assert any(line.startswith(f"2 ✓ {GAIE_EPP}:v1.5.0 — the chart's own default endpoint picker  (proposed)")
                   for line in options)
        assert any(line.startswith(f"3 ✓ {ROUTER_EPP}:v0.10.0 — the newest llm-d router endpoint picker")
                   for line in options)
        assert any("chart/image skew" in line for line in options)            # the skew note
        assert options[-1].startswith("llm-d-router-gateway is the maintained successor of the inferencepool chart")
        # the proposed default is one that pulls, and the field says so
        assert image.value == "" and image.placeholder == f"{GAIE_EPP}:v1.5.0"
        assert await wait_until(pilot, lambda: text_of(app, "#image-status") == "✓ pulls: resolves anonymously",
                                10), text_of(app, "#image-status")
        heads = [s.path for s in registry.seen if s.method == "HEAD"]
        assert f"/v2/{GAIE_EPP_PATH}/manifests/v1.5.0" in heads
        # a tag that does not exist, typed: said once typing pauses, with the tags that exist
        image.value = f"{ROUTER_EPP}:v0.11.0"
        assert await wait_until(pilot, lambda: text_of(app, "#image-status").startswith("✗ "), 10)
        status = text_of(app, "#image-status")
        assert "tag v0.11.0 does not exist" in status and "v0.10.0" in status
        # picking a choice fills the field and shows what its registry said
        choice = app.screen.query_one("#image-choice", Choice)
        choice.value = f"{SCHEDULER}:v0.8.0"
        await pilot.pause(0.1)
        assert image.value == f"{SCHEDULER}:v0.8.0"
        assert await wait_until(pilot, lambda: "does not answer anonymously" in text_of(app, "#image-status"), 10)
        # the values are generated with the image in the field; an empty field means the proposal
        image.value = ""
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "values", 30)
        assert app.state.answers.image == f"{GAIE_EPP}:v1.5.0"
        text = app.state.values_text
        # the chart's own default endpoint picker, written as the chart splits it: no deviation
        assert "registry: registry.k8s.io\n" in text and "repository: gateway-api-inference-extension/epp\n" in text
        assert "llm-d-inference-scheduler" not in text


async def test_the_successor_chart_has_one_choice(app_factory, registry):
    app = app_factory(_session())
    async with app.run_test(size=(120, 50), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: "(proposed)" in text_of(app, "#image-options"), 30)
        app.screen.query_one("#family", Choice).value = "llm-d-router-gateway"
        assert await wait_until(pilot, lambda: app.screen._image_text is not None
                                and "llm-d-router-gateway v0.10.0" in app.screen._image_text[0], 30)
        assert text_of(app, "#image-options") == ""            # one choice: nothing to pick between
        app.screen.query_one("#image", Input).focus()
        await pilot.pause(0.1)
        options = text_of(app, "#image-options").splitlines()
        assert options[1] == f"1 ✓ {ROUTER_EPP}:v0.10.0 — the endpoint picker released with this chart version  " \
                             "(proposed)"
        assert len(options) == 2 and not app.screen.query_one("#image-choice").display
        assert app.screen.query_one("#image", Input).placeholder == f"{ROUTER_EPP}:v0.10.0"


async def test_offline_the_image_is_not_checked_and_never_the_renamed_one(app_factory):
    # tests/conftest.py points every registry at a closed loopback port
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(120, 50), notifications=False) as pilot:
        assert await wait_until(pilot, lambda: app.screen._image_text is not None, 30)
        # nothing is known about the image: no line under the field, the choices say why
        assert not app.screen.query_one("#image-status").display
        assert app.screen.query_one("#image", Input).placeholder == f"{GAIE_EPP}:v1.5.0"
        app.screen.query_one("#image-choice").focus()
        await pilot.pause(0.1)
        assert "- not checked: offline (http://127.0.0.1:9 could not be reached" in text_of(app, "#image-options")
