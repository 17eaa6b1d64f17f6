"""Fixtures for the UI tests: isolated XDG folders, the wizard against the project's cluster
emulator with the real helm and the real chart archives, and what snapshots need to be stable."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from support import CHARTS
from uihelp import make_app

from gaie_tui.core.session import Session

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    for name in ("CONFIG", "CACHE", "STATE"):
        d = tmp_path / name.lower()
        d.mkdir()
        monkeypatch.setenv(f"GAIE_TUI_{name}_DIR", str(d))
    monkeypatch.delenv("LLMDBENCH_VLLM_COMMON_NAMESPACE", raising=False)
    for name in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    yield


@pytest.fixture
def app_factory():
    return make_app


@pytest.fixture
def offline():
    """No cluster (values and review only); upstream answers from bundled data."""
    return Session(offline=True)


@pytest.fixture
def charts_env(shared_dir, helm_bin, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(shared_dir / "charts"))
    monkeypatch.setenv("GAIE_TUI_HELM", helm_bin)
    monkeypatch.setenv("PATH", f"{os.path.dirname(helm_bin)}{os.pathsep}{os.environ['PATH']}")
    from gaie_tui.core.cluster import helm as helm_mod
    helm_mod.helm_version.cache_clear()


@pytest.fixture
def sim(request, charts_env, tmp_path, monkeypatch):
    """(session, cluster): the wizard's session against the emulator (scenario: the `sim` param,
    default llm-d-ready), records under tmp_path/records."""
    from gaie_tui.sim.demo import simulated_cluster
    scenario = getattr(request, "param", "llm-d-ready")
    with simulated_cluster(scenario, ready_delay=0.2, namespace="llm-d") as sc:
        monkeypatch.setenv("KUBECONFIG", str(sc.kubeconfig))
        session = Session(kubeconfig=str(sc.kubeconfig), context=sc.context, record_dir=tmp_path / "records")
        session.wait_timeout = "20s"     # a faulty scenario makes helm --wait give up quickly
        session.verify_wait = 20.0
        session.observe_interval = 0.3
        yield session, sc
        session.close()


# ---- snapshots ------------------------------------------------------------------------------------
SNAPSHOT_ROOT = Path("/tmp/gaie-tui-snapshots")   # fixed: paths appear on the screens

HELM_WRAPPER = """#!{python}
# the real helm; only its wall-clock line is made stable for screen snapshots
import subprocess, sys
proc = subprocess.Popen([{helm!r}] + sys.argv[1:], stdout=subprocess.PIPE)
for line in iter(proc.stdout.readline, b""):
    if line.startswith(b"LAST DEPLOYED:"):
        line = b"LAST DEPLOYED: (time of the deploy)\\n"
    sys.stdout.buffer.write(line)
    sys.stdout.flush()
sys.exit(proc.wait())
"""


@pytest.fixture
def snapshot_env(shared_dir, helm_bin, monkeypatch):
    """The emulator, the real helm and the real archive at fixed paths, a seeded pod-name
    generator and a fixed record time: what a screen shows is the same on every run."""
    import random
    import types

    from gaie_tui.core.deploy import record as record_mod
    from gaie_tui.sim import controllers
    from gaie_tui.sim.server import SimServer
    shutil.rmtree(SNAPSHOT_ROOT, ignore_errors=True)
    (SNAPSHOT_ROOT / "charts").mkdir(parents=True)
    shutil.copy(shared_dir / "charts" / "inferencepool-v1.5.0.tgz", SNAPSHOT_ROOT / "charts")
    wrapper = SNAPSHOT_ROOT / "helm"
    wrapper.write_text(HELM_WRAPPER.format(python=sys.executable, helm=helm_bin))
    wrapper.chmod(0o755)
    monkeypatch.setenv("GAIE_TUI_CHART_DIRS", str(SNAPSHOT_ROOT / "charts"))
    monkeypatch.setenv("GAIE_TUI_HELM", str(wrapper))
    from gaie_tui.core.cluster import helm as helm_mod
    helm_mod.helm_version.cache_clear()
    monkeypatch.setattr(controllers, "random", types.SimpleNamespace(Random=lambda: random.Random(7)))
    monkeypatch.setattr(record_mod, "utc_stamp", lambda ts=None: "20270101T000000Z")
    server = SimServer("llm-d-ready", ready_delay=0.2)
    server.start()
    server.wait_until_serving()
    kubeconfig = server.write_kubeconfig(SNAPSHOT_ROOT / "kubeconfig", namespace="llm-d")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    session = Session(kubeconfig=str(kubeconfig), context="gaie-sim", record_dir=SNAPSHOT_ROOT / "records")
    session.upstream_offline = True        # versions from bundled data: the same answer on every run
    session.wait_timeout = "30s"
    session.verify_wait = 30.0
    session.observe_interval = 0.3
    yield session
    session.close()
    server.stop()
    shutil.rmtree(SNAPSHOT_ROOT, ignore_errors=True)


__all__ = ["CHARTS"]
