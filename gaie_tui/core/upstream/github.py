"""GitHub as a source: releases of a repository (newest endpoint-picker release) and files at a
release tag over HTTPS (a chart's values.yaml when the registry cannot be reached).

Only `vX.Y.Z` tags are releases: drafts, pre-releases and oddities such as `gaie-1.5-sync`,
`v0.2.0-rc.1` or `v0.3.2-with-sidecar-fix` are skipped. Renamed repositories answer 301, which
the client follows. GITHUB_TOKEN (or GH_TOKEN) is sent to the API only, never shown.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..charts import versions
from ..errors import UserError
from .net import HTTPStatusError, NetworkError, next_link
from .session import Upstream

EPP_REPO = "llm-d/llm-d-router"

# Where each chart family's values.yaml lives in its source repository, at the release tag.
# From inferencepool v1.4.0 (and in llm-d-router-gateway) part of the defaults come from a
# vendored library chart (epplib / routerlib) that this file does not contain: the chart archive
# stays the authority, this is the second-best source.
VALUES_AT_TAG: dict[str, tuple[str, str]] = {
    "inferencepool": ("kubernetes-sigs/gateway-api-inference-extension",
                      "config/charts/inferencepool/values.yaml"),
    "llm-d-router-gateway": ("llm-d/llm-d-router", "config/charts/llm-d-router-gateway/values.yaml"),
}

MAX_PAGES = 5  # 500 releases is far more than any of these repositories has


class RateLimited(NetworkError):
    """GitHub refused because the hourly quota is used up; the message says when it resets."""


@dataclass(frozen=True)
class Releases:
    repo: str
    newest: str | None
    tags: list[str]  # release tags, newest first
    source: str  # the URL asked, or "cache"
    fetched_at: datetime
    cached: bool


@dataclass(frozen=True)
class RemoteFile:
    text: str
    url: str
    source: str  # the URL, or "cache"
    fetched_at: datetime


def _api_headers(session: Upstream) -> dict[str, str]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token := session.github_token():
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _check_rate_limit(response, session: Upstream) -> None:
    if response.status_code not in (403, 429):
        return
    remaining = response.headers.get("x-ratelimit-remaining")
    retry_after = response.headers.get("retry-after")
    if remaining != "0" and not retry_after and response.status_code != 429:
        return
    when = ""
    if reset := response.headers.get("x-ratelimit-reset"):
        try:
            at = datetime.fromtimestamp(int(reset), UTC)
            when = f"; it resets at {at:%H:%M} UTC ({at:%Y-%m-%d})"
        except (ValueError, OverflowError):
            pass
    elif retry_after:
        when = f"; retry after {retry_after}s"
    hint = ("the token's quota is used up, wait for the reset" if session.github_token()
            else "set GITHUB_TOKEN to any GitHub token (no scopes needed) for 5000 requests an hour")
    raise RateLimited(f"GitHub API rate limit reached{when} — {hint}", str(response.url))


def _get_json(session: Upstream, url: str, params: dict[str, str] | None = None):
    response = session.http.request("GET", url, headers=_api_headers(session), params=params)
    _check_rate_limit(response, session)
    if response.status_code == 401:
        raise HTTPStatusError("GitHub rejected GITHUB_TOKEN (401): it is invalid or expired", url, 401)
    if response.status_code != 200:
        raise HTTPStatusError(f"{url} answered HTTP {response.status_code}", url, response.status_code)
    try:
        return response.json(), response
    except ValueError as exc:
        raise NetworkError(f"{url} did not answer JSON", url) from exc


def fetch_releases(session: Upstream, repo: str = EPP_REPO) -> Releases:
    """Release tags of `repo` from the network (no cache), newest first."""
    api = session.endpoints.github_api
    latest_url = f"{api}/repos/{repo}/releases/latest"
    latest: str | None = None
    try:
        data, _ = _get_json(session, latest_url)
        tag = str(data.get("tag_name", ""))
        # "latest" can point at an oddity (a sync tag marked latest): only a vX.Y.Z counts
        if versions.is_release(tag) and not data.get("draft") and not data.get("prerelease"):
            latest = tag
    except HTTPStatusError as exc:
        if exc.status != 404:  # 404 = the repository has releases only as pre-releases
            raise
    tags: set[str] = {latest} if latest else set()
    url: str | None = f"{api}/repos/{repo}/releases?per_page=100"
    for _ in range(MAX_PAGES):
        if not url:
            break
        data, response = _get_json(session, url)
        for rel in data if isinstance(data, list) else []:
            tag = str(rel.get("tag_name", ""))
            if versions.is_release(tag) and not rel.get("draft") and not rel.get("prerelease"):
                tags.add(tag)
        url = next_link(response)
    ordered = sorted(tags, key=versions.key, reverse=True)
    newest = versions.newest(ordered)
    return Releases(repo, newest, ordered, latest_url, session.clock(), cached=False)


def releases(session: Upstream, repo: str = EPP_REPO, *, stale_ok: bool = True) -> Releases:
    """Release tags of `repo`: fresh cache, else the network (cached), else an expired cache
    entry (offline; unless `stale_ok` is False). Raises NetworkError (RateLimited included) when there is nothing at all."""
    key = _cache_key(session, repo)
    if (kind_key := ("releases", key)) in session.fetched:
        return session.fetched[kind_key]  # type: ignore[return-value]
    if hit := session.cache.get("releases", key):
        return _from_cache(repo, *hit)
    try:
        found = fetch_releases(session, repo)
    except NetworkError:
        entry = session.cache.entry("releases", key)
        if entry is None or not stale_ok:
            raise
        return _from_cache(repo, entry.value, entry.fetched_at)
    session.cache.put("releases", key, {"tags": found.tags, "newest": found.newest,
                                        "source": found.source}, found.fetched_at)
    session.fetched[kind_key] = found
    return found


def _cache_key(session: Upstream, repo: str) -> str:
    return f"{session.endpoints.github_api}/repos/{repo}"


def cached_releases(session: Upstream, repo: str = EPP_REPO) -> Releases | None:
    """The last answer stored for this repository, however old (None if never asked)."""
    entry = session.cache.entry("releases", _cache_key(session, repo))
    return _from_cache(repo, entry.value, entry.fetched_at) if entry else None


def _from_cache(repo: str, value: dict, fetched_at: datetime) -> Releases:
    return Releases(repo, value.get("newest"), list(value.get("tags", [])), "cache", fetched_at, True)


def file_at_tag(session: Upstream, repo: str, tag: str, path: str) -> RemoteFile:
    """A file at a release tag from the raw host. Files at a tag never change: cached forever."""
    url = f"{session.endpoints.github_raw}/{repo}/{tag}/{path}"
    if hit := session.cache.get("values_at_tag", url):
        value, fetched_at = hit
        return RemoteFile(value, url, "cache", fetched_at)
    response = session.http.request("GET", url)
    if response.status_code == 404:
        raise HTTPStatusError(f"{path} does not exist at {repo}@{tag} ({url})", url, 404)
    if response.status_code != 200:
        raise HTTPStatusError(f"{url} answered HTTP {response.status_code}", url, response.status_code)
    text = response.text
    when = session.cache.put("values_at_tag", url, text)
    return RemoteFile(text, url, url, when)


def values_at_tag(session: Upstream, family: str, version: str) -> RemoteFile:
    """values.yaml of a chart family at its release tag (the chart version is the git tag)."""
    if family not in VALUES_AT_TAG:
        raise UserError(f"no source repository known for chart {family!r}",
                        "give the chart archive itself (a local .tgz path) instead")
    repo, path = VALUES_AT_TAG[family]
    return file_at_tag(session, repo, version, path)


