"""Helpers shared by the emulator tests (imported by name: tests/sim is on sys.path under pytest)."""
from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes import client, config

from gaie_tui.sim.demo import simulated_cluster

FAST_READY = 0.15  # seconds until new pods are Ready: short, but long enough to see Pending first


@dataclass
class Helm:
    """The real helm binary pointed at a simulated cluster, with private cache/config/data/HOME."""
    binary: str
    cluster: object
    tmp: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBE"))}
        for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME", "HOME"):
            path = self.tmp / name.lower()
            path.mkdir(exist_ok=True)
            env[name] = str(path)
        env["KUBECACHEDIR"] = str(self.tmp / "kubecache")
        return env

    def run(self, *args: str, namespace: str = "llm-d", timeout: float = 120) -> subprocess.CompletedProcess:
        argv = [self.binary, "--kubeconfig", str(self.cluster.kubeconfig), "--kube-context", self.cluster.context,
                "--namespace", namespace, *args]
        return subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=timeout)

    def ok(self, *args: str, **kw) -> subprocess.CompletedProcess:
        proc = self.run(*args, **kw)
        assert proc.returncode == 0, (f"helm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}\n"
                                      f"requests:\n" + "\n".join(list(self.cluster.server.request_log)[-40:]))
        return proc

    def values_file(self, values: dict, name: str = "values.yaml") -> str:
        path = self.tmp / name
        path.write_text(json.dumps(values))  # JSON is YAML
        return str(path)


def raw(cluster, method: str, path: str, body=None, ctype: str = "application/json") -> tuple[int, dict]:
    """One HTTP request without a client library (plain-HTTP clusters only)."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(cluster.url + path, data=data, method=method, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def api_client(cluster) -> client.ApiClient:
    """A kubernetes ApiClient loaded from the cluster's kubeconfig, as a user's program would."""
    return config.new_client_from_config(config_file=str(cluster.kubeconfig), context=cluster.context)


# Fixtures (test modules import them by name; tests/sim has no conftest.py so that
# `from conftest import ALL_CHARTS` keeps meaning the suite's root conftest).
@pytest.fixture
def cluster():
    with simulated_cluster("llm-d-ready", ready_delay=FAST_READY) as c:
        yield c


@pytest.fixture
def helm(helm_bin: str, cluster, tmp_path: Path) -> Helm:
    return Helm(helm_bin, cluster, tmp_path)
