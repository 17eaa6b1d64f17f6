"""Proof: the real helm binary runs the whole release life cycle of every real chart archive
against the emulator, and leaves the objects a real cluster would have."""
from __future__ import annotations

import json
import time

import pytest
from kubernetes import client
from sim_testkit import api_client, cluster, helm  # noqa: F401 - fixtures
from support import ALL_CHARTS, CHART_IDS  # tests/conftest.py (rootdir conftest, on sys.path)

from gaie_tui.sim import helmrelease

RELEASE = "gaie"
NS = "llm-d"
MODEL_LABEL = "llm-d.ai/inferenceServing"


def _values(chart: str, *, tag: str | None = None, extra_label: bool = False) -> dict:
    match = {MODEL_LABEL: "true"}
    if extra_label:
        match["app"] = "vllm-qwen3"
    if chart.startswith("llm-d-router-gateway"):
        epp: dict = {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}
        if tag:
            epp["image"] = {"tag": tag}
        return {"router": {"modelServers": {"matchLabels": match}, "epp": epp}, "provider": {"name": "istio"}}
    values: dict = {"inferencePool": {"modelServers": {"matchLabels": match}}, "provider": {"name": "istio"}}
    if tag:
        values["inferenceExtension"] = {"image": {"tag": tag}}
    return values


def _has_destination_rule(chart: str) -> bool:
    return chart != "inferencepool-v1.0.0"  # v1.0.0 has no istio support at all


def _wait_gone(fn, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            fn()
        except client.ApiException as exc:
            if exc.status == 404:
                return True
            raise
        time.sleep(0.05)
    return False


def _epp_state(api) -> tuple[dict, str]:
    dep = client.AppsV1Api(api).read_namespaced_deployment(f"{RELEASE}-epp", NS)
    return dep.status.to_dict(), dep.spec.template.spec.containers[0].image


@pytest.mark.slow
@pytest.mark.parametrize("chart", ALL_CHARTS, ids=CHART_IDS)
def test_release_life_cycle(chart, helm, cluster, shared_dir):
    name = chart.stem
    api = api_client(cluster)
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    custom = client.CustomObjectsApi(api)

    # install --wait
    helm.ok("upgrade", "--install", RELEASE, str(chart), "--wait", "--timeout", "60s",
            "-f", helm.values_file(_values(name)))
    dep = apps.read_namespaced_deployment(f"{RELEASE}-epp", NS)
    assert dep.status.ready_replicas == 1 and dep.status.available_replicas == 1
    assert {c.type: c.status for c in dep.status.conditions} == {"Available": "True", "Progressing": "True"}
    first_image = dep.spec.template.spec.containers[0].image
    svc = core.read_namespaced_service(f"{RELEASE}-epp", NS)
    assert svc.spec.cluster_ip.startswith("10.96.")
    assert 9002 in [p.port for p in svc.spec.ports]
    pool = custom.get_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools", RELEASE)
    assert pool["spec"]["selector"]["matchLabels"] == {MODEL_LABEL: "true"}
    if _has_destination_rule(name):
        dr = custom.get_namespaced_custom_object("networking.istio.io", "v1beta1", NS, "destinationrules",
                                                 f"{RELEASE}-epp")
        assert dr["spec"]["host"] == f"{RELEASE}-epp.{NS}.svc.cluster.local"
        assert dr["spec"]["trafficPolicy"]["tls"]["mode"] == "SIMPLE"
    else:
        items = custom.list_namespaced_custom_object("networking.istio.io", "v1beta1", NS, "destinationrules")
        assert items["items"] == []
    epp_label = "llm-d-router-gateway" if name.startswith("llm-d-router-gateway") else "inferencepool"
    pods = core.list_namespaced_pod(NS, label_selector=f"{epp_label}={RELEASE}-epp").items
    assert len(pods) == 1 and pods[0].status.phase == "Running"

    # the kubernetes client reads helm's own release Secret: chart version and values without helm
    secret = core.read_namespaced_secret(f"sh.helm.release.v1.{RELEASE}.v1", NS)
    assert secret.type == "helm.sh/release.v1" and secret.metadata.labels["status"] == "deployed"
    release = helmrelease.decode_release(secret.data["release"])
    assert f'{release["chart"]["metadata"]["name"]}-{release["chart"]["metadata"]["version"]}' == name
    assert release["config"] == _values(name) and release["info"]["status"] == "deployed"

    # status, list, get values
    status = helm.ok("status", RELEASE, "-o", "json")
    assert json.loads(status.stdout)["info"]["status"] == "deployed"
    listed = json.loads(helm.ok("list", "-o", "json").stdout)
    assert [(r["name"], r["status"], r["chart"]) for r in listed] == [(RELEASE, "deployed", name)]
    assert json.loads(helm.ok("get", "values", RELEASE, "-o", "json").stdout) == _values(name)

    # upgrade with changed values: a new image tag (a rollout) and a wider pool selector
    helm.ok("upgrade", RELEASE, str(chart), "--wait", "--timeout", "60s",
            "-f", helm.values_file(_values(name, tag="v9.9.9", extra_label=True), "v2.yaml"))
    state, image = _epp_state(api)
    assert image.endswith(":v9.9.9") and state["ready_replicas"] == 1 and state["updated_replicas"] == 1
    pool = custom.get_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools", RELEASE)
    assert pool["spec"]["selector"]["matchLabels"] == {MODEL_LABEL: "true", "app": "vllm-qwen3"}
    rs = apps.list_namespaced_replica_set(NS, label_selector=f"{epp_label}={RELEASE}-epp").items
    assert sorted(r.spec.replicas for r in rs) == [0, 1]

    # rollback to revision 1
    helm.ok("rollback", RELEASE, "1", "--wait", "--timeout", "60s")
    state, image = _epp_state(api)
    assert image == first_image and state["ready_replicas"] == 1
    pool = custom.get_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools", RELEASE)
    assert pool["spec"]["selector"]["matchLabels"] == {MODEL_LABEL: "true"}
    history = json.loads(helm.ok("history", RELEASE, "-o", "json").stdout)
    assert [h["status"] for h in history] == ["superseded", "superseded", "deployed"]

    # uninstall --wait removes the objects, their pods (garbage collection) and the release Secrets
    helm.ok("uninstall", RELEASE, "--wait", "--timeout", "60s")
    assert _wait_gone(lambda: apps.read_namespaced_deployment(f"{RELEASE}-epp", NS))
    assert core.list_namespaced_pod(NS, label_selector=f"{epp_label}={RELEASE}-epp").items == []
    assert apps.list_namespaced_replica_set(NS, label_selector=f"{epp_label}={RELEASE}-epp").items == []
    assert custom.list_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools")["items"] == []
    assert core.list_namespaced_secret(NS, label_selector=f"owner=helm,name={RELEASE}").items == []
    assert json.loads(helm.ok("list", "-A", "-o", "json").stdout) == []
    # the model servers the pool pointed at are untouched
    assert len(core.list_namespaced_pod(NS, label_selector=f"{MODEL_LABEL}=true").items) == 2
    assert not cluster.server.errors


def test_dry_run_create_namespace_and_client_side_apply(helm, cluster, shared_dir):
    chart = next(p for p in ALL_CHARTS if p.name == "inferencepool-v1.5.0.tgz")
    values = helm.values_file(_values(chart.stem))
    api = api_client(cluster)
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    before = cluster.server.store.rv
    helm.ok("install", "dry", str(chart), "-f", values, "--dry-run=server")
    assert cluster.server.store.rv == before  # a server dry run writes nothing
    helm.ok("install", "fresh", str(chart), "-f", values, "--create-namespace", "--wait", namespace="brand-new")
    assert core.read_namespace("brand-new").status.phase == "Active"
    assert apps.read_namespaced_deployment("fresh-epp", "brand-new").status.ready_replicas == 1
    # --server-side=false: POST on install, strategic-merge PATCH on upgrade
    helm.ok("install", "csa", str(chart), "-f", values, "--server-side=false", "--wait")
    helm.ok("upgrade", "csa", str(chart), "-f", values, "--server-side=false", "--wait",
            "--set", "inferenceExtension.image.tag=v9.9.9")
    dep = apps.read_namespaced_deployment("csa-epp", NS)
    assert dep.spec.template.spec.containers[0].image.endswith(":v9.9.9") and dep.status.ready_replicas == 1
    log = "\n".join(cluster.server.request_log)
    assert f"POST /apis/apps/v1/namespaces/{NS}/deployments" in log
    assert not cluster.server.errors


def test_helm_over_tls_with_a_bearer_token(helm_bin, tmp_path, shared_dir):
    from sim_testkit import Helm

    from gaie_tui.sim.demo import simulated_cluster
    chart = next(p for p in ALL_CHARTS if p.name == "inferencepool-v1.5.0.tgz")
    with simulated_cluster("llm-d-ready", tls=True, ready_delay=0.1) as c:
        helm = Helm(helm_bin, c, tmp_path)
        helm.ok("install", RELEASE, str(chart), "-f", helm.values_file(_values(chart.stem)), "--wait")
        assert json.loads(helm.ok("list", "-o", "json").stdout)[0]["status"] == "deployed"
        assert "Unauthorized" not in "\n".join(c.server.request_log)


def test_stray_container_key_fails_like_a_real_cluster(helm, shared_dir):
    """Chart trap: `inferenceExtension.env` as a map renders a stray container key on <= v1.3.x;
    helm's strict server-side apply makes a real API server refuse the Deployment."""
    chart = next(p for p in ALL_CHARTS if p.name == "inferencepool-v1.3.1.tgz")
    values = {**_values(chart.stem), "inferenceExtension": {"env": {"FOO": "bar"}}}
    proc = helm.run("install", RELEASE, str(chart), "-f", helm.values_file(values))
    assert proc.returncode != 0
    assert '.spec.template.spec.containers[name="epp"].FOO: field not declared in schema' in proc.stderr
