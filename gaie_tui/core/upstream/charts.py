"""The chart archive of an exact version: a local file the user names, the cache, or `helm pull`.

helm does the pulling because it already knows registry logins (`helm registry login`), proxies
and CA settings; we only point it at the right address (a mirror from GAIE_TUI_REGISTRY_MIRRORS,
`--plain-http` for an http:// mirror) and check what arrives. Chart versions are immutable, so a
pulled archive is cached forever and identified by its sha256 digest; knowledge derived from it
can be cached under that digest (`session.cache.put("<kind>", archive.digest, value)`).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..charts import archive, safeyaml
from ..charts.refs import FAMILIES, ChartRef
from ..errors import UserError
from ..safeio import check_target, ensure_private_dir
from .cache import iso, parse_iso, write_atomic
from .net import NetworkError, origin
from .session import Upstream

HELM_TIMEOUT = 180  # seconds; a chart is ~100 kB, but a slow proxy or a registry login can take a while
HELM_TIMEOUT_SUSPECTED_OFFLINE = 30

# What helm prints when it could not talk to the registry at all (as opposed to "not found").
_NETWORK_TROUBLE = re.compile(
    r"connection refused|no such host|i/o timeout|dial tcp|network is unreachable|"
    r"tls handshake timeout|context deadline exceeded|connection reset|server misbehaving|"
    r"unexpected eof|\b50[0-4]\b|service unavailable|proxyconnect", re.I)


class ChartUnavailable(UserError):
    """The archive could not be obtained for want of network (or helm): callers may fall back to
    the values at the git tag or to bundled knowledge."""


class CorruptArchive(UserError):
    """A file that claims to be a chart archive is not one."""


@dataclass(frozen=True)
class ChartArchive:
    path: Path
    digest: str  # "sha256:<hex>" of the archive bytes (of the files, for a chart folder)
    source: str  # the oci:// reference pulled, "cache" or "local"
    fetched_at: datetime
    name: str  # from Chart.yaml: what the archive really is, whatever it was called
    version: str


@dataclass(frozen=True)
class ValuesText:
    """A chart version's values.yaml and where it came from."""

    text: str
    source: str  # oci reference, "cache", "local", or the raw URL at the git tag
    fetched_at: datetime
    digest: str | None  # the archive's digest; None when read from the git tag


# ---------------------------------------------------------------- checking an archive

def inspect_archive(path: Path) -> tuple[str, str, str]:
    """(name, version, digest) of a chart archive or chart folder; CorruptArchive otherwise.
    The archive is read once, streaming, under core.charts.archive's limits (members, sizes,
    names): every member is read, because a truncated download only fails when its end is reached."""
    path = Path(path)
    if path.is_dir():
        return _inspect_folder(path)
    if not path.is_file():
        raise UserError(f"chart archive {_shown(path)} does not exist", "check the path")
    try:
        with open(path, "rb") as fh:
            data = fh.read(archive.MAX_ARCHIVE_BYTES + 1)
    except OSError as exc:
        raise CorruptArchive(f"cannot read {_shown(path)}: {exc.strerror or exc}", "check the path") from None
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    try:
        files = archive.read_archive(data, _shown(path), keep=lambda n: n.count("/") == 1 and n.endswith("/Chart.yaml"))
    except archive.BadArchive as exc:
        detail = exc.detail or exc.message
        raise CorruptArchive(f"{_shown(path)} is not a chart archive: not a readable gzip-compressed tar ({detail})",
                             "delete it and pull the chart again, or name the right .tgz") from None
    except archive.UnsafeArchive as exc:
        raise CorruptArchive(exc.message, exc.hint) from None
    tops = sorted(n for n in files if n.count("/") == 1 and n.endswith("/Chart.yaml"))
    if not tops:
        raise CorruptArchive(f"{_shown(path)} is not a chart archive: it has no <chart>/Chart.yaml",
                             "a helm chart archive is what `helm package` or `helm pull` writes")
    name, version = _chart_meta(files[tops[0]], path)
    return name, version, digest


def _shown(path) -> str:
    from ..textsafe import visible
    return visible(str(path), one_line=True)


def _inspect_folder(path: Path) -> tuple[str, str, str]:
    chart = path / "Chart.yaml"
    if not chart.is_file():
        raise CorruptArchive(f"{_shown(path)} is not a chart folder: it has no Chart.yaml")
    try:
        files = archive.read_folder(path, _shown(path))
    except archive.UnsafeArchive as exc:
        raise CorruptArchive(exc.message, exc.hint) from None
    name, version = _chart_meta(files["Chart.yaml"], path)
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel] + b"\0")
    return name, version, "sha256:" + h.hexdigest()


def _chart_meta(chart_yaml: bytes, path: Path) -> tuple[str, str]:
    try:
        meta = safeyaml.load(chart_yaml.decode("utf-8", "replace"), "Chart.yaml")
    except safeyaml.ChartYamlError as exc:
        detail = exc.message.removeprefix("Chart.yaml ").removeprefix("Chart.yaml: ")
        what = "is not YAML" if "not valid YAML" in exc.message else "cannot be read"
        raise CorruptArchive(f"{_shown(path)} is not a chart archive: its Chart.yaml {what} ({detail})",
                             exc.hint) from None
    if not isinstance(meta, dict) or not meta.get("name") or not meta.get("version"):
        raise CorruptArchive(f"{_shown(path)} is not a chart archive: its Chart.yaml has no name and version")
    return str(meta["name"]), str(meta["version"])


def read_member(chart: ChartArchive, relative: str) -> str | None:
    """A file of the chart by its path inside the chart (`values.yaml`, `templates/x.yaml`),
    read under the archive limits."""
    if chart.path.is_dir():
        target = chart.path / relative
        if not target.is_file():
            return None
        with open(target, "rb") as fh:
            return fh.read(archive.MAX_MEMBER_BYTES + 1).decode("utf-8", "replace")
    try:
        files = archive.read_archive(chart.path, _shown(chart.path),
                                     keep=lambda n: n.count("/") >= 1 and n.split("/", 1)[1] == relative)
    except archive.BadArchive as exc:
        raise CorruptArchive(exc.message, exc.hint) from None
    for name, data in files.items():
        parts = name.split("/", 1)
        if len(parts) == 2 and parts[1] == relative:
            return data.decode("utf-8", "replace")
    return None


# ---------------------------------------------------------------- where an address really goes

@dataclass(frozen=True)
class PullTarget:
    address: str  # oci://… as helm gets it (mirror applied)
    plain_http: bool
    base_url: str  # scheme://host of what helm talks to, for offline bookkeeping


def pull_target(address: str, session: Upstream) -> PullTarget:
    """Apply GAIE_TUI_REGISTRY_MIRRORS to an oci:// address."""
    rest = address.removeprefix("oci://").strip("/")
    host, _, path = rest.partition("/")
    mirror = session.endpoints.mirrors.get(host.lower())
    if mirror is None:
        return PullTarget(f"oci://{rest}", False, f"https://{host.lower()}")
    return PullTarget(f"oci://{mirror.host_and_prefix}/{path}", mirror.plain_http, origin(mirror.base))


def _cache_folder(session: Upstream, address: str, version: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", address.removeprefix("oci://"))
    return session.cache.root / "charts" / safe / version


# ---------------------------------------------------------------- the entry point

def resolve_chart_archive(ref: ChartRef, session: Upstream) -> ChartArchive:
    """The archive of exactly `ref`: the local path it names, else the cache, else helm pull.

    Raises CorruptArchive for a file that is no chart, ChartUnavailable when the network (or
    helm) is missing, UserError when the registry has no such version.
    """
    if ref.path is not None:
        name, version, digest = inspect_archive(ref.path)
        mtime = datetime.fromtimestamp(ref.path.stat().st_mtime, UTC)
        return ChartArchive(ref.path, digest, "local", mtime, name, version)
    address, version = ref.oci_address, ref.version
    if not address or not version:
        raise UserError(f"chart reference {ref} has no registry address and version",
                        "use e.g. inferencepool@v1.5.0 or oci://host/path/chart@v1.5.0")
    folder = _cache_folder(session, address, version)
    if cached := _from_cache(folder):
        return cached
    return _pull(address, version, folder, session)


def _from_cache(folder: Path) -> ChartArchive | None:
    try:
        meta = json.loads((folder / "archive.json").read_text(encoding="utf-8"))
        path = folder / meta["file"]
        name, version, digest = inspect_archive(path)
    except (OSError, ValueError, KeyError, UserError):
        return None  # absent or damaged: pull again rather than trust it
    if digest != meta.get("digest"):
        return None
    return ChartArchive(path, digest, "cache", parse_iso(meta["fetched_at"]), name, version)


def _pull(address: str, version: str, folder: Path, session: Upstream) -> ChartArchive:
    target = pull_target(address, session)
    what = f"{address}@{version}"
    if session.http.forced_offline:
        raise ChartUnavailable(f"chart {what} is not in the cache and gaie-tui is offline",
                               "name a local archive (--chart ./chart.tgz) or run once with network")
    if target.base_url in session.http.unreachable:
        raise ChartUnavailable(f"chart {what}: {target.base_url} could not be reached earlier "
                               f"({session.http.unreachable[target.base_url]})",
                               "name a local archive (--chart ./chart.tgz) or set GAIE_TUI_REGISTRY_MIRRORS")
    helm = session.helm_binary()
    if not helm:
        raise ChartUnavailable(f"cannot pull {what}: no helm binary found",
                               "put helm (>= 3.8) on PATH or set GAIE_TUI_HELM to its path")
    ensure_private_dir(folder.parent)  # the cache is private: 0700 folders, whatever the umask
    work = Path(tempfile.mkdtemp(prefix=".pull-", dir=folder.parent))
    try:
        argv = [helm, "pull", target.address, "--version", version, "--destination", str(work)]
        if target.plain_http:
            argv.append("--plain-http")
        # Other hosts failed already: this one still gets its try (a mirror may be the only
        # thing reachable), but a short one, so an air-gapped machine does not wait minutes.
        timeout = HELM_TIMEOUT_SUSPECTED_OFFLINE if session.offline else HELM_TIMEOUT
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  env=_helm_env(), stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            session.http.unreachable.setdefault(target.base_url, f"helm pull took more than {timeout}s")
            raise ChartUnavailable(f"helm pull {target.address} --version {version} took more than "
                                   f"{timeout}s", "check the network or proxy") from exc
        except OSError as exc:
            raise ChartUnavailable(f"cannot run helm ({helm}): {exc}",
                                   "set GAIE_TUI_HELM to a working helm binary") from exc
        if done.returncode != 0:
            raise _pull_error(done.stderr, target, version, what, session)
        pulled = sorted(work.glob("*.tgz"))
        if len(pulled) != 1:
            raise CorruptArchive(f"helm pull {target.address} --version {version} wrote "
                                 f"{len(pulled)} archives into {work}, expected one")
        try:
            name, real_version, digest = inspect_archive(pulled[0])
        except CorruptArchive as exc:
            # The temporary file is gone when the user reads this: name what was pulled instead.
            where = f"what helm pulled from {target.address}:{version}"
            raise CorruptArchive(exc.message.replace(str(pulled[0]), where),
                                 "the registry or mirror serves a broken artifact under that tag") from exc
        if real_version != version:
            raise UserError(f"{target.address} answered {name} {real_version} when asked for {version}",
                            "the registry or mirror serves the wrong artifact under that tag")
        session.http.reached.add(target.base_url)
        # Replace, never delete first: a parallel run reading the folder sees either the old
        # pair or a digest mismatch (and pulls again), never a missing file.
        ensure_private_dir(folder)
        final = check_target(folder / pulled[0].name)  # never a link or device planted in the cache
        os.chmod(pulled[0], 0o600)
        os.replace(pulled[0], final)
        when = session.clock()
        source = f"{target.address}:{version}"
        write_atomic(folder / "archive.json", json.dumps(
            {"file": final.name, "digest": digest, "source": source, "fetched_at": iso(when)},
            indent=1).encode())
        return ChartArchive(final, digest, source, when, name, real_version)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _helm_env() -> dict[str, str]:
    env = dict(os.environ)
    # Go reads SSL_CERT_FILE; people behind TLS-inspecting proxies often only export
    # REQUESTS_CA_BUNDLE, so hand that to helm too.
    if not env.get("SSL_CERT_FILE"):
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            if env.get(name):
                env["SSL_CERT_FILE"] = env[name]
                break
    return env


def _pull_error(stderr: str, target: PullTarget, version: str, what: str, session: Upstream) -> UserError:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else "no error message"
    last = last.removeprefix("Error: ")
    if _NETWORK_TROUBLE.search(stderr):
        session.http.unreachable.setdefault(target.base_url, last[:200])
        return ChartUnavailable(f"helm could not reach {target.address}: {last}",
                                "check the network, HTTPS_PROXY, or set GAIE_TUI_REGISTRY_MIRRORS")
    if re.search(r"not found|manifest unknown|name unknown", stderr, re.I):
        name = target.address.rstrip("/").rsplit("/", 1)[-1]
        known = FAMILIES[name].released if name in FAMILIES else ()
        hint = f"known versions: {', '.join(known)}" if known else "check the version with `gaie-tui versions`"
        return UserError(f"{what}: version {version} not found at {target.address}", hint)
    if re.search(r"unauthorized|denied|forbidden|401|403", stderr, re.I):
        return UserError(f"{target.address} refused the pull: {last}",
                         "log in first: helm registry login <host>")
    return UserError(f"helm pull {target.address} --version {version} failed: {last}")


def resolve_values(ref: ChartRef, session: Upstream) -> ValuesText:
    """values.yaml of exactly this chart version: from the archive (local, cache, helm pull),
    else from the source repository at the release tag over HTTPS when the registry cannot be
    reached. Raises ChartUnavailable when neither works (callers then use bundled knowledge)."""
    from . import github

    try:
        archive = resolve_chart_archive(ref, session)
    except ChartUnavailable as first:
        family = ref.family
        if not family or not ref.version or family not in github.VALUES_AT_TAG:
            raise
        try:
            remote = github.values_at_tag(session, family, ref.version)
        except NetworkError as second:
            raise ChartUnavailable(f"{first.message}; the values at the git tag could not be read "
                                   f"either: {second.message}", first.hint) from second
        session.note(f"chart registry unreachable: values of {family} {ref.version} read from "
                     f"its git tag ({remote.url})")
        return ValuesText(remote.text, remote.source if remote.source == "cache" else remote.url,
                          remote.fetched_at, None)
    text = read_member(archive, "values.yaml")
    if text is None:
        raise CorruptArchive(f"{archive.path} has no values.yaml")
    return ValuesText(text, archive.source, archive.fetched_at, archive.digest)
