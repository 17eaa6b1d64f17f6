"""The emulator's existing-releases scenario, as the real helm and the kubernetes client see it: releases of
both chart families in several namespaces, helm's own release records, one pending-upgrade, one
hand-edited EPP Deployment."""
from __future__ import annotations

import json
import subprocess

from kubernetes import client
from releases_kit import READY, api, kube_args

from gaie_tui.sim import helmrelease, scenarios
from gaie_tui.sim.demo import simulated_cluster


def _helm(helm_bin, sc, *args) -> str:
    proc = subprocess.run([helm_bin, *args, *kube_args(sc)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_existing_releases_as_helm_and_the_kubernetes_client_see_them(helm_bin):
    with simulated_cluster("existing-releases", ready_delay=READY) as sc:
        listed = json.loads(_helm(helm_bin, sc, "list", "--all-namespaces", "-o", "json"))
        assert {(r["namespace"], r["name"], r["status"], r["chart"]) for r in listed} == {
            ("llm-d", "gaie", "deployed", "inferencepool-v1.5.0"),
            ("team-router", "router", "deployed", "llm-d-router-gateway-v0.10.0"),
            ("team-stuck", "stuck", "pending-upgrade", "inferencepool-v1.5.0"),
            ("inference-prod", "edited", "deployed", "inferencepool-v1.5.0")}
        assert {r["name"]: r["namespace"] for r in listed} == scenarios.DAY_TWO_RELEASES
        core, apps = client.CoreV1Api(api(sc)), client.AppsV1Api(api(sc))
        # helm's storage: one Secret per revision, the JSON helm itself writes
        secret = core.read_namespaced_secret("sh.helm.release.v1.gaie.v1", "llm-d")
        rel = helmrelease.decode_release(secret.data["release"])
        assert rel["chart"]["metadata"]["version"] == "v1.4.0" and rel["info"]["status"] == "superseded"
        assert rel["config"]["inferenceExtension"]["image"]["tag"] == "v0.7.1"
        # the live objects carry helm's ownership, and the EPPs run
        for name, ns in scenarios.DAY_TWO_RELEASES.items():
            dep = apps.read_namespaced_deployment(f"{name}-epp", ns)
            assert dep.metadata.annotations["meta.helm.sh/release-name"] == name
            assert dep.metadata.labels["app.kubernetes.io/managed-by"] == "Helm"
            assert dep.status.ready_replicas == dep.spec.replicas
        # the pending upgrade never applied: revision 1's image runs; revision 2 wanted the chart's own EPP
        stuck = apps.read_namespaced_deployment("stuck-epp", "team-stuck")
        assert stuck.spec.template.spec.containers[0].image == f"{scenarios.SCHEDULER}:v0.8.0"
        assert f"{scenarios.GAIE_EPP}:v1.5.0" in _helm(helm_bin, sc, "get", "manifest", "stuck", "-n", "team-stuck")
        # the hand edit: the live Deployment differs from the release's manifest
        edited = apps.read_namespaced_deployment("edited-epp", "inference-prod")
        assert edited.spec.replicas == scenarios.EDITED_REPLICAS
        assert edited.spec.template.spec.containers[0].image == scenarios.EDITED_IMAGE
        manifest = _helm(helm_bin, sc, "get", "manifest", "edited", "-n", "inference-prod")
        assert "replicas: 1" in manifest and f"{scenarios.GAIE_EPP}:v1.5.0" in manifest
        router_pods = core.list_namespaced_pod("team-router", label_selector="llm-d-router-gateway=router-epp").items
        assert len(router_pods) == 1 and router_pods[0].status.phase == "Running"


def test_setups_secret_choices_leave_out_helms_release_storage():
    """Setup's secret lists come from one metadata-only listing: the token secret first, the other
    secrets after it, and none of helm's own `sh.helm.release.v1.*` revision records."""
    from gaie_tui.core.cluster.kube import Cluster
    with simulated_cluster("existing-releases", ready_delay=READY) as sc:
        cluster = Cluster.connect(str(sc.kubeconfig), sc.context)
        before = sum("/secrets" in r for r in sc.server.request_log)
        candidates, others = cluster.secret_choices("llm-d")
        assert sum("/secrets" in r for r in sc.server.request_log) == before + 1
        assert candidates == ["llm-d-hf-token"]
        assert not any(name.startswith("sh.helm.release.") for name in others)
        raw = client.CoreV1Api(api(sc)).list_namespaced_secret("llm-d").items
        assert any(s.metadata.name.startswith("sh.helm.release.") for s in raw)   # they are there
        cluster.close()
