"""Full deploy → verify → record on `llm-d-ready` for every real chart, with the real helm."""
from __future__ import annotations

import json

import pytest
from enginehelp import READY_DELAY, chart_for, deploy, green, values_for
from support import ALL_CHARTS, CHART_IDS

from gaie_tui.sim.demo import simulated_cluster


@pytest.mark.parametrize("archive", ALL_CHARTS, ids=CHART_IDS)
def test_deploy_verify_record_all_green(archive, tmp_path, shared_dir):
    chart = chart_for(archive)
    values = values_for(chart, provider="none" if chart.version == "v1.0.0" else "istio")
    events: list = []
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        engine, out = deploy(sc, chart, values, tmp_path, events=events)
        assert not sc.server.errors, sc.server.errors
    # v1.1.0 always gets the chart-bug warning (facts: tracing flag); v1.0.0 has no istio support
    allowed = ("values",) if chart.version in ("v1.0.0", "v1.1.0") else ()
    assert out.status == "verified", (out.explanation, green(out.preflight), green(out.verification))
    assert out.exit_code == 0
    assert not green(out.preflight, allowed), green(out.preflight, allowed)
    assert not green(out.verification), green(out.verification)
    ids = {c.id for c in out.verification}
    assert {"release", "epp-deployment", "epp-pods", "epp-image", "epp-logs", "pool", "pool-endpoints"} <= ids
    if chart.version != "v1.0.0":
        assert "destination-rule" in ids
    assert out.revision == 1

    # the record
    rec = out.record_dir
    assert rec.parent == tmp_path / "records" and rec.name.startswith("gaie-")
    assert {p.name for p in rec.iterdir()} == {"values.yaml", "record.md", "record.json", "helm.log"}
    assert (rec / "values.yaml").read_text() == values  # nothing secret in generated values
    data = json.loads((rec / "record.json").read_text())
    assert data["status"] == "verified" and data["ended"]
    assert data["chart"]["version"] == chart.version and data["revision"] == 1
    assert "upgrade" in data["helm_command"] and "--rollback-on-failure" in data["helm_command"]
    assert [s["phase"] for s in data["steps"]][:2] == ["plan", "render"]
    md = (rec / "record.md").read_text()
    for needle in ("Outcome: verified", chart.version, "## Helm command", "## Preflight", "## Verification",
                   "## Configuration in plain words", "llm-d"):
        assert needle in md
    assert "STATUS: deployed" in (rec / "helm.log").read_text()

    kinds = [e.kind for e in events]
    assert kinds[0] == "phase" and kinds[-1] == "done" and "line" in kinds and "check" in kinds
    assert events[-1].outcome is out
