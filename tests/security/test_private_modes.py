"""Issue 12 #9: what gaie-tui keeps for itself (caches, logs, records, extracted charts, the
emulator's kubeconfig) is 0600 in 0700 folders even under the common umask 022, where a plain
writer leaves everything world-readable."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from support import CHARTS

from gaie_tui.core import paths


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def assert_private(root: Path) -> int:
    """Every folder under root 0700, every file 0600; the number of files seen."""
    seen = 0
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700, root
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, d)).st_mode) == 0o700, os.path.join(dirpath, d)
        for f in files:
            assert stat.S_IMODE(os.stat(os.path.join(dirpath, f)).st_mode) == 0o600, os.path.join(dirpath, f)
            seen += 1
    return seen


def test_knowledge_cache(umask_022, tmp_path):
    from gaie_tui.core.charts.refs import parse_ref
    from gaie_tui.core.charts.store import KnowledgeStore
    KnowledgeStore().get(parse_ref(str(CHARTS / "inferencepool-v1.4.0.tgz")))
    assert assert_private(paths.cache_dir()) >= 1


def test_upstream_answer_cache(umask_022, tmp_path):
    from gaie_tui.core.upstream.cache import Cache
    Cache(tmp_path / "c" / "gaie-tui").put("tags", "ghcr.io/x", ["v1.0.0"])
    assert assert_private(tmp_path / "c" / "gaie-tui") == 1


def test_error_log(umask_022):
    from gaie_tui.core.errorlog import write_error_log
    try:
        raise RuntimeError("boom hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567")
    except RuntimeError as exc:
        path = write_error_log(exc)
    assert path is not None and assert_private(path.parent) == 1
    assert "hf_AbCd" not in path.read_text() and "[REDACTED]" in path.read_text()


def test_deep_check_extraction(umask_022):
    from gaie_tui.core.check.deep import chart_dir
    top = chart_dir(CHARTS / "inferencepool-v1.3.0.tgz")
    assert assert_private(top.parent) >= 5
    assert (top / "Chart.yaml").is_file() and (top / "templates").is_dir()


def test_deploy_record(umask_022, tmp_path):
    # core/deploy/record.py belongs to the engine's rewrite; its writer goes through core.safeio
    from gaie_tui.core.deploy.record import Record
    rec = Record(tmp_path / "records", "gaie")
    rec.write_values("a: 1\n")
    rec.log("00:00", "stdout", "line")
    rec.save({"status": "verified"})
    rec.close()
    assert assert_private(tmp_path / "records") == 4


def test_emulator_kubeconfig(umask_022, tmp_path):
    from gaie_tui.sim.kubeconfig import build, write_atomic
    path = write_atomic(tmp_path / "kc" / "config", build("http://127.0.0.1:1", token="t"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
