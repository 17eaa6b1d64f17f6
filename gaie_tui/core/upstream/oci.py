"""OCI distribution API: the tags of an image or a chart repository.

Registries answer an anonymous request with 401 and a `WWW-Authenticate: Bearer realm=…,
service=…,scope=…` challenge; we ask the realm for an anonymous pull token and retry. Tag lists
are paginated with `?n=&last=` and a `Link: <…>; rel="next"` header. Mirrors configured in
GAIE_TUI_REGISTRY_MIRRORS replace the registry host (same repository path below it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ..charts import versions
from .net import HTTPStatusError, NetworkError, next_link
from .session import Upstream

PAGE_SIZE = 100
MAX_PAGES = 50  # a repository with more than 5000 tags is not one of ours; stop rather than loop

_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Repository:
    """`ghcr.io/llm-d/llm-d-router-endpoint-picker` split into registry host and path."""

    host: str
    path: str

    @classmethod
    def parse(cls, ref: str) -> Repository:
        ref = ref.removeprefix("oci://").strip("/")
        host, _, path = ref.partition("/")
        if not host or not path:
            raise ValueError(f"{ref!r} is not registry/repository")
        return cls(host.lower(), path)

    def __str__(self) -> str:
        return f"{self.host}/{self.path}"


@dataclass(frozen=True)
class Tags:
    repository: str
    newest: str | None
    releases: list[str]  # vX.Y.Z tags, newest first
    source: str  # the tags/list URL asked, or "cache"
    fetched_at: datetime
    cached: bool


def parse_challenge(header: str) -> dict[str, str] | None:
    """Parameters of a Bearer challenge, or None for Basic or nothing usable."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    params = {k.lower(): v for k, v in _CHALLENGE_PARAM.findall(rest)}
    return params if params.get("realm") else None


def _token(session: Upstream, challenge: dict[str, str], repo: Repository, authorization: str | None = None) -> str:
    """A pull token from the challenge's realm: anonymous, or with `authorization` (a Basic header
    built from an image pull secret for this one request)."""
    params = {"service": challenge.get("service", "")} if challenge.get("service") else {}
    params["scope"] = challenge.get("scope") or f"repository:{repo.path}:pull"
    headers = {"Authorization": authorization} if authorization else None
    response = session.http.request("GET", challenge["realm"], params=params, headers=headers)
    if response.status_code != 200:
        raise HTTPStatusError(f"{repo.host} refused an anonymous pull token for {repo.path} "
                              f"(HTTP {response.status_code}): it may need a login",
                              challenge["realm"], response.status_code)
    try:
        data = response.json()
    except ValueError as exc:
        raise NetworkError(f"token answer from {challenge['realm']} is not JSON") from exc
    token = data.get("token") or data.get("access_token")
    if not token:
        raise NetworkError(f"token answer from {challenge['realm']} has no token")
    return str(token)


def fetch_tags(session: Upstream, ref: str) -> Tags:
    """All tags of a repository from the network (no cache); releases newest first."""
    repo = Repository.parse(ref)
    base, path = session.endpoints.registry_location(repo.host, repo.path)
    asked = Repository(repo.host, path)  # the token scope names the repository as the mirror knows it
    first = f"{base}/v2/{path}/tags/list?n={PAGE_SIZE}"
    url: str | None = first
    headers: dict[str, str] = {"Accept": "application/json"}
    tags: list[str] = []
    for _ in range(MAX_PAGES):
        if url is None:
            break
        response = session.http.request("GET", url, headers=headers)
        if response.status_code == 401 and "Authorization" not in headers:
            challenge = parse_challenge(response.headers.get("www-authenticate", ""))
            if challenge is None:
                raise HTTPStatusError(f"{repo.host} wants a login to list {repo.path}", url, 401)
            headers["Authorization"] = f"Bearer {_token(session, challenge, asked)}"
            # Ask where the challenge came from: registry.k8s.io redirects to a regional
            # backend, and the token belongs to that backend (a redirect drops Authorization).
            url = str(response.url)
            response = session.http.request("GET", url, headers=headers)
        if response.status_code == 404:
            raise HTTPStatusError(f"{repo} does not exist on {base}", url, 404)
        if response.status_code != 200:
            raise HTTPStatusError(f"{url} answered HTTP {response.status_code}", url, response.status_code)
        try:
            page = response.json().get("tags") or []
        except (ValueError, AttributeError) as exc:
            raise NetworkError(f"{url} did not answer a tags list", url) from exc
        tags.extend(str(t) for t in page)
        url = next_link(response)
    releases = sorted({t for t in tags if versions.is_release(t)}, key=versions.key, reverse=True)
    return Tags(str(repo), releases[0] if releases else None, releases, first.split("?")[0],
                session.clock(), cached=False)


def tags(session: Upstream, ref: str, *, stale_ok: bool = True) -> Tags:
    """Tags of a repository: fresh cache, else the network (cached), else an expired cache entry
    (unless `stale_ok` is False: a caller with another network source tries that first).
    Raises NetworkError when there is no answer at all."""
    repo = Repository.parse(ref)
    key = _cache_key(session, repo)
    if (kind_key := ("tags", key)) in session.fetched:
        return session.fetched[kind_key]  # type: ignore[return-value]
    if hit := session.cache.get("tags", key):
        return _from_cache(str(repo), *hit)
    try:
        found = fetch_tags(session, ref)
    except NetworkError:
        entry = session.cache.entry("tags", key)
        if entry is None or not stale_ok:
            raise
        return _from_cache(str(repo), entry.value, entry.fetched_at)
    session.cache.put("tags", key, {"releases": found.releases, "source": found.source},
                      found.fetched_at)
    session.fetched[kind_key] = found
    return found


def _from_cache(repo: str, value: dict, fetched_at: datetime) -> Tags:
    rel = list(value.get("releases", []))
    return Tags(repo, rel[0] if rel else None, rel, "cache", fetched_at, cached=True)


def _cache_key(session: Upstream, repo: Repository) -> str:
    base, path = session.endpoints.registry_location(repo.host, repo.path)
    return f"{base}/v2/{path}"


def cached_tags(session: Upstream, ref: str) -> Tags | None:
    """The last answer stored for this repository, however old (None if never asked)."""
    repo = Repository.parse(ref)
    entry = session.cache.entry("tags", _cache_key(session, repo))
    return _from_cache(str(repo), entry.value, entry.fetched_at) if entry else None
