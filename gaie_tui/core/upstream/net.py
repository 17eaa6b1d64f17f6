"""HTTP for the upstream sources: one place that knows timeouts, retries, proxies, CA bundles,
mirrors and whether we are offline.

httpx is imported inside functions: `gaie-tui --help` and the wizard's first frame must not pay
for it. Proxies (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY) come from httpx's `trust_env`;
SSL_CERT_FILE/SSL_CERT_DIR too. REQUESTS_CA_BUNDLE is what most corporate setups export (it is
what `requests` and pip read), so we honour it ourselves.
"""
from __future__ import annotations

import os
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:  # pragma: no cover - typing only
    import httpx

DEFAULT_GITHUB_API = "https://api.github.com"
DEFAULT_GITHUB_RAW = "https://raw.githubusercontent.com"
USER_AGENT = "gaie-tui (+https://github.com/kubernetes-sigs/gateway-api-inference-extension)"


class NetworkError(Exception):
    """The upstream could not be reached or did not answer usefully; callers fall back."""

    def __init__(self, message: str, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.url = url


class OfflineError(NetworkError):
    """Not tried at all: the session is offline (asked for, or the host failed before)."""


class HTTPStatusError(NetworkError):
    """The server answered, but not with what we asked for (404, 5xx after retries, ...)."""

    def __init__(self, message: str, url: str, status: int) -> None:
        super().__init__(message, url)
        self.status = status


@dataclass(frozen=True)
class Mirror:
    """Where requests for one registry host go instead: `base` is scheme://host[:port][/prefix]."""

    base: str

    @property
    def plain_http(self) -> bool:
        return self.base.startswith("http://")

    @property
    def host_and_prefix(self) -> str:
        """The mirror as helm wants it in an oci:// address (no scheme)."""
        return self.base.split("://", 1)[-1].rstrip("/")


@dataclass(frozen=True)
class Endpoints:
    """Where the network goes. Read once from the environment so a session is consistent."""

    github_api: str = DEFAULT_GITHUB_API
    github_raw: str = DEFAULT_GITHUB_RAW
    mirrors: dict[str, Mirror] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Endpoints:
        env = dict(os.environ if env is None else env)
        return cls(
            github_api=(env.get("GAIE_TUI_GITHUB_API") or DEFAULT_GITHUB_API).rstrip("/"),
            github_raw=(env.get("GAIE_TUI_GITHUB_RAW") or DEFAULT_GITHUB_RAW).rstrip("/"),
            mirrors=parse_mirrors(env.get("GAIE_TUI_REGISTRY_MIRRORS", "")),
        )

    def registry_location(self, host: str, path: str) -> tuple[str, str]:
        """(scheme://host[:port], repository path) to ask for `host/path`, mirror applied.

        The OCI API always lives at /v2/ of the mirror's host; a mirror's path prefix
        (harbor.corp/k8s) becomes the front of the repository name, as helm treats it too.
        """
        mirror = self.mirrors.get(host.lower())
        if mirror is None:
            return f"https://{host.lower()}", path
        scheme, _, rest = mirror.base.partition("://")
        mirror_host, _, prefix = rest.partition("/")
        prefix = prefix.strip("/")
        return f"{scheme}://{mirror_host}", f"{prefix}/{path}" if prefix else path


def parse_mirrors(text: str) -> dict[str, Mirror]:
    """`ghcr.io=http://127.0.0.1:5000,registry.k8s.io=harbor.example/k8s` → {host: Mirror}.

    A mirror without a scheme is HTTPS; a malformed entry is an error the user must see (a typo
    would otherwise silently send traffic to the public registry they meant to avoid).
    """
    from ..errors import UserError

    mirrors: dict[str, Mirror] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        host, sep, target = item.partition("=")
        host, target = host.strip().lower(), target.strip()
        if not sep or not host or not target or "/" in host:
            raise UserError(f"GAIE_TUI_REGISTRY_MIRRORS entry {item!r} is not host=mirror",
                            "use e.g. ghcr.io=http://127.0.0.1:5000,registry.k8s.io=https://harbor.example/k8s")
        if "://" not in target:
            target = "https://" + target
        if not target.startswith(("http://", "https://")):
            raise UserError(f"mirror {target!r} for {host} must be http:// or https://")
        mirrors[host] = Mirror(target.rstrip("/"))
    return mirrors


CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def ca_bundle(env: dict[str, str] | None = None) -> str | None:
    """A custom CA bundle file, if the environment names one (SSL_CERT_FILE wins, as in httpx)."""
    env = os.environ if env is None else env
    for name in CA_VARIABLES:
        if env.get(name):
            return env[name]
    return None


def _ssl_context(bundle: str) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=bundle)
    except (OSError, ssl.SSLError) as exc:
        from ..errors import UserError

        names = "/".join(n for n in CA_VARIABLES if os.environ.get(n) == bundle) or "the CA bundle"
        raise UserError(f"{names} names {bundle}, which is not a readable PEM CA bundle ({exc})",
                        "point it at your organisation's CA certificates, or unset it") from exc


def make_client(timeout: float = 10.0, connect_timeout: float = 5.0) -> httpx.Client:
    """An httpx client with our timeouts, redirects followed (renamed GitHub repositories answer
    301) and the environment's proxies and CA bundle."""
    import httpx

    verify: ssl.SSLContext | bool = True
    if bundle := ca_bundle():
        verify = _ssl_context(bundle)
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        follow_redirects=True,
        trust_env=True,
        verify=verify,
        headers={"User-Agent": USER_AGENT},
    )


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(response: httpx.Response) -> str | None:
    """The rel="next" target of a Link header, absolute (registries send it relative)."""
    m = _LINK_NEXT.search(response.headers.get("link", ""))
    return urljoin(str(response.url), m[1]) if m else None


@dataclass
class Http:
    """Requests with retries and per-host failure memory.

    After a connection to a host fails, that host is not tried again in this session (a bastion
    without internet must not wait for every timeout twice). When a connection has failed and
    none has succeeded, the session is offline: later hosts get one attempt without retries.
    """

    timeout: float = 10.0
    connect_timeout: float = 5.0
    retries: int = 2
    backoff: float = 0.3
    forced_offline: bool = False
    sleep: Callable[[float], None] = time.sleep
    unreachable: dict[str, str] = field(default_factory=dict)  # origin → why
    reached: set[str] = field(default_factory=set)
    _client: httpx.Client | None = field(default=None, repr=False)

    @property
    def offline(self) -> bool:
        return self.forced_offline or (bool(self.unreachable) and not self.reached)

    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = make_client(self.timeout, self.connect_timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                params: dict[str, str] | None = None) -> httpx.Response:
        """One request with retries (and growing backoff) on connection errors, timeouts and 5xx.
        Every answer below 500 is returned: callers read auth challenges, rate limits and 404s
        themselves. Raises NetworkError when there is no usable answer."""
        import httpx

        if self.forced_offline:
            raise OfflineError("offline (--offline)", url)
        host = origin(url)
        if host in self.unreachable:
            raise OfflineError(f"{host} could not be reached earlier: {self.unreachable[host]}", url)
        attempts = 1 + (0 if self.offline else self.retries)
        last: str = ""
        for attempt in range(attempts):
            if attempt:
                self.sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                response = self.client().request(method, url, headers=headers, params=params)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError,
                    httpx.UnsupportedProtocol) as exc:
                last = _describe(exc)
                continue
            except httpx.TimeoutException as exc:
                last = f"no answer within {self.timeout:g}s ({type(exc).__name__})"
                continue
            except httpx.TransportError as exc:
                last = _describe(exc)
                continue
            self.reached.add(host)
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                if attempt + 1 < attempts:
                    continue
                raise HTTPStatusError(f"{url} answered HTTP {response.status_code}", url,
                                      response.status_code)
            return response
        if host not in self.reached:
            self.unreachable[host] = last
        raise NetworkError(f"{host} could not be reached: {last}", url)


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
