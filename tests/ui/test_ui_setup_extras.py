"""Setup's picker, where version answers come from (core.upstream against local fake servers or
bundled data), contexts marked as production in config.toml, and $EDITOR through suspend (tmux)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import upstream_fakes
from textual.widgets import Input, Static
from uihelp import to_review

from gaie_tui.core.session import Session
from gaie_tui.ui.widgets.action import ActionButton
from gaie_tui.ui.widgets.choice import Choice, ChoiceMenu

pytestmark = pytest.mark.xdist_group("ui-setup")


def _text(app, selector) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def _wait(pilot, cond, timeout: float = 10) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        await pilot.pause(0.05)
    return cond()


async def test_choice_opens_its_list_and_picks_with_keys(app_factory):
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        await pilot.pause(0.2)
        provider = app.screen.query_one("#provider", Choice)
        assert provider.value == "istio"
        provider.focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ChoiceMenu)
        await pilot.press("down", "enter")
        await pilot.pause(0.2)
        assert app.screen.STEP == "setup"
        assert provider.value == "gke"
        await pilot.press("left")
        assert provider.value == "istio"
        await pilot.press("enter")
        await pilot.pause(0.2)
        await pilot.press("escape")                # closes the list, keeps the value, stays on Setup
        await pilot.pause(0.2)
        assert app.screen.STEP == "setup" and provider.value == "istio"


@pytest.fixture
def fake_upstream(monkeypatch):
    """A local OCI registry (tags lists) and GitHub API in place of ghcr.io, registry.k8s.io and
    api.github.com, through the same environment variables users set for mirrors."""
    fakes = upstream_fakes()
    registry, github = fakes.FakeRegistry(auth=True), fakes.FakeGitHub()
    registry.add_image_tags(fakes.EPP_REPO_PATH, fakes.EPP_TAGS + ["v0.11.0"])
    registry.add_image_tags(fakes.CHART_REPOS["inferencepool"], ["v1.4.0", "v1.5.0", "v1.6.0", "v1.6.1-rc.1"])
    registry.add_image_tags(fakes.CHART_REPOS["llm-d-router-gateway"], ["v0.9.0", "v0.10.0"])
    github.repos["llm-d/llm-d-router"] = list(fakes.GITHUB_RELEASES)
    registry.start()
    github.start()
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", github.url)
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={registry.url},registry.k8s.io={registry.url}")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield registry, github
    registry.stop()
    github.stop()


async def test_setup_offers_upstream_versions_and_says_where_they_came_from(app_factory, fake_upstream):
    registry, _ = fake_upstream
    svc = Session(offline=True)                      # no cluster; the registry is reachable
    svc.upstream_options = {"timeout": 5, "connect_timeout": 2, "retries": 0}
    app = app_factory(svc)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        assert await _wait(pilot, lambda: "newest v1.6.0" in _text(app, "#versions-note")), \
            _text(app, "#versions-note")
        note = _text(app, "#versions-note")
        host = registry.url.split("://", 1)[1]
        assert f"from {host} tags, just now" in note and "EPP v0.11.0" in note, note
        version = app.screen.query_one("#version", Choice)
        values = [v for _, v in version.options]
        assert values[:2] == ["v1.6.0", "v1.5.0"] and "v1.6.1-rc.1" not in values
        assert "new: read from its archive" in version.options[0][0]
        assert version.value == "v1.5.0"             # the default stays the newest version it knows
        assert any("/tags/list" in p for p in registry.paths())


async def test_setup_offline_shows_bundled_versions_calmly(app_factory):
    svc = Session(offline=True, upstream_offline=True)   # as on an air-gapped bastion
    app = app_factory(svc)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        assert await _wait(pilot, lambda: "bundled" in _text(app, "#versions-note"))
        assert _text(app, "#versions-note") == \
            "newest v1.5.0 · EPP v0.10.0 · bundled data of 2026-08-17 (offline)"
        tip = app.screen.query_one("#versions-note").tooltip
        assert "offline (--offline)" in str(tip)


async def test_unreachable_upstream_is_one_calm_line(app_factory):
    # tests/conftest.py points every registry and GitHub at a closed loopback port
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        assert await _wait(pilot, lambda: "bundled" in _text(app, "#versions-note"))
        assert "(offline)" in _text(app, "#versions-note")
        assert [v for _, v in app.screen.query_one("#version", Choice).options][0] == "v1.5.0"


def _config(text: str) -> None:
    from gaie_tui.core.paths import config_dir
    config_dir().mkdir(parents=True, exist_ok=True)
    (config_dir() / "config.toml").write_text(text, encoding="utf-8")


async def test_context_marked_production_in_config(app_factory, sim):
    _config('production_contexts = ["prod-east", "gaie-*"]\n')
    session, _sc = sim
    app = app_factory(session)                        # context "gaie-sim", namespace llm-d
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        bar = app.screen.query_one("#title-bar", Static)
        assert await _wait(pilot, lambda: bar.has_class("prod"), 20)
        assert "PROD" in str(bar.content) and "gaie-sim" in str(bar.content)
        assert "marked as production in config.toml (gaie-*)" in str(bar.tooltip)
        await to_review(pilot, app)
        assert app.screen.query_one("#title-bar").has_class("prod")
        assert "PRODUCTION (context gaie-sim is marked" in _text(app, "#approval")
        await pilot.press("a")
        await pilot.pause(0.2)
        dialog = app.screen
        assert type(dialog).__name__ == "Confirm" and dialog.typed == "gaie-inference"
        assert dialog.query_one("#yes", ActionButton).disabled


async def test_unmarked_context_asks_plainly_and_badge_follows_the_namespace(app_factory, sim):
    _config('production_contexts = ["prod-*"]\n')
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        assert await _wait(pilot, lambda: "connected" in _text(app, "#cluster-status"), 20)
        bar = app.screen.query_one("#title-bar", Static)
        assert not bar.has_class("prod")
        app.screen.query_one("#namespace", Input).value = "llm-d-prod"   # the name heuristic still holds
        await pilot.pause(0.1)
        assert bar.has_class("prod") and "namespace name llm-d-prod" in str(bar.tooltip)
        app.screen.query_one("#namespace", Input).value = "llm-d"
        await pilot.pause(0.3)
        await to_review(pilot, app)
        await pilot.press("a")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "Confirm" and app.screen.typed is None


async def test_broken_config_is_reported_not_fatal(app_factory):
    _config("production_contexts = [unclosed\n")
    app = app_factory(Session(offline=True))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause(0.3)
        assert app.screen.STEP == "setup"
        assert any("config ignored" in str(n.message) for n in app._notifications)


# ---- $EDITOR through App.suspend, in a real terminal (tmux) --------------------------------------
def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def _wait_screen(name: str, text: str, timeout: float = 20) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        shown = _tmux("capture-pane", "-p", "-t", name)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not on screen after {timeout}s:\n{_tmux('capture-pane', '-p', '-t', name)}")


EDIT_OK = """#!/bin/sh
# a scripted editor: change the release line, as a person would
sed -i 's/replicas: 1/replicas: 3  # edited-in-editor/' "$1"
"""
EDIT_FAIL = """#!/bin/sh
# an editor that saves something and then fails (vim's :cq after a write)
echo '# half-finished edit' >> "$1"
exit 3
"""


@pytest.mark.tmux
@pytest.mark.parametrize("script", ["ok", "fail"])
def test_editor_via_suspend_round_trip(tmp_path, script):
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed")
    editor = tmp_path / "editor.sh"
    editor.write_text(EDIT_OK if script == "ok" else EDIT_FAIL)
    editor.chmod(0o755)
    values = tmp_path / "values.yaml"
    from gaie_tui.core.charts.refs import parse_ref
    from gaie_tui.core.charts.store import KnowledgeStore
    from gaie_tui.core.values.generate import Answers, generate
    values.write_text(generate(KnowledgeStore().get(parse_ref("inferencepool@v1.5.0")), Answers()).text)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {"HOME": str(tmp_path / "home"), "TERM": "xterm-256color", "EDITOR": str(editor), "TMPDIR": str(tmpdir),
           "GAIE_TUI_CONFIG_DIR": str(tmp_path / "config"), "GAIE_TUI_CACHE_DIR": str(tmp_path / "cache"),
           "GAIE_TUI_STATE_DIR": str(tmp_path / "state"), "KUBECONFIG": str(tmp_path / "none"),
           "TEXTUAL_ANIMATIONS": "none", "PATH": os.environ["PATH"],
           **{k: os.environ[k] for k in ("GAIE_TUI_REGISTRY_MIRRORS", "GAIE_TUI_GITHUB_API") if k in os.environ}}
    exe = Path(sys.executable).with_name("gaie-tui")
    name = f"gaie-editor-{os.getpid()}-{script}"
    envs = " ".join(f"{k}={v}" for k, v in env.items())
    _tmux("kill-session", "-t", name)
    _tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40",
          f"env {envs} {exe} --values {values}; sleep 30")
    try:
        _wait_screen(name, "errors")                       # the Values screen with its counts
        _tmux("send-keys", "-t", name, "C-o")
        if script == "ok":
            shown = _wait_screen(name, "values updated from $EDITOR")
            _tmux("send-keys", "-t", name, "C-s")          # write back to the file we opened
            _wait_screen(name, "wrote", 10)
            assert "replicas: 3  # edited-in-editor" in values.read_text()
            assert "replicas: 3  # edited-in-editor" in shown    # and the editor shows it (repainted)
        else:
            shown = _wait_screen(name, "exited with status 3")
            kept = list(tmpdir.glob("gaie-tui-edit-*.yaml"))
            assert kept and "# half-finished edit" in kept[0].read_text(), shown   # the edit is not lost
            assert "half-finished" not in values.read_text()
    finally:
        _tmux("kill-session", "-t", name)


def _retagged(archive: bytes, version: str) -> bytes:
    """A chart archive of a version no gaie-tui release knows: the real v1.5.0 chart, re-versioned
    (as a registry's newer patch release would be)."""
    import gzip
    import io
    import tarfile
    src = tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name.endswith("/Chart.yaml") and member.name.count("/") == 1:
                data = data.replace(b"version: v1.5.0", f"version: {version}".encode())
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return gzip.compress(out.getvalue())


async def test_a_version_only_the_registry_knows_loads_and_renders(app_factory, fake_upstream, shared_dir, helm_bin,
                                                                   monkeypatch, tmp_path):
    """Setup learns v1.6.0 from the (loopback) registry; choosing it generates values from its own
    archive (pulled through the wizard's knowledge store and its upstream session) and Review
    renders it with helm."""
    registry, _ = fake_upstream
    fakes = upstream_fakes()
    archive = _retagged((shared_dir / "charts" / "inferencepool-v1.5.0.tgz").read_bytes(), "v1.6.0")
    registry.add_chart(fakes.CHART_REPOS["inferencepool"], "v1.6.0", archive)
    monkeypatch.setenv("GAIE_TUI_HELM", helm_bin)
    monkeypatch.delenv("GAIE_TUI_CHART_DIRS", raising=False)
    for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "DOCKER_CONFIG"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    svc = Session(offline=True)
    svc.upstream_options = {"timeout": 5, "connect_timeout": 2, "retries": 0}
    app = app_factory(svc)
    async with app.run_test(size=(100, 40), notifications=False) as pilot:
        assert await _wait(pilot, lambda: "newest v1.6.0" in _text(app, "#versions-note"), 20)
        version = app.screen.query_one("#version", Choice)
        version.value = "v1.6.0"
        assert await _wait(pilot, lambda: "registry" in _text(app, "#archive-note"), 10), _text(app, "#archive-note")
        await pilot.press("ctrl+n")
        assert await _wait(pilot, lambda: getattr(app.screen, "STEP", "") == "values", 60), \
            [n.message for n in app._notifications]
        assert await _wait(pilot, lambda: app.screen.chart is not None, 20)
        assert app.screen.chart.version == "v1.6.0" and app.screen.chart.archive is not None
        assert "chart=inferencepool@v1.6.0" in app.state.values_text
        await pilot.press("ctrl+n")
        assert await _wait(pilot, lambda: getattr(app.screen, "STEP", "") == "review", 10)
        assert await _wait(pilot, lambda: "OBJECTS helm template renders" in _text(app, "#objects"), 60), \
            _text(app, "#objects")
        assert "Deployment/gaie-inference-epp" in _text(app, "#objects")
        assert "inferencepool v1.6.0" in _text(app, "#plan")
