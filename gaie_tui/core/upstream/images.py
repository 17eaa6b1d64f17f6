"""Does an image reference really pull? Asked of its registry the way a kubelet would: the OCI
distribution API, an anonymous bearer token when the registry challenges, then `HEAD` of the
manifest. Registry mirrors (GAIE_TUI_REGISTRY_MIRRORS) and proxies (HTTPS_PROXY …) are honoured
through the `Upstream` session.

When the registry refuses an anonymous pull, the credentials of the image pull secrets the release
names are tried: a `CredentialSource` reads the secret's content only at that moment, for that one
token request; the credentials are never shown, logged, returned or stored.

`pull_status(image)` is the answer Setup shows next to the image field and preflight turns into a
check; `image_choices(family, version)` the EPP images Setup offers side by side.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import quote

from ..charts import images as chart_images
from ..charts import versions
from .net import HTTPStatusError, NetworkError, OfflineError, next_link
from .oci import MAX_PAGES, PAGE_SIZE, Repository, _token, parse_challenge
from .session import Upstream

MANIFEST_TYPES = ", ".join((
    "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"))
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
# states, and how a preflight check judges them
OK, UNPINNED, MISSING_TAG, MISSING_REPO, DENIED, INVALID, OFFLINE, ERROR = (
    "ok", "unpinned", "missing-tag", "missing-repo", "denied", "invalid", "offline", "error")
FAILING = (UNPINNED, MISSING_TAG, MISSING_REPO, DENIED, INVALID)


@dataclass(frozen=True)
class Reference:
    """`ghcr.io/llm-d/x:v1` → host ghcr.io, path llm-d/x, tag v1 (docker's defaults applied)."""
    host: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        return f"{self.host}/{self.path}"

    @property
    def reference(self) -> str:
        """What the manifest is asked by: the digest when there is one, else the tag."""
        return self.digest or self.tag

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse_reference(text: str) -> Reference:
    """An image reference as the container runtime reads it. Raises ValueError when it is not one."""
    ref = (text or "").strip()
    if not ref or any(c.isspace() for c in ref) or ref != ref.strip("/:@"):
        raise ValueError(f"{text!r} is not an image reference")
    ref, _, digest = ref.partition("@")
    head, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        head, tag = ref, ""
    first, slash, rest = head.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        host, path = first.lower(), rest
    else:
        host, path = DOCKER_HUB, head
    if host == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if not path or path != path.lower() or "//" in path:
        raise ValueError(f"{text!r} is not an image reference (repository names are lower case)")
    return Reference(host, path, tag, digest)


@dataclass(frozen=True)
class PullStatus:
    """Whether `image` can be pulled, and if not, why and what to choose instead."""
    image: str
    state: str              # ok, unpinned, missing-tag, missing-repo, denied, invalid, offline, error
    message: str
    hint: str = ""
    digest: str = ""        # the manifest digest the registry answered
    source: str = ""        # the URL asked (the mirror's, when one is configured)
    with_secret: str = ""   # the image pull secret whose credentials made it answer
    tags: tuple[str, ...] = ()  # release tags of the repository, newest first, when it was asked

    @property
    def ok(self) -> bool:
        return self.state == OK

    @property
    def failing(self) -> bool:
        return self.state in FAILING

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, repr=False)
class Credentials:
    """A registry login, held only for the request that needs it. Never printed."""
    username: str
    password: str

    def basic(self) -> str:
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()

    def __repr__(self) -> str:
        return "Credentials(<hidden>)"


# registry host → (secret name, credentials), or None: asked only when anonymous pulls are refused
CredentialSource = Callable[[str], "tuple[str, Credentials] | None"]


# ---- asking the registry ------------------------------------------------------------------------
def _location(session: Upstream, ref: Reference) -> tuple[str, str]:
    host = DOCKER_HUB_API if ref.host == DOCKER_HUB and DOCKER_HUB not in session.endpoints.mirrors else ref.host
    if host != ref.host:
        return f"https://{host}", ref.path
    return session.endpoints.registry_location(ref.host, ref.path)


def _head(session: Upstream, url: str, authorization: str | None):
    headers = {"Accept": MANIFEST_TYPES}
    if authorization:
        headers["Authorization"] = authorization
    return session.http.request("HEAD", url, headers=headers)


def _authorize(session: Upstream, response, repo: Repository, basic: str | None) -> str | None:
    """The Authorization header a 401 challenge asks for: a Bearer token from its realm (anonymous,
    or fetched with `basic`), or `basic` itself for registries that want Basic. None: refused."""
    header = response.headers.get("www-authenticate", "")
    challenge = parse_challenge(header)
    if challenge is None:
        return basic if basic and header.lower().startswith("basic") else None
    try:
        return "Bearer " + _token(session, challenge, repo, authorization=basic)
    except HTTPStatusError:
        return None


def _ask(session: Upstream, ref: Reference, url: str, repo: Repository, basic: str | None):
    """HEAD the manifest, answering a challenge once. Returns (response, refused_by_auth)."""
    # registries challenge first: credentials go to the token realm (or come back as Basic), never
    # unasked to the manifest URL
    response = _head(session, url, None)
    if response.status_code == 401:
        auth = _authorize(session, response, repo, basic)
        if auth is None:
            return response, True
        response = _head(session, str(response.url), auth)
    return response, response.status_code in (401, 403)


def _release_tags(session: Upstream, ref: Reference, base: str, repo: Repository,
                  basic: str | None) -> tuple[int, tuple[str, ...]]:
    """(HTTP status of the tags list, release tags newest first), following `Link` pages."""
    url: str | None = f"{base}/v2/{repo.path}/tags/list?n={PAGE_SIZE}"
    headers = {"Accept": "application/json"}
    tags: list[str] = []
    for _ in range(MAX_PAGES):
        if url is None:
            break
        response = session.http.request("GET", url, headers=headers)
        if response.status_code == 401 and "Authorization" not in headers:
            auth = _authorize(session, response, repo, basic)
            if auth is None:
                return 401, ()
            headers["Authorization"] = auth
            url = str(response.url)
            response = session.http.request("GET", url, headers=headers)
        if response.status_code != 200:
            if not tags:
                return response.status_code, ()
            break
        try:
            tags += [str(t) for t in response.json().get("tags") or []]
        except (ValueError, AttributeError):
            break
        url = next_link(response)
    return 200, tuple(sorted({t for t in tags if versions.is_release(t)}, key=versions.key, reverse=True))


def pull_status(session: Upstream, image: str, *, credentials: CredentialSource | None = None) -> PullStatus:
    """Can `image` be pulled? Asks its registry (or the configured mirror); never raises for
    network trouble (offline is a state)."""
    try:
        ref = parse_reference(image)
    except ValueError as exc:
        return PullStatus(image, INVALID, str(exc), "write it as REGISTRY/REPOSITORY:TAG, e.g. "
                          f"{chart_images.CURRENT_REPO}:v0.10.0")
    try:
        base, path = _location(session, ref)
    except Exception as exc:  # noqa: BLE001 - a malformed GAIE_TUI_REGISTRY_MIRRORS is a UserError
        return PullStatus(image, ERROR, f"cannot ask the registry of {image}: {exc}",
                          getattr(exc, "hint", "") or "fix GAIE_TUI_REGISTRY_MIRRORS")
    repo = Repository(ref.host, path)
    url = f"{base}/v2/{quote(path)}/manifests/{quote(ref.reference or 'latest')}"
    unpinned = not ref.digest and chart_images.is_unpinned(ref.tag)
    try:
        status = _resolve(session, ref, base, repo, url, credentials)
    except OfflineError as exc:
        return PullStatus(image, OFFLINE, f"{image} not checked: offline ({exc.message})",
                          "check it from a machine that reaches the registry, or set GAIE_TUI_REGISTRY_MIRRORS "
                          "to a mirror this machine reaches", source=url)
    except HTTPStatusError as exc:
        return PullStatus(image, ERROR, f"{image} not checked: the registry answered HTTP {exc.status}",
                          "retry later; the registry is having trouble", source=url)
    except NetworkError as exc:
        return PullStatus(image, OFFLINE, f"{image} not checked: {exc.message}",
                          "check the network path to the registry (proxy: HTTPS_PROXY), or set "
                          "GAIE_TUI_REGISTRY_MIRRORS to a mirror this machine reaches", source=url)
    if unpinned and status.state in (OK, MISSING_TAG):
        newest = status.tags[0] if status.tags else None
        what = f"`{ref.tag}`" if ref.tag else "no tag (the runtime pulls `latest`)"
        return PullStatus(image, UNPINNED, f"{image} uses {what}: it moves, so two pods (or two deploys) can run "
                          "different endpoint pickers, and the chart's RBAC may not match",
                          f"pin a release tag: {ref.name}:{newest} (the newest release)" if newest else
                          "pin a release tag (vX.Y.Z)", status.digest, status.source, status.with_secret, status.tags)
    return status


def _resolve(session: Upstream, ref: Reference, base: str, repo: Repository, url: str,
             credentials: CredentialSource | None) -> PullStatus:
    image = str(ref)
    response, refused = _ask(session, ref, url, repo, None)
    used = ""
    basic: str | None = None
    if refused and credentials is not None:
        found = credentials(ref.host)
        if found is not None:
            used, creds = found
            basic = creds.basic()
            del creds  # only the header lives on, for this lookup
            response, refused = _ask(session, ref, url, repo, basic)
    if response.status_code == 200:
        tags: tuple[str, ...] = ()
        if not ref.digest and chart_images.is_unpinned(ref.tag):  # to say which release to pin instead
            tags = _release_tags(session, ref, base, repo, basic)[1]
        return PullStatus(image, OK, f"{image} resolves" + (f" (with the credentials of secret {used})" if used
                                                              else " anonymously"),
                          digest=response.headers.get("docker-content-digest", ""), source=url, with_secret=used,
                          tags=tags)
    if refused:
        who = f"with the credentials of secret {used}" if used else "anonymously"
        return PullStatus(image, DENIED, f"{ref.name} does not answer {who} (HTTP {response.status_code}): the "
                          "repository is private, renamed or gone", "", source=url, with_secret=used)
    if response.status_code == 404:
        code, tags = _release_tags(session, ref, base, repo, basic)
        if code == 404:
            return PullStatus(image, MISSING_REPO, f"repository {ref.name} does not exist", "", source=url)
        if ref.digest:
            return PullStatus(image, MISSING_TAG, f"{image}: no manifest with digest {ref.digest}", "",
                              source=url, tags=tags)
        return PullStatus(image, MISSING_TAG, f"{image}: tag {ref.tag or 'latest'} does not exist in {ref.name}",
                          (f"existing release tags: {', '.join(tags[:5])}" if tags else ""), source=url, tags=tags)
    return PullStatus(image, ERROR, f"{image} not checked: the registry answered HTTP {response.status_code}",
                      "retry later", source=url)


# ---- credentials from image pull secrets ------------------------------------------------------------
def _host_matches(key: str, host: str) -> bool:
    k = key.lower().removeprefix("https://").removeprefix("http://").split("/")[0]
    if host == DOCKER_HUB:
        return k in ("docker.io", "index.docker.io", "registry-1.docker.io")
    return k == host


def credentials_in(docker_config: dict, host: str) -> Credentials | None:
    """The login for `host` in a .dockerconfigjson (`{"auths": {...}}`) or legacy .dockercfg."""
    auths = docker_config.get("auths", docker_config) if isinstance(docker_config, dict) else {}
    for key, entry in (auths or {}).items():
        if not isinstance(entry, dict) or not _host_matches(str(key), host):
            continue
        if entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            return Credentials(user, password)
        if entry.get("username") and entry.get("password"):
            return Credentials(str(entry["username"]), str(entry["password"]))
    return None


def secret_credentials(cluster, namespace: str, names: list[str]) -> CredentialSource:
    """A CredentialSource over image pull secrets in `namespace`. Nothing is read until a registry
    refuses an anonymous pull; then each named secret is read (the only time gaie-tui reads a
    secret's data) and its content dropped as soon as the login for that host is found."""
    def source(host: str) -> tuple[str, Credentials] | None:
        for name in names:
            try:
                secret = cluster.get(f"/api/v1/namespaces/{quote(namespace)}/secrets/{quote(name)}",
                                     what=f"read image pull secret {name}")
            except Exception:  # noqa: BLE001 - a secret we may not read is a secret we cannot use
                continue
            data = (secret or {}).get("data") or {}
            raw = data.get(".dockerconfigjson") or data.get(".dockercfg")
            del secret, data
            if not raw:
                continue
            try:
                config = json.loads(base64.b64decode(raw))
            except (ValueError, TypeError):
                continue
            finally:
                del raw
            creds = credentials_in(config, host)
            del config
            if creds is not None:
                return name, creds
        return None
    return source


# ---- what Setup offers --------------------------------------------------------------------------------
SUCCESSOR_NOTE = ("llm-d-router-gateway is the maintained successor of the inferencepool chart: its endpoint "
                  "picker (ghcr.io/llm-d/llm-d-router-endpoint-picker) is released together with it")


@dataclass(frozen=True)
class ImageChoice:
    image: str
    label: str                      # what it is, in a few words
    note: str = ""                  # skew, rename, successor
    pull: PullStatus | None = None  # None: not checked
    recommended: bool = False


@dataclass
class ImageChoices:
    family: str
    chart_version: str
    choices: list[ImageChoice] = field(default_factory=list)
    successor_note: str = ""


def newest_router_epp(session: Upstream | None) -> str:
    """The newest llm-d router EPP release tag: the registry, GitHub, the cache, else bundled data."""
    if session is not None:
        from .versions_report import endpoint_picker_versions
        answer = endpoint_picker_versions(session)
        if answer.newest:
            return answer.newest
    from .versions_report import load_bundled
    return versions.newest(load_bundled().epp_tags) or "v0.10.0"


def image_choices(family: str, chart_version: str, session: Upstream | None = None, *, check: bool = True,
                  credentials: CredentialSource | None = None) -> ImageChoices:
    """The EPP images that make sense for a chart version, each with its pull status (when
    `check` and a session are given). inferencepool: the EPP llm-d paired with that version, the
    chart's own default, the newest llm-d router EPP (with the skew note); llm-d-router-gateway: the
    EPP released with it."""
    out = ImageChoices(family, chart_version)
    if family == "llm-d-router-gateway":
        img, why = chart_images.default_image(family, chart_version)
        candidates = [(img.ref, why, "")]
    else:
        paired, why = chart_images.default_image(family, chart_version)
        newest = newest_router_epp(session if check else None)
        candidates = [
            (paired.ref, why, chart_images.RENAMED_NOTE if paired.repo == chart_images.RENAMED_REPO else ""),
            (f"{chart_images.GAIE_REPO}:{chart_version}", "the chart's own default endpoint picker",
             "made with this chart version: its RBAC and flags match"),
            (f"{chart_images.CURRENT_REPO}:{newest}", "the newest llm-d router endpoint picker",
             f"newer than inferencepool {chart_version}: made for llm-d-router-gateway, so the chart's RBAC and "
             "flags may not match it (chart/image skew is a known cause of `forbidden` crash loops)"),
        ]
        out.successor_note = SUCCESSOR_NOTE
    pulls = [pull_status(session, img, credentials=credentials) if check and session is not None else None
             for img, _, _ in candidates]
    first_ok = next((i for i, p in enumerate(pulls) if p is not None and p.ok), None)
    for i, ((img, label, note), pull) in enumerate(zip(candidates, pulls)):
        recommended = (i == first_ok) if first_ok is not None else (i == 0 and pull is None)
        out.choices.append(ImageChoice(img, label, note, pull, recommended))
    return out


def proposed(choices: ImageChoices) -> ImageChoice | None:
    """The choice Setup proposes by default: the recommended one when its registry said it pulls;
    otherwise (offline, or nothing was asked) the first one outside the renamed repository that
    did not fail — never an image known not to pull when another is offered."""
    for c in choices.choices:
        if c.recommended and c.pull is not None and c.pull.ok:
            return c
    for c in choices.choices:
        renamed = chart_images.Image.parse(c.image).repo == chart_images.RENAMED_REPO
        if not renamed and not (c.pull is not None and c.pull.failing):
            return c
    return None
