"""`simulated_cluster()`: the emulator plus a temporary kubeconfig, for `gaie-tui demo` and tests.

    with simulated_cluster("llm-d-ready", ready_delay=0.3) as cluster:
        run_helm(["--kubeconfig", str(cluster.kubeconfig), "--kube-context", cluster.context, ...])
        cluster.server.reset("epp-crashloop")

The kubeconfig lives in a private temp folder (never ~/.kube) that is removed on exit.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .faults import Fault
from .kubeconfig import CONTEXT
from .scenarios import DEFAULT_SCENARIO
from .server import DEFAULT_READY_DELAY, SimServer


@dataclass(frozen=True)
class SimulatedCluster:
    server: SimServer
    kubeconfig: Path
    context: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def scenario(self) -> str:
        return self.server.scenario.name


@contextmanager
def simulated_cluster(scenario: str = DEFAULT_SCENARIO, *, tls: bool = False,
                      ready_delay: float = DEFAULT_READY_DELAY, namespace: str = "default",
                      faults: tuple[Fault, ...] | None = None, context: str = CONTEXT) -> Iterator[SimulatedCluster]:
    tmp = Path(tempfile.mkdtemp(prefix="gaie-sim-"))
    server = SimServer(scenario, tls=tls, ready_delay=ready_delay, faults=faults)
    try:
        server.start()
        server.wait_until_serving()
        path = server.write_kubeconfig(tmp / "kubeconfig", context=context, namespace=namespace)
        yield SimulatedCluster(server, path, context)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
