"""`gaie-tui sim`: run the simulated cluster in the foreground until interrupted."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from ..core.errors import UserError
from ..core.textsafe import visible


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..sim.scenarios import DEFAULT_SCENARIO, SCENARIOS
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="NAME",
                        help=f"cluster contents (default {DEFAULT_SCENARIO}); one of: {', '.join(sorted(SCENARIOS))}")
    parser.add_argument("--port", type=int, default=0, metavar="N", help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--kubeconfig-out", metavar="FILE",
                        help="write a kubeconfig for the cluster here once it answers")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed certificate and a token")
    parser.add_argument("--ready-delay", type=float, default=2.0, metavar="SECONDS",
                        help="how long new pods take to become Ready (default 2)")
    parser.add_argument("--list-scenarios", action="store_true", help="list the scenarios and exit")


def run(args: argparse.Namespace) -> int:
    from ..sim import scenarios
    from ..sim.server import SimError, SimServer
    from ..sim.tls import TlsUnavailable

    if args.list_scenarios:
        for name in sorted(scenarios.SCENARIOS):
            print(f"{name:24} {scenarios.SCENARIOS[name].description}")
        return 0
    if args.scenario not in scenarios.SCENARIOS:
        raise UserError(f"unknown scenario {args.scenario!r}",
                        f"choose one of: {', '.join(sorted(scenarios.SCENARIOS))}")
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port} is out of range", "use 0 (a free port) or 1-65535")
    if args.ready_delay < 0:
        raise UserError("--ready-delay cannot be negative")
    out = Path(args.kubeconfig_out).expanduser() if args.kubeconfig_out else None
    if out is not None:
        from ..core.safeio import check_target
        check_target(out)  # a folder, link, FIFO or device in the way is refused before the server starts
    # Ctrl-C and SIGTERM only note the request; the main loop stops the server. Both handlers are
    # installed explicitly, before the server starts: a shell without job control (a script's
    # `cmd &`) starts background commands with SIGINT ignored, and Python then never raises
    # KeyboardInterrupt, so an inherited SIG_IGN made the server deaf to Ctrl-C / `kill -INT`.
    # The handlers take no lock (Event.set() in a handler can deadlock on the Event's own lock
    # when the signal lands while the main thread holds it inside Event.wait()).
    requested: list[int] = []
    previous = _install_stop_handlers(requested)
    try:
        try:
            server = SimServer(args.scenario, port=args.port, tls=args.tls, ready_delay=args.ready_delay)
            server.start()
        except (SimError, TlsUnavailable) as exc:
            raise UserError(str(exc)) from None
        except OSError as exc:
            raise UserError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
        try:
            server.wait_until_serving()
            if out is not None:
                try:
                    server.write_kubeconfig(out)
                except OSError as exc:
                    raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
            print(f"simulated cluster ({args.scenario}) serving {server.url}", flush=True)
            if out is not None:
                print(f"kubeconfig: {visible(str(out), one_line=True)} (context {server.kubeconfig()['current-context']})",
                      flush=True)
            print("press Ctrl-C to stop", flush=True)
            while not requested:
                time.sleep(0.2)  # a handler that returns does not cut a sleep short (PEP 475): 0.2 s lag at most
        finally:
            server.stop()  # bounded: returns within seconds whatever the clients are doing
    finally:
        _restore_handlers(previous)
    print("simulated cluster stopped", file=sys.stderr)
    return 0


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _install_stop_handlers(requested: list[int]) -> dict:
    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread may set handlers; an embedding caller handles signals itself
    return {sig: signal.signal(sig, lambda signum, _frame: requested.append(signum)) for sig in _STOP_SIGNALS}


def _restore_handlers(previous: dict) -> None:
    for sig, handler in previous.items():
        if handler is not None:  # None: installed outside Python, cannot be put back
            signal.signal(sig, handler)
