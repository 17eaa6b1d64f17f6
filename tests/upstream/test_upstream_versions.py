"""`gaie-tui versions` and the report behind it: network → cache → bundled knowledge."""
from __future__ import annotations

import json

import pytest

from gaie_tui.cli import main
from gaie_tui.core.charts.refs import FAMILIES
from gaie_tui.core.upstream.versions_report import build_report, load_bundled


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["versions", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_bundled_knowledge_agrees_with_the_chart_families():
    bundled = load_bundled()
    assert bundled.data_date == "2026-08-17"
    assert bundled.epp_image == "ghcr.io/llm-d/llm-d-router-endpoint-picker"
    assert bundled.epp_tags == ["v0.10.0", "v0.9.0"]
    for name, family in FAMILIES.items():
        assert bundled.charts[name]["versions"] == list(reversed(family.released))
        assert bundled.charts[name]["oci"] == family.oci


def test_report_from_the_network(wired, make_session):
    github, registry = wired
    report = build_report(make_session())
    data = report.to_json()
    epp = data["endpoint_picker"]
    assert epp["image"] == "ghcr.io/llm-d/llm-d-router-endpoint-picker"
    assert epp["newest"] == "v0.10.0" and epp["tags"] == ["v0.10.0", "v0.9.0", "v0.8.0"]
    assert epp["source"] == f"{registry.url}/v2/llm-d/llm-d-router-endpoint-picker/tags/list"
    assert epp["cached"] is False and epp["fetched_at"] == "2026-11-27T12:00:00+00:00"
    assert data["charts"]["inferencepool"]["newest"] == "v1.5.0"
    assert data["charts"]["inferencepool"]["versions"][0] == "v1.5.0"
    assert len(data["charts"]["inferencepool"]["versions"]) == 10
    assert data["charts"]["llm-d-router-gateway"]["versions"] == ["v0.10.0", "v0.9.0"]
    assert not report.offline and report.notes == []
    assert github.seen == []  # the registry answered: GitHub was not needed


def test_cli_json_has_exactly_the_documented_shape(wired, capsys):
    code, out, err = run_cli(capsys, "--format", "json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) == {"endpoint_picker", "charts"}
    assert set(data["endpoint_picker"]) == {"image", "newest", "tags", "source", "fetched_at", "cached"}
    assert set(data["charts"]) == {"inferencepool", "llm-d-router-gateway"}
    for chart in data["charts"].values():
        assert {"newest", "versions", "source"} <= set(chart)


def test_cli_chart_family_limits_the_charts(wired, capsys):
    code, out, _ = run_cli(capsys, "--format", "json", "--chart-family", "llm-d-router-gateway")
    assert code == 0 and list(json.loads(out)["charts"]) == ["llm-d-router-gateway"]


def test_second_run_is_answered_by_the_cache_without_network(wired, capsys, clock):
    github, registry = wired
    run_cli(capsys, "--format", "json")
    registry.stop()
    github.stop()
    code, out, err = run_cli(capsys, "--format", "json")
    data = json.loads(out)
    assert code == 0 and err == ""
    assert data["endpoint_picker"]["source"] == "cache" and data["endpoint_picker"]["cached"] is True
    assert data["endpoint_picker"]["newest"] == "v0.10.0"
    assert data["charts"]["inferencepool"]["source"] == "cache"


def test_expired_cache_is_refreshed(wired, make_session, clock):
    github, registry = wired
    build_report(make_session())
    registry.add_image_tags("llm-d/llm-d-router-endpoint-picker", ["v0.11.0"])
    clock.advance(hours=2)
    assert build_report(make_session()).endpoint_picker.newest == "v0.10.0"  # still fresh
    clock.advance(hours=5)
    report = build_report(make_session())
    assert report.endpoint_picker.newest == "v0.11.0" and not report.endpoint_picker.cached
    assert report.endpoint_picker.fetched_at == clock.now


def test_registry_down_falls_back_to_github_releases(github, make_session, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", github.url)  # the registries stay on a dead port
    session = make_session()
    report = build_report(session)
    epp = report.endpoint_picker
    assert epp.newest == "v0.10.0" and epp.versions == ["v0.10.0", "v0.9.0", "v0.8.0"]
    assert epp.source == f"{github.url}/repos/llm-d/llm-d-router/releases/latest"
    gateway = report.charts["llm-d-router-gateway"]
    assert gateway.source.startswith(github.url)  # the successor chart is released with the same tags
    assert report.charts["inferencepool"].source == "bundled"  # its repository has releases without a chart
    assert not report.offline


def test_everything_down_falls_back_to_bundled_and_says_offline_once(make_session, capsys):
    code, out, err = run_cli(capsys)
    assert code == 0 and err == ""
    assert "newest release  v0.10.0" in out
    assert out.count("offline") == 1
    assert "offline (no upstream could be reached)" in out
    assert "bundled with gaie-tui (data of 2026-08-17)" in out


def test_offline_flag_uses_no_network_at_all(wired, capsys):
    github, registry = wired
    code, out, _ = run_cli(capsys, "--offline", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["endpoint_picker"]["source"] == "bundled"
    assert data["endpoint_picker"]["fetched_at"].startswith("2026-08-17")
    assert github.seen == [] and registry.seen == []


def test_offline_prefers_an_old_cache_over_bundled_and_gives_its_date(wired, make_session, clock, capsys):
    github, registry = wired
    build_report(make_session())
    clock.advance(days=30)  # long expired
    report = build_report(make_session(offline=True))
    assert report.endpoint_picker.source == "cache"
    assert report.endpoint_picker.fetched_at.date().isoformat() == "2026-11-27"
    from gaie_tui.commands.versions import render_text

    text = render_text(report)
    assert "offline (--offline): versions come from the cache (fetched 2026-11-27 12:00 UTC)" in text
    assert text.count("Note: offline") == 1


def test_rate_limit_is_explained_when_github_is_the_only_source(github, make_session, capsys, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", github.url)
    github.mode = "ratelimit"
    code, out, _ = run_cli(capsys)
    assert code == 0
    assert "GitHub API rate limit reached; it resets at" in out and "set GITHUB_TOKEN" in out
    assert out.count("rate limit") == 1


def test_text_form_for_people(wired, capsys):
    code, out, _ = run_cli(capsys)
    assert code == 0
    assert "Endpoint picker" in out and "ghcr.io/llm-d/llm-d-router-endpoint-picker" in out
    assert "inferencepool" in out and "newest v1.5.0" in out
    assert "llm-d-router-gateway" in out and "newest v0.10.0" in out
    assert "offline" not in out.lower()


def test_bad_mirror_setting_is_a_user_error(capsys, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_REGISTRY_MIRRORS", "ghcr.io")
    code = main(["versions"])
    err = capsys.readouterr().err
    assert code == 2 and "GAIE_TUI_REGISTRY_MIRRORS entry 'ghcr.io' is not host=mirror" in err


@pytest.mark.parametrize("flag", ["--offline"])
def test_versions_is_fast_offline(flag, capsys):
    import time

    start = time.monotonic()
    assert main(["versions", flag]) == 0
    assert time.monotonic() - start < 2


def test_broken_registry_uses_the_expired_cache_and_says_from_when(wired, make_session, clock, monkeypatch, dead_url):
    github, registry = wired
    build_report(make_session())
    clock.advance(days=2)
    registry.broken = True  # answers 503: reachable, so not offline, but no answer
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", dead_url)
    session = make_session()
    report = build_report(session, ["inferencepool"])
    assert report.charts["inferencepool"].source == "cache"
    assert "chart inferencepool: no network answer, using the cached one from 2026-11-27 12:00 UTC" in report.notes
