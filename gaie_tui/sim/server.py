"""`SimServer`: the emulator's HTTP server, its store, controllers and scenario, started in-process.

    with SimServer("llm-d-ready", ready_delay=0.2) as sim:
        sim.write_kubeconfig(path)       # or sim.kubeconfig() for the dict
        ... run helm / the kubernetes client against sim.url ...
        sim.reset("empty-cluster")        # fresh state in milliseconds, same port

Only 127.0.0.1 is served: the emulator has no real authentication and must never be reachable
from another machine.
"""
from __future__ import annotations

import logging
import secrets
import shutil
import ssl
import tempfile
import threading
import time
from collections import deque
from http.server import ThreadingHTTPServer
from pathlib import Path

from . import kubeconfig as kubeconfig_mod
from . import scenarios as scenarios_mod
from .controllers import Controllers
from .errors import ApiError
from .faults import Fault
from .http import ApiHandler
from .resources import Registry, ResourceType
from .store import Store

log = logging.getLogger("gaie_tui.sim")
ALLOWED_HOST = "127.0.0.1"
USER = "gaie-sim-admin"  # who the kubeconfig's credentials stand for, in RBAC messages
DEFAULT_READY_DELAY = 2.0
TLS_HANDSHAKE_TIMEOUT = 10.0  # a client that connects and says nothing is dropped after this
STOP_TIMEOUT = 5.0  # the longest stop() waits for the accept loop


class SimError(ValueError):
    """Bad emulator arguments (bind address, scenario name, port)."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    sim: SimServer
    # with TLS, each connection is wrapped in its own handler thread (finish_request), never the
    # listening socket: SSLSocket.accept() does the handshake on the accept loop's thread with no
    # timeout, so one client that connected and sent nothing stopped every other client and made
    # shutdown() wait for ever
    ssl_context: ssl.SSLContext | None = None

    def finish_request(self, request, client_address) -> None:
        if self.ssl_context is None:
            return super().finish_request(request, client_address)
        request.settimeout(TLS_HANDSHAKE_TIMEOUT)
        try:
            conn = self.ssl_context.wrap_socket(request, server_side=True)  # handshakes, or raises
        except OSError:  # ssl.SSLError, TimeoutError, a client that hung up: drop it quietly
            return
        try:
            conn.settimeout(None)  # as for plain HTTP: keep-alive and watch streams block in reads
            super().finish_request(conn, client_address)
        finally:
            self.shutdown_request(conn)  # `request` was detached into `conn`

    def handle_error(self, request, client_address) -> None:
        # socketserver prints a traceback to stderr for every dropped connection; clients hang up
        # on keep-alive connections all the time, and stderr may belong to the wizard's screen
        import sys
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            log.error("request from %s failed: %r", client_address, exc)
            self.sim.errors.append(repr(exc))


class SimServer:
    def __init__(self, scenario: str = scenarios_mod.DEFAULT_SCENARIO, *, host: str = ALLOWED_HOST,
                 port: int = 0, tls: bool = False, token: str | None = None,
                 ready_delay: float = DEFAULT_READY_DELAY, faults: tuple[Fault, ...] | None = None) -> None:
        if host != ALLOWED_HOST:
            raise SimError(f"the simulated cluster only binds {ALLOWED_HOST}, not {host!r}")
        if not 0 <= int(port) <= 65535:
            raise SimError(f"port {port} is out of range 0-65535")
        if ready_delay < 0:
            raise SimError("ready_delay cannot be negative")
        try:
            self.scenario = scenarios_mod.get(scenario)
        except KeyError as exc:
            raise SimError(str(exc.args[0])) from None
        self.host, self.port, self.tls = host, int(port), tls
        self.token = token or (secrets.token_urlsafe(24) if tls else None)
        self.ready_delay = ready_delay
        self.extra_faults = faults
        self.request_log: deque[str] = deque(maxlen=5000)
        self.errors: list[str] = []
        self.stopping = False
        self.generation = 0  # bumped on reset so open watch streams end
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp: Path | None = None
        self.ca_pem: bytes | None = None
        self.store: Store = Store(Registry())
        self.controllers: Controllers | None = None

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> SimServer:
        self._load(self.scenario)
        httpd = _HTTPServer((self.host, self.port), ApiHandler)
        httpd.sim = self
        if self.tls:
            from .tls import make_self_signed
            self._tmp = Path(tempfile.mkdtemp(prefix="gaie-sim-tls-"))
            pair = make_self_signed(self._tmp)
            self.ca_pem = pair.cert_pem
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(pair.cert, pair.key)
            httpd.ssl_context = ctx
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="gaie-sim-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; every wait is bounded, so this returns within seconds whatever clients do."""
        self.stopping = True
        if self.controllers:
            self.controllers.stop()
        self.store.close()
        if self._httpd:
            # BaseServer.shutdown() waits without a timeout for serve_forever to notice; wait for it
            # from a helper thread, so a stuck accept loop (a daemon thread) cannot hold up the caller
            waiter = threading.Thread(target=self._httpd.shutdown, name="gaie-sim-shutdown", daemon=True)
            waiter.start()
            waiter.join(STOP_TIMEOUT)
            if waiter.is_alive():
                log.warning("the simulated cluster's accept loop did not stop within %ss", STOP_TIMEOUT)
            self._httpd.server_close()
            self._httpd = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _load(self, scenario: scenarios_mod.Scenario) -> None:
        store = Store(Registry())
        faults = self.extra_faults if self.extra_faults is not None else scenario.faults
        controllers = Controllers(store, ready_delay=self.ready_delay, faults=faults)
        scenarios_mod.apply(scenario, store)
        controllers.settle()  # the scenario's cluster was already running: its pods are Ready now
        old_store, old_controllers = self.store, self.controllers
        self.store, self.controllers, self.scenario = store, controllers, scenario
        self.generation += 1
        controllers.start()
        if old_controllers:
            old_controllers.stop()
        old_store.close()

    def reset(self, scenario: str | None = None, *, ready_delay: float | None = None,
              faults: tuple[Fault, ...] | None = None) -> None:
        """Replace all state with a fresh copy of a scenario (the current one by default)."""
        try:
            chosen = scenarios_mod.get(scenario) if scenario else self.scenario
        except KeyError as exc:
            raise SimError(str(exc.args[0])) from None
        if ready_delay is not None:
            self.ready_delay = ready_delay
        self.extra_faults = faults
        self._load(chosen)

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The faults in force: the scenario's, or those given to the constructor / reset / set_faults."""
        return self.controllers.kubelet.faults if self.controllers else ()

    def set_faults(self, faults: tuple[Fault, ...]) -> None:
        """Change the faults at run time; they hit pods created from now on (and their logs)."""
        self.extra_faults = tuple(faults)
        if self.controllers:
            self.controllers.kubelet.faults = self.extra_faults

    def set_ready_delay(self, seconds: float) -> None:
        """How long pods created from now on take to become Ready."""
        if seconds < 0:
            raise SimError("ready_delay cannot be negative")
        self.ready_delay = seconds
        if self.controllers:
            self.controllers.kubelet.ready_delay = seconds

    # ---- facts for clients ---------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def kubeconfig(self, context: str = kubeconfig_mod.CONTEXT, namespace: str = "default") -> dict:
        return kubeconfig_mod.build(self.url, context=context, namespace=namespace, token=self.token,
                                    ca_pem=self.ca_pem)

    def write_kubeconfig(self, path: Path, context: str = kubeconfig_mod.CONTEXT,
                         namespace: str = "default") -> Path:
        return kubeconfig_mod.write_atomic(Path(path), self.kubeconfig(context, namespace))

    def wait_until_serving(self, timeout: float = 10.0) -> None:
        """Poll /readyz over a real socket, so callers know a client can connect."""
        import http.client
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.tls:
                    ctx = ssl.create_default_context(cadata=self.ca_pem.decode() if self.ca_pem else None)
                    conn = http.client.HTTPSConnection(self.host, self.port, timeout=2, context=ctx)
                else:
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                conn.request("GET", "/readyz")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SimError(f"the simulated cluster did not answer on {self.url} within {timeout}s")
            time.sleep(0.05)

    # ---- request-time hooks --------------------------------------------------------------
    def record(self, method: str, path: str, code: int) -> None:
        self.request_log.append(f"{method} {path} -> {code}")

    def authorized(self, header: str | None) -> bool:
        if self.token is None:
            return True
        # the auth scheme is case-insensitive (the client's in-cluster loader sends "bearer")
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() == "bearer" and secrets.compare_digest(value.strip(), self.token)

    def check_access(self, verb: str, rt: ResourceType, namespace: str, name: str, sub: str) -> None:
        rule = self.scenario.denies(verb, rt.group, rt.plural)
        if rule is None or rt.kind == "SelfSubjectAccessReview":
            return
        where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
        target = f'{rt.qualified} "{name}"' if name else rt.qualified
        raise ApiError.forbidden(f'{target} is forbidden: User "{USER}" cannot {verb} resource "{rt.plural}" '
                                 f'in API group "{rt.group}"{where}')

    def access_review(self, body: dict) -> dict:
        attrs = (body.get("spec") or {}).get("resourceAttributes") or {}
        rule = self.scenario.denies(attrs.get("verb", ""), attrs.get("group", ""), attrs.get("resource", ""))
        status = {"allowed": rule is None}
        if rule is None:
            status["reason"] = "allowed by the simulated cluster"
        else:
            status["denied"] = True
            status["reason"] = f"scenario {self.scenario.name!r} forbids {rule.verb} on {rule.resource}"
        return {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                "metadata": {"creationTimestamp": None}, "spec": body.get("spec") or {}, "status": status}
