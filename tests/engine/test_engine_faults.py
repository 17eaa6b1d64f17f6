"""Each emulator fault scenario yields the right failing check with a useful remedy."""
from __future__ import annotations

import json
import re
from collections import deque

from enginehelp import FAIL, READY_DELAY, WARN, by_id, chart_for, deploy, values_for, writes

from gaie_tui.core.cluster import helm as helm_mod
from gaie_tui.core.deploy.engine import DeployEngine
from gaie_tui.core.deploy.plan import make_plan
from gaie_tui.core.deploy.release import rollback, uninstall
from gaie_tui.sim.demo import simulated_cluster
from gaie_tui.sim.scenarios import PENDING_RELEASE

REF = "inferencepool@v1.5.0"


def test_empty_cluster_stops_at_preflight_without_touching_the_cluster(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("empty-cluster", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart), tmp_path)
        assert writes(sc.server) == []
    assert out.status == "preflight-failed" and out.exit_code == 1 and out.helm is None
    checks = by_id(out.preflight)
    assert checks["crd-inferencepool"].status == FAIL
    assert "inference.networking.k8s.io/v1" in checks["crd-inferencepool"].evidence
    assert "CRDs" in checks["crd-inferencepool"].remedy
    assert checks["crd-destinationrule"].status == FAIL and "Istio" in checks["crd-destinationrule"].remedy
    assert checks["namespace"].status == FAIL and "--create-namespace" in checks["namespace"].remedy
    data = json.loads((out.record_dir / "record.json").read_text())
    assert data["status"] == "preflight-failed"
    assert "nothing was changed" in (out.record_dir / "record.md").read_text()


def test_namespace_created_only_when_agreed(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("empty-cluster", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart, provider="none"), tmp_path, create_namespace=True)
    checks = by_id(out.preflight)
    assert checks["namespace"].status != FAIL and "will create it" in checks["namespace"].evidence
    assert checks["crd-inferencepool"].status == FAIL  # still stopped: no CRD
    assert out.status == "preflight-failed"


def test_label_drift_suggests_the_right_label(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("label-drift", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart), tmp_path)
        assert writes(sc.server) == []
    c = by_id(out.preflight)["model-servers"]
    assert c.status == FAIL
    assert "llm-d.ai/inference-serving" in c.evidence and "drift" in c.evidence
    assert 'inferencePool.modelServers.matchLabels to {llm-d.ai/inference-serving: "true"}' in c.remedy


def test_label_drift_on_the_successor_chart_names_its_key(tmp_path):
    chart = chart_for("llm-d-router-gateway@v0.10.0")
    with simulated_cluster("label-drift", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart), tmp_path)
    assert "router.modelServers.matchLabels" in by_id(out.preflight)["model-servers"].remedy


def test_rbac_forbidden_names_the_verb(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("rbac-forbidden", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart), tmp_path)
        assert writes(sc.server) == []
    c = by_id(out.preflight)["rbac"]
    assert c.status == FAIL
    assert "may not create roles.rbac.authorization.k8s.io in namespace llm-d" in c.evidence
    assert "rolebindings" in c.evidence and "grant create/patch" in c.remedy


def test_pending_release_offers_rollback_and_the_actions_work(tmp_path, helm_bin):
    chart = chart_for(REF)
    with simulated_cluster("pending-release", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart, release=PENDING_RELEASE), tmp_path, release=PENDING_RELEASE)
        assert writes(sc.server) == []
        c = by_id(out.preflight)["release-state"]
        assert c.status == FAIL and "pending-install" in c.evidence
        assert "helm rollback gaie-llm-d -n llm-d" in c.remedy and c.actions == ["rollback", "uninstall"]
        kube = ["--kubeconfig", str(sc.kubeconfig), "--kube-context", sc.context]
        # a first install that never finished has nothing to roll back to: helm says so, plainly
        rb = rollback(helm_bin, PENDING_RELEASE, "llm-d", kube)
        assert not rb.ok and rb.explanation is not None
        un = uninstall(helm_bin, PENDING_RELEASE, "llm-d", kube)
        assert un.ok, un.output
        assert helm_mod.release_status(helm_bin, PENDING_RELEASE, "llm-d", kube) is None
        # and now the deploy goes through
        _, again = deploy(sc, chart, values_for(chart, release=PENDING_RELEASE), tmp_path, release=PENDING_RELEASE)
    assert again.status == "verified", again.explanation


def test_what_helm_gave_up_on_is_kept_not_its_rollback(tmp_path):
    """A first install that times out is uninstalled by helm (--rollback-on-failure). What the
    record keeps from the wait is what made helm give up — the crash loop with its log lines, the
    pending release — not a view of the teardown (pods deleted, the release gone)."""
    chart = chart_for(REF)
    with simulated_cluster("epp-crashloop", ready_delay=READY_DELAY) as sc:
        plan = make_plan(chart, values_for(chart), release="gaie", namespace="llm-d", kubeconfig=str(sc.kubeconfig),
                         context=sc.context, wait_timeout="4s")
        # looks every 50 ms: a view of the teardown, if one were taken, would be the last one
        engine = DeployEngine(plan, chart=chart, record_parent=tmp_path / "records", observe_interval=0.05,
                              approved_by="--yes")
        out = engine.run()
        engine_release = engine._last_release
    assert out.status == "deploy-failed" and out.release.status == "absent"   # helm did roll back
    assert engine_release is not None and engine_release.status == "pending-install", engine_release
    seen = by_id(out.observed)
    assert any("failed to load the plugins configuration" in d for d in seen["epp-pods"].details), \
        seen["epp-pods"].details


def test_epp_crashloop_shows_the_log_lines(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("epp-crashloop", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart), tmp_path, wait_timeout="6s")
    assert out.status == "deploy-failed" and out.exit_code == 1
    assert out.explanation.kind == "timeout"
    seen = by_id(out.observed)
    assert seen["epp-pods"].status == FAIL and "CrashLoopBackOff" in seen["epp-pods"].evidence
    assert any("failed to load the plugins configuration" in d for d in seen["epp-pods"].details), seen["epp-pods"].details
    logs = seen["epp-logs"]
    assert logs.status == FAIL and "plugins configuration" in logs.evidence and logs.remedy
    md = (out.record_dir / "record.md").read_text()
    assert "While helm was waiting".lower() in md.lower() and "schedulingProfile" in md


def test_image_pull_error_names_the_image(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("image-pull-error", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart), tmp_path, wait_timeout="6s")
    assert out.status == "deploy-failed"
    c = by_id(out.observed)["epp-pods"]
    image = "ghcr.io/llm-d/llm-d-inference-scheduler:v0.8.0"
    assert c.status == FAIL and "ImagePullBackOff" in c.evidence or "ErrImagePull" in c.evidence
    assert image in c.evidence and image in c.remedy


def test_no_model_servers_deploys_but_verification_fails(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("no-model-servers", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart), tmp_path, verify_wait=1.0)
    assert by_id(out.preflight)["model-servers"].status == WARN
    assert out.status == "verify-failed" and out.exit_code == 1
    c = by_id(out.verification)["pool-endpoints"]
    assert c.status == FAIL and "no pod matches llm-d.ai/inferenceServing=true" in c.evidence
    assert "deploy the model servers" in c.remedy



def test_monitoring_needs_the_servicemonitor_crd(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart, monitoring=True), tmp_path)
        assert writes(sc.server) == []
    c = by_id(out.preflight)["crd-servicemonitor"]
    assert c.status == FAIL and "Prometheus operator" in c.remedy


def _default_secret_name(values: str) -> str:
    """Undo the generator's unique secretName: both releases get the chart's default name."""
    return re.sub(r"secretName: \S+", "secretName: inference-gateway-sa-metrics-reader-secret", values)


def test_metrics_reader_secret_collision_between_two_releases(tmp_path):
    chart = chart_for(REF)
    with simulated_cluster("llm-d-ready-prometheus", ready_delay=READY_DELAY) as sc:
        _, first = deploy(sc, chart, _default_secret_name(values_for(chart, release="gaie-a", monitoring=True)), tmp_path,
                          release="gaie-a")
        assert first.status == "verified", (first.explanation, [c for c in first.preflight if c.status == FAIL])
        _, second = deploy(sc, chart, _default_secret_name(values_for(chart, release="gaie-b", monitoring=True)), tmp_path,
                           release="gaie-b")
    c = by_id(second.preflight)["collisions"]
    assert second.status == "preflight-failed" and c.status == FAIL
    assert "belongs to release gaie-a" in c.evidence and "monitoring.prometheus.auth.secretName" in c.remedy


def test_render_error_stops_before_the_cluster_with_helms_message(tmp_path):
    chart = chart_for("llm-d-router-gateway@v0.10.0")
    values = 'inferencePool:\n  modelServers:\n    matchLabels:\n      llm-d.ai/inferenceServing: "true"\n'
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values, tmp_path)
        assert sc.server.request_log == deque() or writes(sc.server) == []
    c = by_id(out.preflight)["render"]
    assert out.status == "preflight-failed" and c.status == FAIL
    assert "could not be rendered" in c.evidence and "Error:" in c.evidence and c.details
