"""Drift: after a real deploy, the EPP scaled and re-imaged through the kubernetes client is found
by verify — each field with the release's value and the live value — and a DestinationRule whose
host names another release's EPP Service fails (issue 12 #9)."""
from __future__ import annotations

import pytest
from kubernetes import client
from releases_kit import READY, api, by_id, chart, connect, deploy, kube_args, values_for

from gaie_tui.core.cluster import helm as helm_mod
from gaie_tui.core.cluster.checks import FAIL, PASS, WARN
from gaie_tui.core.deploy.release import expected_for_release
from gaie_tui.core.verify import drift
from gaie_tui.core.verify.refresh import verify
from gaie_tui.core.verify.snapshot import fetch
from gaie_tui.sim.demo import simulated_cluster

HOTFIX = "quay.io/platform-team/epp:v0.10.0-hotfix1"  # what someone set by hand


def _verify(sc, cluster, helm_bin, release="gaie", namespace="llm-d"):
    exp, _ = expected_for_release(helm_bin, release, namespace, kube_args(sc))
    return verify(cluster, exp, release_info=lambda: helm_mod.release_status(helm_bin, release, namespace,
                                                                              kube_args(sc)))


@pytest.mark.parametrize("ref", ["inferencepool@v1.5.0", "inferencepool@v1.1.0", "llm-d-router-gateway@v0.10.0"])
def test_scaled_and_reimaged_epp_is_two_drift_findings(ref, helm_bin, tmp_path):
    ch = chart(ref)
    successor = ref.startswith("llm-d-router-gateway")
    # the successor's guides use the 2026 model-server label; the label-drift scenario has those pods
    with simulated_cluster("label-drift" if successor else "llm-d-ready", ready_delay=READY) as sc:
        values = values_for(ch, selector={"llm-d.ai/inference-serving": "true"}) if successor else values_for(ch)
        _plan, out = deploy(sc, ch, values, tmp_path / "records")
        assert out.status == "verified", (out.explanation, [c for c in out.verification if c.status == FAIL])
        assert by_id(out.verification)["drift"].status == PASS  # the real chart's objects, untouched: no drift
        cluster = connect(sc)
        try:
            apps = client.AppsV1Api(api(sc))
            released = apps.read_namespaced_deployment("gaie-epp", "llm-d").spec.template.spec.containers[0].image
            apps.patch_namespaced_deployment("gaie-epp", "llm-d", {"spec": {"replicas": 3, "template": {"spec": {
                "containers": [{"name": "epp", "image": HOTFIX}]}}}})
            checks = _verify(sc, cluster, helm_bin)
        finally:
            cluster.close()
    found = [c for c in checks if c.id.startswith("drift")]
    assert [c.id for c in found] == ["drift-deployment-spec.replicas",
                                     "drift-deployment-spec.template.spec.containers[epp].image"]
    replicas, image = found
    assert replicas.status == WARN and replicas.evidence == "changed by hand: the release has 1, the cluster has 3"
    assert image.status == FAIL
    assert image.evidence == f"changed by hand: the release has {released}, the cluster has {HOTFIX}"
    epp = "router.epp" if successor else "inferenceExtension"
    assert f"fold it into the values ({epp}.replicas)" in replicas.remedy and "upgrade" in replicas.remedy
    assert f"({epp}.image (registry/repository/tag))" in image.remedy or f"({epp}.image (hub/name/tag))" in image.remedy
    assert "Deployment gaie-epp spec.replicas" in replicas.title


def test_the_hand_edited_release_of_the_existing_releases_scenario(helm_bin):
    from gaie_tui.sim import scenarios
    with simulated_cluster("existing-releases", ready_delay=READY) as sc:
        cluster = connect(sc)
        try:
            checks = _verify(sc, cluster, helm_bin, "edited", "inference-prod")
            clean = _verify(sc, cluster, helm_bin, "gaie", "llm-d")
        finally:
            cluster.close()
    drifted = {c.id: c for c in checks if c.id.startswith("drift-")}
    assert set(drifted) == {"drift-deployment-spec.replicas", "drift-deployment-spec.template.spec.containers[epp].image"}
    assert f"the cluster has {scenarios.EDITED_IMAGE}" in drifted[
        "drift-deployment-spec.template.spec.containers[epp].image"].evidence
    assert by_id(clean)["drift"].status == PASS


def test_destination_rule_host_of_another_release_fails(helm_bin, tmp_path):
    """Values generated for release `gaie` deployed as `other`: the chart renders the DestinationRule
    with host gaie-epp…, helm applies it, the rendered-vs-live comparison passes — and it routes nowhere."""
    ip = chart("inferencepool@v1.5.0")
    with simulated_cluster("llm-d-ready", ready_delay=READY) as sc:
        values = values_for(ip, release="gaie")
        assert "host: gaie-epp.llm-d.svc.cluster.local" in values
        _plan, out = deploy(sc, ip, values, tmp_path / "records", release="other")
    assert out.status == "verify-failed"
    checks = by_id(out.verification)
    assert checks["destination-rule"].status == PASS  # the live rule is exactly what helm rendered
    c = checks["destination-rule-host"]
    assert c.status == FAIL
    assert "host gaie-epp.llm-d.svc.cluster.local names service gaie-epp in llm-d, which does not exist" in c.evidence
    assert "the EPP Service of release other is other-epp.llm-d.svc.cluster.local" in c.evidence
    assert "set provider.istio.destinationRule.host to other-epp.llm-d.svc.cluster.local" in c.remedy


def test_destination_rule_host_of_the_release_itself_passes(helm_bin, tmp_path):
    ip = chart("inferencepool@v1.5.0")
    with simulated_cluster("llm-d-ready", ready_delay=READY) as sc:
        _plan, out = deploy(sc, ip, values_for(ip, release="gaie"), tmp_path / "records")
        cluster = connect(sc)
        try:
            exp, _ = expected_for_release(helm_bin, "gaie", "llm-d", kube_args(sc))
            snap = fetch(cluster, exp, logs=False)
        finally:
            cluster.close()
    assert out.status == "verified"
    assert by_id(out.verification)["destination-rule-host"].evidence == (
        "gaie-epp.llm-d.svc.cluster.local → service gaie-epp (exists)")
    assert snap.service is not None and snap.service["metadata"]["name"] == "gaie-epp"


# ---- the comparison itself (pure) ---------------------------------------------------------------
def _fields(want, got):
    return [(f.path, f.release, f.live, f.status) for f in drift.drifted({"Deployment": want}, {"Deployment": got})]


def _dep(**spec):
    base = {"metadata": {"name": "gaie-epp"}, "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [
                {"name": "epp", "image": "img:1", "args": ["--v", "1"], "env": [{"name": "X", "value": "1"}],
                 "resources": {"requests": {"cpu": "1000m", "memory": "1Gi"}}, "ports": [{"containerPort": 9002}]}]}}}}
    base["spec"].update(spec)
    return base


def test_defaults_the_api_server_adds_are_not_drift():
    got = _dep()
    c = got["spec"]["template"]["spec"]["containers"][0]
    c.update({"terminationMessagePath": "/dev/termination-log", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
              "ports": [{"containerPort": 9002, "protocol": "TCP"}]})
    got["spec"]["strategy"] = {"type": "RollingUpdate"}
    assert _fields(_dep(), got) == []  # 1000m == 1, protocol and the strategy are not the manifest's


def test_patched_selector_added_env_and_changed_args_are_drift():
    got = _dep()
    got["spec"]["selector"]["matchLabels"]["extra"] = "x"
    c = got["spec"]["template"]["spec"]["containers"][0]
    c["env"].append({"name": "DEBUG", "value": "1"})
    c["args"] = ["--v", "4"]
    assert _fields(_dep(), got) == [
        ("spec.selector.matchLabels.extra", drift.ABSENT, "x", FAIL),
        ("spec.template.spec.containers[epp].args", ["--v", "1"], ["--v", "4"], FAIL),
        ("spec.template.spec.containers[epp].env[DEBUG]", drift.ABSENT, {"name": "DEBUG", "value": "1"}, FAIL)]


def test_no_manifest_objects_means_no_drift_rows():
    from gaie_tui.core.verify.checks import Expected, Snapshot
    assert drift.drift_checks(Expected(release="r", namespace="n"), Snapshot()) == []


def test_a_field_no_values_key_sets_says_so():
    from gaie_tui.core.verify.checks import Expected, Snapshot
    svc = {"kind": "Service", "metadata": {"name": "gaie-epp"},
           "spec": {"selector": {"inferencepool": "gaie-epp"}, "ports": [{"name": "grpc-ext-proc", "port": 9002}]}}
    patched = {**svc, "spec": {**svc["spec"], "selector": {"inferencepool": "other-epp"}}}
    exp = Expected(release="gaie", namespace="llm-d", chart_name="inferencepool", chart_version="v1.5.0",
                   epp="gaie-epp", rendered={"Service": svc})
    snap = Snapshot(service=patched)
    [c] = drift.drift_checks(exp, snap)
    assert c.id == "drift-service-spec.selector.inferencepool" and c.status == FAIL
    assert c.evidence == "changed by hand: the release has gaie-epp, the cluster has other-epp"
    assert "no values key sets this field" in c.remedy and "fold it" not in c.remedy
    snap.service = {**svc, "spec": {**svc["spec"], "ports": [{"name": "grpc-ext-proc", "port": 9003}]}}
    [c] = drift.drift_checks(exp, snap)
    assert "fold it into the values (inferenceExtension.extraServicePorts)" in c.remedy
