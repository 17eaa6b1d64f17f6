"""Shared fixtures. Tests use the real chart archives from ../shared and the real helm binary."""
from __future__ import annotations

import faulthandler
import os
import shutil
import signal
from pathlib import Path

import pytest
from support import ALL_CHARTS, CHART_IDS, CHARTS, ROOT, SHARED, chart_archives  # noqa: F401

# dev.py sends SIGUSR1 to a run that outlives its deadline: every process (the controller and each
# xdist worker) writes where it hung to its own file, which dev.py prints (stderr is captured here)
if os.environ.get("GAIE_TUI_STACKS_DIR"):
    _stacks = open(Path(os.environ["GAIE_TUI_STACKS_DIR"]) / f"{os.getpid()}.txt", "w")  # noqa: SIM115 - open for the process's life
    faulthandler.register(signal.SIGUSR1, file=_stacks, all_threads=True)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): the real chart archives are needed")
    return SHARED


@pytest.fixture(scope="session")
def helm_bin() -> str:
    local = ROOT / ".tools" / "bin" / "helm"
    found = str(local) if local.exists() else shutil.which("helm")
    if not found:
        pytest.fail("no helm binary: run `python3 dev.py setup` (scripts/install-helm) first")
    return found


def pytest_collection_modifyitems(config, items):
    if not SHARED.is_dir():
        skip = pytest.mark.skip(reason=f"../shared is absent ({SHARED})")
        for item in items:
            if "shared_dir" in getattr(item, "fixturenames", ()):
                item.add_marker(skip)


# No test may reach the internet: unless a test points them elsewhere, registries and the GitHub
# API resolve to a closed port on loopback, so a forgotten mock fails fast instead of leaking.
_DEAD = "http://127.0.0.1:9"
os.environ.setdefault("GAIE_TUI_REGISTRY_MIRRORS", f"ghcr.io={_DEAD},registry.k8s.io={_DEAD}")
os.environ.setdefault("GAIE_TUI_GITHUB_API", _DEAD)
os.environ.setdefault("GAIE_TUI_GITHUB_RAW", _DEAD)
