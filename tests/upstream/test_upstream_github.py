"""GitHub releases and files at tags, against a local server that answers like GitHub."""
from __future__ import annotations

import pytest
from upstream_fakes import release

from gaie_tui.core.upstream import github
from gaie_tui.core.upstream.net import HTTPStatusError, NetworkError, OfflineError


@pytest.fixture
def gh_env(github, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", github.url)
    monkeypatch.setenv("GAIE_TUI_GITHUB_RAW", github.url)
    return github


def test_releases_keep_only_plain_release_tags_newest_first(gh_env, make_session):
    found = github.fetch_releases(make_session())
    assert found.tags == ["v0.10.0", "v0.9.0", "v0.8.0"]  # no draft, pre-release, sync or fix tags
    assert found.newest == "v0.10.0"
    assert found.source == f"{gh_env.url}/repos/llm-d/llm-d-router/releases/latest"
    assert not found.cached
    paths = gh_env.paths()
    assert "/repos/llm-d/llm-d-router/releases/latest" in paths
    assert "/repos/llm-d/llm-d-router/releases?per_page=100" in paths
    accept = gh_env.seen[0].headers["accept"]
    assert accept == "application/vnd.github+json"


def test_latest_pointing_at_an_oddity_is_not_taken(gh_env, make_session):
    gh_env.latest["llm-d/llm-d-router"] = "gaie-1.5-sync"
    assert github.fetch_releases(make_session()).newest == "v0.10.0"


def test_release_pages_are_followed(gh_env, make_session):
    gh_env.page_size = 2
    gh_env.repos["llm-d/llm-d-router"] = [release(f"v0.{i}.0") for i in range(7)]
    found = github.fetch_releases(make_session())
    assert found.tags == [f"v0.{i}.0" for i in range(6, -1, -1)]
    assert sum("&page=" in p for p in gh_env.paths()) == 3  # pages 2..4 via Link


def test_renamed_repository_301_is_followed(gh_env, make_session):
    gh_env.renamed["llm-d/llm-d-inference-scheduler"] = "llm-d/llm-d-router"
    found = github.fetch_releases(make_session(), "llm-d/llm-d-inference-scheduler")
    assert found.newest == "v0.10.0"
    assert "/repos/llm-d/llm-d-inference-scheduler/releases/latest" in gh_env.paths()
    assert "/repos/llm-d/llm-d-router/releases/latest" in gh_env.paths()


def test_rate_limit_says_when_it_resets_and_what_to_do(gh_env, make_session):
    gh_env.mode = "ratelimit"
    with pytest.raises(github.RateLimited) as err:
        github.fetch_releases(make_session())
    text = err.value.message
    assert "rate limit" in text
    assert "resets at 08:00 UTC (2027-01-15)" in text  # X-RateLimit-Reset 1800000000
    assert "set GITHUB_TOKEN" in text


def test_github_token_is_sent_and_never_shown(gh_env, make_session, monkeypatch):
    secret = "ghp_not_a_real_token_123456"
    monkeypatch.setenv("GITHUB_TOKEN", secret)
    session = make_session()
    github.fetch_releases(session)
    assert all(s.headers.get("authorization") == f"Bearer {secret}" for s in gh_env.seen)
    assert secret not in repr(session)
    gh_env.mode = "ratelimit"
    with pytest.raises(github.RateLimited) as err:
        github.fetch_releases(make_session())
    assert secret not in str(err.value)
    assert "set GITHUB_TOKEN" not in err.value.message  # a token is set: the advice is to wait


def test_token_is_not_sent_to_the_raw_host(gh_env, make_session, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    gh_env.raw["llm-d/llm-d-router/v0.10.0/config/charts/llm-d-router-gateway/values.yaml"] = "router: {}\n"
    github.values_at_tag(make_session(), "llm-d-router-gateway", "v0.10.0")
    assert "authorization" not in gh_env.seen[-1].headers


def test_server_errors_are_retried(gh_env, make_session):
    gh_env.fail_first = 2  # two 500s, then the real answer: within the two retries
    assert github.fetch_releases(make_session()).newest == "v0.10.0"


def test_persistent_server_errors_raise_after_the_retries(gh_env, make_session):
    gh_env.mode = "error"
    with pytest.raises(HTTPStatusError) as err:
        github.fetch_releases(make_session())
    assert err.value.status == 502
    assert len(gh_env.seen) == 3  # one try and two retries


def test_slow_answers_time_out(gh_env, make_session):
    gh_env.mode, gh_env.delay = "slow", 1.0
    session = make_session(timeout=0.2, retries=0)
    with pytest.raises(NetworkError) as err:
        github.fetch_releases(session)
    assert "no answer within 0.2s" in err.value.message


def test_unreachable_host_is_not_asked_twice(dead_url, monkeypatch, make_session):
    monkeypatch.setenv("GAIE_TUI_GITHUB_API", dead_url)
    session = make_session()
    with pytest.raises(NetworkError):
        github.fetch_releases(session)
    assert session.offline
    with pytest.raises(OfflineError):
        github.fetch_releases(session)


def test_values_at_tag_read_once_then_cached_forever(gh_env, make_session, clock):
    path = "kubernetes-sigs/gateway-api-inference-extension/v1.3.0/config/charts/inferencepool/values.yaml"
    gh_env.raw[path] = "inferenceExtension:\n  replicas: 1\n"
    got = github.values_at_tag(make_session(), "inferencepool", "v1.3.0")
    assert got.text.startswith("inferenceExtension:")
    assert got.source == f"{gh_env.url}/{path}"
    gh_env.stop()
    clock.advance(days=400)
    again = github.values_at_tag(make_session(), "inferencepool", "v1.3.0")
    assert again.source == "cache" and again.text == got.text


def test_values_missing_at_tag_is_a_clear_404(gh_env, make_session):
    with pytest.raises(HTTPStatusError) as err:
        github.values_at_tag(make_session(), "inferencepool", "v9.9.9")
    assert err.value.status == 404 and "does not exist at" in err.value.message


def test_releases_cache_hit_and_expiry(gh_env, make_session, clock):
    first = github.releases(make_session())
    assert not first.cached
    count = len(gh_env.seen)
    hit = github.releases(make_session())
    assert hit.cached and hit.source == "cache" and hit.tags == first.tags
    assert len(gh_env.seen) == count  # no request at all
    clock.advance(hours=7)  # releases live 6 hours
    gh_env.repos["llm-d/llm-d-router"].insert(0, release("v0.11.0"))
    gh_env.latest["llm-d/llm-d-router"] = "v0.11.0"
    fresh = github.releases(make_session())
    assert not fresh.cached and fresh.newest == "v0.11.0"


def test_secondary_rate_limit_429_with_retry_after(gh_env, make_session, monkeypatch):
    original = gh_env.answer

    def limited(method, path, headers):
        return 429, {"Retry-After": "60", "Content-Type": "application/json"}, b"{}"

    monkeypatch.setattr(gh_env, "answer", limited)
    with pytest.raises(github.RateLimited, match="retry after 60s"):
        github.fetch_releases(make_session())
    monkeypatch.setattr(gh_env, "answer", original)


def test_forbidden_without_rate_limit_headers_is_not_called_a_rate_limit(gh_env, make_session, monkeypatch):
    monkeypatch.setattr(gh_env, "answer", lambda m, p, h: (403, {"Content-Type": "application/json"}, b"{}"))
    with pytest.raises(HTTPStatusError) as err:
        github.fetch_releases(make_session())
    assert not isinstance(err.value, github.RateLimited) and err.value.status == 403
