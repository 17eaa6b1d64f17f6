"""Running the real helm binary: argv lists (never a shell), its own process group, output streamed
line by line with timestamps (callback or async iterator), cancellation that stops helm and every
child, and a result with revision, status and duration. Failures get a plain explanation; the raw
output stays available. Everything shown or kept is redacted first.

helm never outlives gaie-tui: on Linux the kernel kills it when its parent dies (even by
`kill -9`, through the parent-death signal set before helm starts), and every helm still running
at exit has its process group stopped (`stop_all()`, registered with atexit).
"""
from __future__ import annotations

import asyncio
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import UserError
from ..redact import redact, redact_argv

MIN_VERSION = (3, 8, 0)  # OCI charts without the experimental flag
DEFAULT_WAIT = "5m0s"


class HelmMissing(UserError):
    pass


@dataclass(frozen=True)
class LogLine:
    ts: float      # epoch seconds
    stream: str    # stdout, stderr, or "gaie" for lines the engine adds
    text: str      # redacted

    def stamp(self) -> str:
        t = time.gmtime(self.ts)
        return time.strftime("%H:%M:%S", t) + f".{int(self.ts % 1 * 1000):03d}Z"


@dataclass(frozen=True)
class Explanation:
    kind: str      # helm-missing, helm-too-old, pull, render, timeout, hook, crd, unreachable,
                   # forbidden, pending, ownership, no-deployed, cancelled, failed
    message: str
    hint: str


@dataclass
class HelmResult:
    argv: list[str]                     # redacted
    returncode: int | None
    duration: float
    lines: list[LogLine] = field(default_factory=list)
    cancelled: bool = False
    timed_out: bool = False
    revision: int | None = None
    status: str = ""                    # the release status helm reports afterwards, when asked
    explanation: Explanation | None = None

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.cancelled

    @property
    def output(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["lines"] = [f"{ln.stamp()} {ln.stream}: {ln.text}" for ln in self.lines]
        return d


# ---- finding helm ----------------------------------------------------------------------------
CHECKOUT_HELM = Path(__file__).resolve().parents[3] / ".tools" / "bin" / "helm"


def locate_helm() -> str | None:
    """Where helm is, without judging it: GAIE_TUI_HELM, else PATH, else the `.tools/bin` a
    development checkout keeps (dev.py puts helm there rather than on the user's PATH)."""
    if explicit := os.environ.get("GAIE_TUI_HELM"):
        return explicit
    if found := shutil.which("helm"):
        return found
    return str(CHECKOUT_HELM) if CHECKOUT_HELM.is_file() else None


def find_helm() -> str:
    """The helm binary to run. Raises HelmMissing with what to do."""
    found = locate_helm()
    explicit = os.environ.get("GAIE_TUI_HELM")
    if explicit and not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
        raise HelmMissing(f"GAIE_TUI_HELM={explicit} is not an executable file",
                          "point it at a helm binary (v3.8 or newer) or unset it")
    if not found:
        raise HelmMissing("helm is not installed (not on PATH)",
                          "install helm v3.8+ (https://helm.sh/docs/intro/install/) or set GAIE_TUI_HELM; "
                          "`python3 dev.py setup` puts one in .tools/bin")
    return found


@lru_cache(maxsize=8)
def helm_version(binary: str) -> tuple[int, int, int]:
    try:
        out = subprocess.run([binary, "version", "--template", "{{.Version}}"], capture_output=True,
                             text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HelmMissing(f"cannot run {binary}: {exc}", "check the helm binary works: helm version") from None
    m = re.search(r"v?(\d+)\.(\d+)\.(\d+)", out.stdout)
    if not m:
        raise HelmMissing(f"{binary} did not report a version ({redact(out.stderr.strip())[:200]})",
                          "check the helm binary works: helm version")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def check_helm(binary: str | None = None) -> tuple[str, tuple[int, int, int]]:
    binary = binary or find_helm()
    version = helm_version(binary)
    if version < MIN_VERSION:
        v = ".".join(map(str, version))
        raise HelmMissing(f"helm v{v} is too old: OCI charts need helm v3.8 or newer",
                          "upgrade helm (v4 recommended) or set GAIE_TUI_HELM to a newer binary")
    return binary, version


def duration_seconds(text: str) -> float | None:
    """Seconds of a helm/Go duration such as 5m0s, 90s, 1h30m, 500ms (None when unreadable)."""
    total, pos = 0.0, 0
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text or ""):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]
        pos = m.end()
    return total if text and pos == len(text) else None


# ---- argv builders ---------------------------------------------------------------------------
def _values_args(values_files: str | list[str]) -> list[str]:
    """One `-f` per values layer, in order (later layers win, as helm merges them)."""
    files = [values_files] if isinstance(values_files, str) else list(values_files)
    return [arg for f in files for arg in ("-f", f)]


def upgrade_install_argv(helm: str, major: int, *, release: str, chart: str, version: str | None,
                         namespace: str, values_file: str | list[str], wait_timeout: str = DEFAULT_WAIT,
                         create_namespace: bool = False, kube_args: list[str] | None = None,
                         plain_http: bool = False) -> list[str]:
    argv = [helm, "upgrade", "--install", release, chart]
    if version and not os.path.exists(chart):  # helm ignores --version for local archives
        argv += ["--version", version]
    if plain_http:                              # an http:// registry mirror
        argv.append("--plain-http")
    argv += ["--namespace", namespace, *_values_args(values_file), "--wait", "--timeout", wait_timeout]
    argv.append("--rollback-on-failure" if major >= 4 else "--atomic")
    if create_namespace:
        argv.append("--create-namespace")
    return argv + list(kube_args or [])


def template_argv(helm: str, *, release: str, chart: str, version: str | None, namespace: str,
                  values_file: str | list[str], plain_http: bool = False) -> list[str]:
    argv = [helm, "template", release, chart, "--namespace", namespace, *_values_args(values_file)]
    if version and not os.path.exists(chart):
        argv += ["--version", version]
    if plain_http:
        argv.append("--plain-http")
    return argv


def rollback_argv(helm: str, major: int, release: str, namespace: str, revision: int | None = None,
                  kube_args: list[str] | None = None, wait_timeout: str = DEFAULT_WAIT) -> list[str]:
    argv = [helm, "rollback", release] + ([str(revision)] if revision else [])
    return argv + ["--namespace", namespace, "--wait", "--timeout", wait_timeout] + list(kube_args or [])


def uninstall_argv(helm: str, release: str, namespace: str, kube_args: list[str] | None = None,
                   wait_timeout: str = DEFAULT_WAIT) -> list[str]:
    return [helm, "uninstall", release, "--namespace", namespace, "--wait", "--timeout", wait_timeout] + \
        list(kube_args or [])


# ---- the process -----------------------------------------------------------------------------
_LIVE: set[HelmProcess] = set()
_LIVE_LOCK = threading.Lock()


def _parent_death_signal():
    """A preexec function asking the kernel to SIGKILL the child when gaie-tui dies (Linux
    prctl PR_SET_PDEATHSIG), or None where there is no such thing. Everything it needs is looked
    up here, before the fork: the child runs only the prctl call."""
    if not os.path.exists("/proc/self"):
        return None
    try:
        import ctypes
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig, sigkill = 1, int(signal.SIGKILL)

    def preexec() -> None:
        prctl(pr_set_pdeathsig, sigkill, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return preexec


def stop_all() -> None:
    """Stop every helm this process started and that still runs (its whole process group)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        proc._signal(signal.SIGKILL)


atexit.register(stop_all)


class HelmProcess:
    """One running helm. `on_line` is called from reader threads; `lines()` is an async iterator
    (replays lines seen before it was called). `cancel()` stops helm and its children."""

    def __init__(self, argv: list[str], *, on_line: Callable[[LogLine], None] | None = None,
                 env: dict[str, str] | None = None, timeout: float | None = None) -> None:
        self.argv = list(argv)
        self.shown_argv = redact_argv(self.argv)
        self._on_line = on_line
        self._env = env
        self._timeout = timeout
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._lines: list[LogLine] = []
        self._subscribers: list[Callable[[LogLine | None], None]] = []
        self._readers: list[threading.Thread] = []
        self._done = threading.Event()
        self._open_streams = 2
        self._start = 0.0
        self.cancelled = False
        self.timed_out = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> HelmProcess:
        self._start = time.monotonic()
        try:
            # helm's own process group (start_new_session): cancel() stops helm and its children
            # together; the parent-death signal stops helm even when gaie-tui is killed outright.
            # The preexec function runs only one C call in the child (it is set up before the fork).
            self._proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          stdin=subprocess.DEVNULL, env=self._env, start_new_session=True,
                                          preexec_fn=_parent_death_signal())
        except FileNotFoundError:
            raise HelmMissing(f"{self.argv[0]} not found", "install helm v3.8+ or set GAIE_TUI_HELM") from None
        except PermissionError:
            raise HelmMissing(f"{self.argv[0]} is not executable", "check the helm binary's permissions") from None
        with _LIVE_LOCK:
            _LIVE.add(self)
        for stream, pipe in (("stdout", self._proc.stdout), ("stderr", self._proc.stderr)):
            t = threading.Thread(target=self._read, args=(stream, pipe), daemon=True, name=f"helm-{stream}")
            t.start()
            self._readers.append(t)
        return self

    def _read(self, stream: str, pipe) -> None:
        for raw in iter(pipe.readline, b""):
            self._emit(LogLine(time.time(), stream, redact(raw.decode("utf-8", "replace").rstrip("\r\n"))))
        pipe.close()
        with self._lock:
            self._open_streams -= 1
            last = self._open_streams == 0
            if last:
                self._done.set()  # under the lock: lines() either sees done or gets the end marker
                subs = list(self._subscribers)
        if last:
            for sub in subs:
                sub(None)

    def _emit(self, line: LogLine | None) -> None:
        with self._lock:
            if line is not None:
                self._lines.append(line)
            subs = list(self._subscribers)
        if line is not None and self._on_line:
            try:
                self._on_line(line)
            except Exception:  # noqa: BLE001 - a UI callback must not kill the reader
                pass
        for sub in subs:
            sub(line)

    def note(self, text: str) -> None:
        """A line from the engine itself (e.g. "cancelling"), in the same stream."""
        self._emit(LogLine(time.time(), "gaie", redact(text)))

    def cancel(self, grace: float = 5.0) -> None:
        """SIGTERM to helm's process group, SIGKILL after `grace` seconds."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        self.cancelled = True
        self.note("cancelling: stopping helm and its children")
        self._signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
        # the group may still hold children after helm itself exits
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        if self._proc is None:
            return
        try:
            os.killpg(self._proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def wait(self) -> HelmResult:
        assert self._proc is not None, "start() first"
        try:
            self._proc.wait(self._timeout)
        except subprocess.TimeoutExpired:
            self.timed_out = True
            self.note(f"helm did not finish within {self._timeout:g}s; stopping it")
            self.cancel(grace=3.0)
            self._proc.wait()
        for t in self._readers:
            t.join(5)
        with _LIVE_LOCK:
            _LIVE.discard(self)
        # helm is gone; whatever it started in its group goes with it
        self._signal(signal.SIGKILL)
        rc = self._proc.returncode
        result = HelmResult(argv=self.shown_argv, returncode=rc, duration=time.monotonic() - self._start,
                            lines=list(self._lines), cancelled=self.cancelled, timed_out=self.timed_out)
        result.explanation = explain(result)
        return result

    async def lines(self) -> AsyncIterator[LogLine]:
        """Every line (already seen ones first) until helm closes its output; `wait()` need not
        have been called."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def push(line: LogLine | None) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, line)

        with self._lock:
            backlog = list(self._lines)
            done = self._done.is_set()
            if not done:
                self._subscribers.append(push)
        for line in backlog:
            yield line
        if done:
            return
        # backlog copy and subscription share one critical section with _emit: each line once
        while True:
            line = await queue.get()
            if line is None:
                return
            yield line


def run(argv: list[str], *, on_line: Callable[[LogLine], None] | None = None, timeout: float | None = None,
        env: dict[str, str] | None = None) -> HelmResult:
    """Run helm to completion (blocking)."""
    return HelmProcess(argv, on_line=on_line, timeout=timeout, env=env).start().wait()


def run_capture(argv: list[str], timeout: float = 60.0, input_text: str | None = None) -> tuple[int, str, str]:
    """Short helm queries (status, list, template): (returncode, stdout, stderr redacted).
    `input_text` goes to helm's standard input (values given as `-f -`)."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                             stdin=subprocess.DEVNULL if input_text is None else None, input=input_text,
                             start_new_session=True, preexec_fn=_parent_death_signal())
    except FileNotFoundError:
        raise HelmMissing(f"{argv[0]} not found", "install helm v3.8+ or set GAIE_TUI_HELM") from None
    except subprocess.TimeoutExpired:
        return 124, "", f"helm did not answer within {timeout:g}s"
    return out.returncode, out.stdout, redact(out.stderr)


def release_status(helm: str, release: str, namespace: str, kube_args: list[str]) -> dict | None:
    """`helm list` entry for the release (any live state; `--all` is gone in helm v4), or None:
    name, revision, status, chart. None also when helm could not ask: `release_row` tells them apart."""
    row, _err = release_row(helm, release, namespace, kube_args)
    return row


def release_row(helm: str, release: str, namespace: str, kube_args: list[str],
                timeout: float = 30.0) -> tuple[dict | None, str]:
    """(`helm list` row of the release or None when there is none, "") — or (None, why) when
    helm could not answer (cluster unreachable …): an unknown state is not an absent release."""
    rc, out, err = run_capture([helm, "list", "--namespace", namespace, "--deployed", "--failed", "--pending",
                                "--uninstalling", "--filter",
                                f"^{re.escape(release)}$", "--output", "json"] + kube_args, timeout=timeout)
    if rc != 0:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        return None, (lines[-1] if lines else f"helm list exited with {rc}")[:300]
    try:
        rows = json.loads(out or "[]")
    except ValueError:
        return None, "helm list answered with something that is not JSON"
    return next((r for r in rows if r.get("name") == release), None), ""


def get_values(helm: str, release: str, namespace: str, kube_args: list[str]) -> tuple[str | None, str]:
    """(the user-supplied values of a deployed release as YAML, "") or (None, why)."""
    rc, out, err = run_capture([helm, "get", "values", release, "--namespace", namespace, "--output", "yaml"]
                               + kube_args, timeout=30)
    return (out, "") if rc == 0 else (None, err.strip())


def get_manifest(helm: str, release: str, namespace: str, kube_args: list[str]) -> tuple[str | None, str]:
    rc, out, err = run_capture([helm, "get", "manifest", release, "--namespace", namespace] + kube_args, timeout=30)
    return (out, "") if rc == 0 else (None, err.strip())


# ---- release queries (day two) --------------------------------------------------------------
LIVE_STATES = ("--deployed", "--failed", "--pending", "--uninstalling")


def list_argv(helm: str, *, namespace: str | None = None, kube_args: list[str] | None = None,
              max_rows: int = 2000) -> list[str]:
    """`helm list` of every release in a live state; all namespaces when `namespace` is None."""
    scope = ["--all-namespaces"] if namespace is None else ["--namespace", namespace]
    return [helm, "list", *scope, *LIVE_STATES, "--max", str(max_rows), "--output", "json"] + list(kube_args or [])


def history_argv(helm: str, release: str, namespace: str, kube_args: list[str] | None = None,
                 max_rows: int = 256) -> list[str]:
    return [helm, "history", release, "--namespace", namespace, "--max", str(max_rows), "--output", "json"] + \
        list(kube_args or [])


def get_values_argv(helm: str, release: str, namespace: str, revision: int | None = None,
                    kube_args: list[str] | None = None) -> list[str]:
    """The user-supplied values of a revision (what `-f` gave), as JSON."""
    rev = ["--revision", str(revision)] if revision else []
    return [helm, "get", "values", release, "--namespace", namespace, *rev, "--output", "json"] + list(kube_args or [])


def get_manifest_argv(helm: str, release: str, namespace: str, revision: int | None = None,
                      kube_args: list[str] | None = None) -> list[str]:
    rev = ["--revision", str(revision)] if revision else []
    return [helm, "get", "manifest", release, "--namespace", namespace, *rev] + list(kube_args or [])


def query_json(argv: list[str], timeout: float = 60.0):
    """Run a helm query that prints JSON. Raises UserError with helm's own words when it fails."""
    rc, out, err = run_capture(argv, timeout=timeout)
    if rc != 0:
        last = next((ln for ln in reversed(err.splitlines()) if ln.strip()), f"exit {rc}")
        raise UserError(f"helm {argv[1]} failed: {last[:300]}", _query_hint(err))
    try:
        return json.loads(out or "null")
    except ValueError:
        raise UserError(f"helm {argv[1]} printed something that is not JSON", "check the helm binary (helm version)") \
            from None


def query_text(argv: list[str], timeout: float = 60.0) -> str:
    rc, out, err = run_capture(argv, timeout=timeout)
    if rc != 0:
        last = next((ln for ln in reversed(err.splitlines()) if ln.strip()), f"exit {rc}")
        raise UserError(f"helm {argv[1]} failed: {last[:300]}", _query_hint(err))
    return out


def _query_hint(err: str) -> str:
    res = HelmResult(argv=[], returncode=1, duration=0.0, lines=[LogLine(time.time(), "stderr", ln)
                                                                  for ln in err.splitlines()])
    ex = explain(res)
    if ex and ex.kind != "failed":
        return ex.hint
    if re.search(r"release: not found|not found", err):
        return "check the release name and namespace (gaie-tui releases --all-namespaces)"
    return "check helm can reach the cluster (helm list with the same --kube-context)"


# ---- explanations ----------------------------------------------------------------------------
# helm's words when it cannot reach a chart registry (OCI): the host is in the request it names
_REGISTRY = re.compile(r'\b(?:GET|HEAD|POST|Get|Head|Post)\s+"?(?:https?://)?([^/"\s]+)/v2/')

_RULES: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    ("pending", re.compile(r"another operation \(install/upgrade/rollback\) is in progress", re.I),
     "the release is stuck in a pending state from an earlier helm run that did not finish",
     "roll it back to its last good revision (helm rollback RELEASE -n NS), or uninstall it if it never "
     "deployed, then deploy again"),
    ("unreachable", re.compile(r"kubernetes cluster unreachable|connection refused|no such host", re.I),
     "helm could not reach the Kubernetes API", "check the kube context and that the cluster is up"),
    ("unauthorized", re.compile(r"\bUnauthorized\b|provide credentials", re.I),
     "the cluster rejected helm's credentials", "log in again / refresh the kubeconfig token"),
    ("crd", re.compile(r'no matches for kind "(\w+)" in version "([^"]+)"', re.I),
     "a resource kind the chart renders is not installed in the cluster (its CRD is missing)",
     "install the CRD first (e.g. the Gateway API Inference Extension CRDs for InferencePool, Istio for "
     "DestinationRule, the Prometheus operator for ServiceMonitor), or turn the feature off in the values"),
    ("forbidden", re.compile(r'cannot (\w+) resource "([\w.]+)"', re.I),
     "the Kubernetes user helm runs as is not allowed to do something the chart needs",
     "ask a cluster admin for a Role granting that verb on that resource in the namespace"),
    ("ownership", re.compile(r"exists and cannot be imported into the current release", re.I),
     "an object the chart renders already exists and belongs to another release (or to no release)",
     "give the object a unique name in the values (e.g. monitoring.prometheus.auth.secretName) or delete it"),
    ("no-deployed", re.compile(r"has no deployed releases", re.I),
     "the release exists but never deployed successfully", "uninstall it (helm uninstall) and deploy again"),
    ("hook", re.compile(r"(pre|post)-(install|upgrade|rollback|delete) hooks? failed|failed (pre|post)-\w+", re.I),
     "a chart hook (a Job helm runs around the install) failed", "read the hook Job's pod logs (kubectl logs job/…)"),
    ("timeout", re.compile(r"context deadline exceeded|timed out waiting for the condition|"
                           r"resource not ready, name: .*|client rate limiter Wait returned an error", re.I),
     "helm gave up waiting for the deployed objects to become ready",
     "look at the EPP pods (image pulls, crash loops, readiness); the verification below shows why"),
    ("pull", re.compile(r"failed to (do request|authorize|fetch)|not found.*(oci|registry)|"
                        r"unexpected status from|manifest unknown|failed to download|"
                        r"403 Forbidden|denied: ", re.I),
     "helm could not pull the chart from its registry",
     "check network access to the registry (or use a local archive with --chart PATH.tgz / GAIE_TUI_CHART_DIRS) "
     "and that the version exists"),
    ("render", re.compile(r"parse error|execution error at|template: |YAML parse error|error converting YAML|"
                          r"unable to build kubernetes objects|error validating data|"
                          r"is required|deprecated, migrate", re.I),
     "the chart could not be rendered with these values",
     "fix the values (the values checker's findings name the key); helm's message names the template and key"),
)


def registry_problem(text: str) -> Explanation | None:
    """helm could not reach or read the chart's registry (a pull, before any cluster call): said as
    that, with the host — never as an unreachable Kubernetes API."""
    m = _REGISTRY.search(text)
    if not m:
        return None
    host = m.group(1)
    return Explanation("pull", f"the chart registry {host} could not be reached or refused the chart",
                       "give a local chart archive (--chart PATH.tgz or a folder in GAIE_TUI_CHART_DIRS), use a "
                       "mirror (GAIE_TUI_REGISTRY_MIRRORS), or check network access to " + host)


def explain(result: HelmResult) -> Explanation | None:
    if result.cancelled and not result.timed_out:
        return Explanation("cancelled", "the deploy was cancelled; helm and its children were stopped",
                           "check the release state (a cancelled install can leave it pending-install) and "
                           "roll back or uninstall if needed")
    if result.timed_out:
        return Explanation("timeout", "helm did not finish in time and was stopped",
                           "look at the EPP pods; roll back if the release is left pending")
    if result.returncode == 0:
        return None
    text = "\n".join(ln.text for ln in result.lines if ln.stream != "stdout") or result.output
    if ex := registry_problem(text):
        return ex
    for kind, pattern, message, hint in _RULES:
        m = pattern.search(text)
        if m:
            if kind == "crd":
                message = f'the cluster does not serve kind {m.group(1)} in {m.group(2)}: its CRD is missing'
            elif kind == "forbidden":
                message = f"helm's user may not {m.group(1)} {m.group(2)} (RBAC forbids it)"
            return Explanation(kind, message, hint)
    last = next((ln.text for ln in reversed(result.lines) if ln.text.strip()), "")
    return Explanation("failed", f"helm failed (exit {result.returncode}): {last[:300]}",
                       "read helm's output above")
