"""The engine by phases (as the wizard runs it), the record from approval on, and the truth when the
cluster goes away: an unknown release state is said as unknown, helm's --timeout bounds the deploy
step, and a watchdog stop is a timeout, not a cancel."""
from __future__ import annotations

import json
import re
import threading
import time

import pytest
from enginehelp import READY_DELAY, chart_for, values_for

from gaie_tui.core.deploy.engine import DEPLOY_GRACE, PHASES, DeployEngine
from gaie_tui.core.deploy.plan import make_plan
from gaie_tui.sim.demo import simulated_cluster

REF = "inferencepool@v1.5.0"
pytestmark = pytest.mark.xdist_group("engine-phases")


def _plan(sc, chart, **kw):
    return make_plan(chart, values_for(chart), release="gaie", namespace="llm-d", kubeconfig=str(sc.kubeconfig),
                     context=sc.context, wait_timeout=kw.pop("wait_timeout", "20s"), **kw)


def test_phase_by_phase_run_waits_for_approval_and_records_from_it(tmp_path):
    chart = chart_for(REF)
    events = []
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        engine = DeployEngine(_plan(sc, chart), chart=chart, record_parent=tmp_path / "rec", verify_wait=15,
                              on_event=events.append, observe_interval=0.3)
        out = engine.run(until="deploy")             # Review: stops at the approval
        assert out.status == "awaiting-approval" and engine.done == ["plan", "render", "preflight"]
        assert not (tmp_path / "rec").exists(), "no record before approval"
        assert [c.id for c in out.preflight][:2] == ["render", "values"]
        assert not [r for r in sc.server.request_log if r.startswith(("PUT", "PATCH", "DELETE"))]
        time.sleep(0.05)
        engine.approve("the wizard (confirmed)")
        out = engine.run(until="deploy")             # Deploy screen
        assert engine.done[-1] == "deploy" and out.status == "in-progress"
        (folder,) = (tmp_path / "rec").iterdir()
        data = json.loads((folder / "record.json").read_text())
        assert data["status"] == "in-progress" and data["approved_by"] == "the wizard (confirmed)"
        out = engine.run()                           # Verify and Record
        assert out.status == "verified", [(c.id, c.status, c.evidence) for c in out.verification]
    data = json.loads((folder / "record.json").read_text())
    phases = list(dict.fromkeys(s["phase"] for s in data["steps"]))
    assert phases == [p for p in PHASES if p != "record"] + ["record"]
    times = [s["time"] for s in data["steps"]]
    assert times == sorted(times), "steps taken before approval keep their own times"
    assert data["helm_command"][data["helm_command"].index("-f") + 1] == str(folder / "values.yaml")
    assert data["release_state"]["status"] == "deployed" and data["actions"] == []
    assert {e.kind for e in events} >= {"phase", "step", "check", "line", "checks", "release", "waiting", "done"}


def test_stopping_before_approval_leaves_nothing(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        engine = DeployEngine(_plan(sc, chart), chart=chart, record_parent=tmp_path / "rec")
        engine.cancel("quit")
        out = engine.run()
        assert out.status == "quit" and out.record_dir is None
        assert not (tmp_path / "rec").exists()
        assert not [r for r in sc.server.request_log if r.startswith(("POST", "PUT", "PATCH", "DELETE"))
                    and "selfsubjectaccessreviews" not in r]


def test_a_cluster_that_goes_away_mid_deploy_is_unknown_and_a_timeout(tmp_path):
    """The API server stops answering while helm waits: the deploy step still ends soon after
    helm's --timeout, as a timeout (exit 1, not 130), and the release state is unknown — with the
    last state seen and the command to look — never 'does not exist'."""
    chart = chart_for(REF)
    timeout = 12                                   # room for a loaded machine to see helm pending first
    with simulated_cluster("epp-never-ready", ready_delay=READY_DELAY) as sc:
        engine = DeployEngine(_plan(sc, chart, wait_timeout=f"{timeout}s"), chart=chart, approved_by="--yes",
                              record_parent=tmp_path / "rec", observe_interval=0.2)
        done: list = []
        runner = threading.Thread(target=lambda: done.append(engine.run()))
        runner.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (engine.helm_running and engine._last_release is not None
                                                   and engine._last_release.status.startswith("pending")):
            time.sleep(0.05)
        assert engine.helm_running, "helm never started"
        t0 = time.monotonic()
        sc.server.stop()                            # the cluster goes away
        runner.join(timeout + DEPLOY_GRACE + 40)
        elapsed = time.monotonic() - t0
    assert done, "the deploy never ended"
    out = done[0]
    assert elapsed < timeout + DEPLOY_GRACE + 20, elapsed
    assert out.status == "deploy-failed" and out.exit_code == 1, (out.status, out.reason)
    assert out.release.status == "unknown" and out.actions == ["refresh"]
    data = json.loads((out.record_dir / "record.json").read_text())
    said = " ".join(s["message"] for s in data["steps"] if s["phase"] == "deploy")
    assert "does not exist" not in said
    # what the watcher saw last: helm's pending install, or its rollback already under way
    assert "UNKNOWN" in said and re.search(r"last seen (pending-install|uninstalling) \(revision 1\)", said), said
    assert "look with: helm status gaie -n llm-d" in said
    assert "UNKNOWN" in (out.record_dir / "record.md").read_text()


def test_watchdog_stop_is_a_timeout_not_a_cancel(tmp_path, monkeypatch):
    """A helm that ignores its own --timeout is stopped DEPLOY_GRACE later and reported as a timeout."""
    import sys

    from gaie_tui.core.cluster import helm as helm_mod
    from gaie_tui.core.deploy import engine as engine_mod
    chart = chart_for(REF)
    hung = tmp_path / "helm"
    real = helm_mod.find_helm()
    hung.write_text(f"#!{sys.executable}\nimport os, sys, time\n"
                    f"if sys.argv[1:2] in (['version'], ['template'], ['list']):\n"
                    f"    os.execv({real!r}, [{real!r}] + sys.argv[1:])\n"
                    "print('Release does not exist. Installing it now.', flush=True)\ntime.sleep(120)\n")
    hung.chmod(0o755)
    monkeypatch.setattr(engine_mod, "DEPLOY_GRACE", 1.0)
    helm_mod.helm_version.cache_clear()
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        plan = make_plan(chart, values_for(chart), release="gaie", namespace="llm-d", kubeconfig=str(sc.kubeconfig),
                         context=sc.context, wait_timeout="2s", helm=str(hung))
        t0 = time.monotonic()
        out = DeployEngine(plan, chart=chart, approved_by="--yes", record_parent=tmp_path / "rec").run()
        elapsed = time.monotonic() - t0
    assert elapsed < 30
    assert out.status == "deploy-failed" and out.exit_code == 1
    assert out.explanation.kind == "timeout" and "did not finish within 2s" in out.explanation.message
    assert out.helm.timed_out


def test_a_run_closed_between_phases_says_why_in_its_record(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        engine = DeployEngine(_plan(sc, chart), chart=chart, record_parent=tmp_path / "rec", approved_by="--yes",
                              observe_interval=0.3)
        engine.run(until="deploy")
        engine.close("quit")                         # the wizard exits on the Deploy screen
    out = engine.outcome
    assert out.status == "quit" and "after the deploy phase" in out.reason
    data = json.loads((out.record_dir / "record.json").read_text())
    assert data["status"] == "quit" and data["ended"] and "NOT FINISHED" in (out.record_dir / "record.md").read_text()
