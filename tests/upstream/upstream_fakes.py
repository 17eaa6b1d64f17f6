"""Real HTTP servers on 127.0.0.1 that answer like GitHub and like an OCI registry.

They are deliberately small but speak the real protocols, so the production code (httpx) and the
real helm binary talk to them exactly as they would talk to api.github.com or ghcr.io.
"""
from __future__ import annotations

import hashlib
import io
import json
import select
import socket
import ssl
import subprocess
import tarfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms stalls
    app: App

    def log_message(self, *args) -> None:  # keep pytest output clean; requests are recorded
        pass

    def _dispatch(self) -> None:
        self.app.seen.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        status, headers, body = self.app.answer(self.command, self.path, self.headers)
        self.send_response(status)
        headers = dict(headers)
        headers.setdefault("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    do_GET = do_HEAD = do_POST = _dispatch

    def do_CONNECT(self) -> None:  # only the proxy tunnels
        self.app.seen.append(Seen("CONNECT", self.path, {k.lower(): v for k, v in self.headers.items()}))
        self.app.tunnel(self)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # clients that hang up (timeouts, retries) are part of the tests, not failures


class App:
    """Base: subclasses implement answer(method, path, headers) → (status, headers, body)."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._server: _Server | None = None
        self.scheme = "http"

    def answer(self, method: str, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def tunnel(self, handler: _Handler) -> None:
        handler.send_error(405)

    def start(self, tls: ssl.SSLContext | None = None) -> App:
        handler = type("Handler", (_Handler,), {"app": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self.scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


def _json(status: int, data, extra: dict[str, str] | None = None):
    body = json.dumps(data).encode()
    return status, {"Content-Type": "application/json", **(extra or {})}, body


# ---------------------------------------------------------------- GitHub

def release(tag: str, draft: bool = False, prerelease: bool = False) -> dict:
    return {"tag_name": tag, "draft": draft, "prerelease": prerelease, "name": tag}


class FakeGitHub(App):
    """api.github.com and raw.githubusercontent.com in one server.

    `mode`: "ok", "ratelimit" (403 + X-RateLimit-Remaining: 0), "error" (500 always),
    "slow" (sleeps `delay` seconds). `fail_first` answers that many 500s before behaving.
    `renamed` maps an old owner/repo to the new one: requests for the old name get a 301, as
    GitHub answers for renamed repositories.
    """

    def __init__(self) -> None:
        super().__init__()
        self.repos: dict[str, list[dict]] = {}
        self.latest: dict[str, str] = {}
        self.renamed: dict[str, str] = {}
        self.raw: dict[str, str] = {}  # "owner/repo/tag/path" → content
        self.mode = "ok"
        self.fail_first = 0
        self.delay = 0.0
        self.page_size = 100
        self.reset_epoch = 1_800_000_000

    def answer(self, method, path, headers):
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.fail_first > 0:
            self.fail_first -= 1
            return _json(500, {"message": "Server Error"})
        if self.mode == "error":
            return _json(502, {"message": "Bad Gateway"})
        if self.mode == "ratelimit":
            return _json(403, {"message": "API rate limit exceeded for 127.0.0.1."},
                         {"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "60",
                          "X-RateLimit-Reset": str(self.reset_epoch)})
        url = urlsplit(path)
        parts = url.path.strip("/").split("/")
        if parts[0] == "repos" and len(parts) >= 4:
            repo = f"{parts[1]}/{parts[2]}"
            if repo in self.renamed:
                new = self.renamed[repo]
                target = "/repos/" + new + "/" + "/".join(parts[3:]) + (f"?{url.query}" if url.query else "")
                return 301, {"Location": target, "Content-Type": "application/json"}, b'{"message":"Moved Permanently"}'
            if repo not in self.repos:
                return _json(404, {"message": "Not Found"})
            rels = self.repos[repo]
            if parts[3:] == ["releases", "latest"]:
                tag = self.latest.get(repo)
                match = [r for r in rels if r["tag_name"] == tag]
                return _json(200, match[0]) if match else _json(404, {"message": "Not Found"})
            if parts[3:] == ["releases"]:
                q = parse_qs(url.query)
                page = int(q.get("page", ["1"])[0])
                size = min(int(q.get("per_page", ["30"])[0]), self.page_size)
                chunk = rels[(page - 1) * size: page * size]
                extra = {}
                if page * size < len(rels):
                    extra["Link"] = (f'<{self.url}/repos/{repo}/releases?per_page={size}&page={page + 1}>; '
                                     f'rel="next"')
                return _json(200, chunk, extra)
        key = url.path.strip("/")
        if key in self.raw:
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, self.raw[key].encode()
        return _json(404, {"message": "Not Found"})


# ---------------------------------------------------------------- OCI registry

@dataclass
class Artifact:
    manifest: bytes
    digest: str
    blobs: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # digest → (media type, data)


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def chart_yaml(archive: bytes) -> dict:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.name.count("/") == 1 and member.name.endswith("/Chart.yaml"):
                return yaml.safe_load(tar.extractfile(member).read())
    raise ValueError("no Chart.yaml")


def chart_artifact(archive: bytes) -> Artifact:
    """The OCI artifact `helm push` would create for a chart archive."""
    config = json.dumps(chart_yaml(archive)).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": HELM_CONFIG, "digest": sha(config), "size": len(config)},
        "layers": [{"mediaType": HELM_LAYER, "digest": sha(archive), "size": len(archive)}],
    }).encode()
    return Artifact(manifest, sha(manifest), {sha(config): (HELM_CONFIG, config),
                                              sha(archive): (HELM_LAYER, archive)})


def image_artifact(tag: str) -> Artifact:
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"tag": tag}}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "config": {"mediaType": OCI_CONFIG, "digest": sha(config), "size": len(config)},
                           "layers": []}).encode()
    return Artifact(manifest, sha(manifest), {sha(config): (OCI_CONFIG, config)})


class FakeRegistry(App):
    """The OCI distribution endpoints that tag listing and `helm pull` need.

    With `auth` on, every /v2/ request without the token gets 401 and a Bearer challenge pointing
    at this server's /token, like ghcr.io does for anonymous pulls.
    """

    TOKEN = "anonymous-pull-token"

    def __init__(self, auth: bool = True) -> None:
        super().__init__()
        self.auth = auth
        self.repos: dict[str, dict[str, Artifact]] = {}
        self.page_size = 100
        self.broken = False  # answer 503 everywhere
        self.realm_base = ""  # where the challenge sends clients for tokens (default: this server)

    def add_chart(self, repo: str, tag: str, archive: bytes) -> Artifact:
        art = chart_artifact(archive)
        self.repos.setdefault(repo, {})[tag] = art
        return art

    def add_raw_chart(self, repo: str, tag: str, config: dict, layer: bytes) -> Artifact:
        """A chart artifact whose layer is whatever bytes the test wants (a broken upload)."""
        cfg = json.dumps(config).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": HELM_CONFIG, "digest": sha(cfg), "size": len(cfg)},
            "layers": [{"mediaType": HELM_LAYER, "digest": sha(layer), "size": len(layer)}],
        }).encode()
        art = Artifact(manifest, sha(manifest), {sha(cfg): (HELM_CONFIG, cfg), sha(layer): (HELM_LAYER, layer)})
        self.repos.setdefault(repo, {})[tag] = art
        return art

    def add_image_tags(self, repo: str, tags: list[str]) -> None:
        for tag in tags:
            self.repos.setdefault(repo, {})[tag] = image_artifact(tag)

    def _challenge(self, repo: str):
        scope = f"repository:{repo}:pull" if repo else ""
        value = f'Bearer realm="{self.realm_base or self.url}/token",service="fake-registry"'
        if scope:
            value += f',scope="{scope}"'
        return _json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                     {"WWW-Authenticate": value, "Docker-Distribution-API-Version": "registry/2.0"})

    def answer(self, method, path, headers):
        if self.broken:
            return _json(503, {"errors": [{"code": "UNAVAILABLE"}]})
        url = urlsplit(path)
        if url.path == "/token":
            return _json(200, {"token": self.TOKEN, "access_token": self.TOKEN, "expires_in": 300})
        if not url.path.startswith("/v2/"):
            return _json(404, {})
        rest = url.path[len("/v2/"):]
        repo = ""
        for marker in ("/tags/list", "/manifests/", "/blobs/"):
            if marker in rest:
                repo = rest.split(marker)[0]
        if self.auth and headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return self._challenge(repo)
        if rest == "":
            return _json(200, {}, {"Docker-Distribution-API-Version": "registry/2.0"})
        if repo not in self.repos:
            return _json(404, {"errors": [{"code": "NAME_UNKNOWN", "message": f"repository {repo} not known"}]})
        arts = self.repos[repo]
        if rest.endswith("/tags/list"):
            q = parse_qs(url.query)
            n = min(int(q.get("n", [str(self.page_size)])[0]), self.page_size)
            last = q.get("last", [""])[0]
            names = sorted(arts)
            after = [t for t in names if t > last] if last else names
            page = after[:n]
            extra = {}
            if len(after) > n:
                extra["Link"] = f'</v2/{repo}/tags/list?n={n}&last={page[-1]}>; rel="next"'
            return _json(200, {"name": repo, "tags": page}, extra)
        if "/manifests/" in rest:
            ref = rest.split("/manifests/")[1]
            art = arts.get(ref) or next((a for a in arts.values() if a.digest == ref), None)
            if art is None:
                return _json(404, {"errors": [{"code": "MANIFEST_UNKNOWN"}]})
            return 200, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": art.digest}, art.manifest
        if "/blobs/" in rest:
            digest = rest.split("/blobs/")[1]
            for art in arts.values():
                if digest in art.blobs:
                    media, data = art.blobs[digest]
                    return 200, {"Content-Type": "application/octet-stream",
                                 "Docker-Content-Digest": digest}, data
            return _json(404, {"errors": [{"code": "BLOB_UNKNOWN"}]})
        return _json(404, {})


class Redirector(App):
    """A registry front that sends every request to another server, like registry.k8s.io sends
    clients to a regional backend."""

    def __init__(self, target: App, status: int = 307) -> None:
        super().__init__()
        self.target, self.status = target, status

    def answer(self, method, path, headers):
        return self.status, {"Location": self.target.url + path}, b""


# ---------------------------------------------------------------- forward proxy

class RecordingProxy(App):
    """A forward proxy that records what it is asked for. Plain-HTTP requests (absolute-form
    `GET http://host/path`) are answered by `upstream` (an App) by path; CONNECT tunnels go to
    `tunnel_port` on 127.0.0.1 whatever host was named. A test can thus prove traffic went through
    the proxy even for host names that do not resolve."""

    def __init__(self, upstream: App | None = None, tunnel_port: int | None = None) -> None:
        super().__init__()
        self.upstream = upstream
        self.tunnel_port = tunnel_port

    def answer(self, method, path, headers):
        if self.upstream is None:
            return _json(502, {"message": "no upstream"})
        url = urlsplit(path)
        relay = url.path + (f"?{url.query}" if url.query else "")
        return self.upstream.answer(method, relay, headers)

    def tunnel(self, handler) -> None:
        if self.tunnel_port is None:
            handler.send_error(502)
            return
        with socket.create_connection(("127.0.0.1", self.tunnel_port)) as remote:
            handler.send_response(200, "Connection established")
            handler.end_headers()
            client = handler.connection
            handler.close_connection = True
            while True:
                ready, _, _ = select.select([client, remote], [], [], 5)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (remote if sock is client else client).sendall(data)


def self_signed(folder: Path, *names: str) -> tuple[Path, Path]:
    """A certificate for `names` (and 127.0.0.1) that is its own CA, made with the openssl CLI."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    san = ",".join([*(f"DNS:{n}" for n in names), "IP:127.0.0.1"])
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=gaie-tui test CA",
                    "-addext", f"subjectAltName={san}",
                    "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True)
    return cert, key


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


# ---------------------------------------------------------------- test data

EPP_REPO_PATH = "llm-d/llm-d-router-endpoint-picker"
CHART_REPOS = {
    "inferencepool": "gateway-api-inference-extension/charts/inferencepool",
    "llm-d-router-gateway": "llm-d/charts/llm-d-router-gateway",
}
EPP_TAGS = ["v0.9.0", "v0.10.0", "gaie-1.5-sync", "v0.10.1-rc.1", "v0.3.2-with-sidecar-fix",
            "latest", "main", "v0.2.0-RC1", "v0.8.0"]
GITHUB_RELEASES = [release("v0.11.0-rc.1", prerelease=True), release("v0.12.0", draft=True),
                   release("v0.10.0"), release("gaie-1.5-sync"), release("v0.9.0"),
                   release("v0.3.2-with-sidecar-fix"), release("v0.8.0")]
