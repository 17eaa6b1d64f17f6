"""Object semantics seen through the official kubernetes Python client."""
from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from kubernetes import client, watch
from sim_testkit import api_client, cluster, raw  # noqa: F401 - fixture

from gaie_tui.sim import helmrelease, scenarios
from gaie_tui.sim.server import SimError, SimServer

NS = scenarios.LLMD_NAMESPACE


@pytest.fixture
def core(cluster):
    return client.CoreV1Api(api_client(cluster))


def _status(exc: client.ApiException) -> dict:
    body = json.loads(exc.body)
    assert body["kind"] == "Status" and body["status"] == "Failure"
    return body


def test_version_discovery_and_health(cluster):
    api = api_client(cluster)
    assert client.VersionApi(api).get_code().git_version.startswith("v1.")
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert groups["inference.networking.k8s.io"].preferred_version.group_version == "inference.networking.k8s.io/v1"
    assert groups["apps"].preferred_version.group_version == "apps/v1"
    res = client.AppsV1Api(api).get_api_resources()
    assert res.group_version == "apps/v1" and "deployments" in [r.name for r in res.resources]
    for path in ("/healthz", "/readyz", "/livez"):
        assert urllib.request.urlopen(cluster.url + path).read() == b"ok"
    v2 = urllib.request.urlopen(cluster.url + "/openapi/v2").read()
    assert v2 == b"\x0a\x032.0"
    root = json.load(urllib.request.urlopen(cluster.url + "/openapi/v3"))
    doc = json.load(urllib.request.urlopen(cluster.url + root["paths"]["apis/apps/v1"]["serverRelativeURL"]))
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]


def test_list_pods_by_equality_set_and_field_selectors(core):
    legacy = scenarios.LEGACY_MODEL_LABEL
    pods = core.list_namespaced_pod(NS, label_selector=f"{legacy}=true").items
    assert len(pods) == 2 and all(p.status.phase == "Running" for p in pods)
    assert all(any(c.type == "Ready" and c.status == "True" for c in p.status.conditions) for p in pods)
    assert pods[0].spec.containers[0].ports[0].container_port == 8000
    assert len(core.list_namespaced_pod(NS, label_selector=f"{legacy} in (true,yes),app").items) == 2
    assert core.list_namespaced_pod(NS, label_selector=f"{legacy} notin (true)").items == []
    assert core.list_namespaced_pod(NS, label_selector=f"!{legacy}").items == []
    assert core.list_namespaced_pod(NS, label_selector=f"{legacy}!=true").items == []
    name = pods[0].metadata.name
    assert [p.metadata.name for p in core.list_namespaced_pod(NS, field_selector=f"metadata.name={name}").items] == [name]
    assert len(core.list_pod_for_all_namespaces(field_selector="status.phase=Running").items) == 2
    with pytest.raises(client.ApiException) as err:
        core.list_namespaced_pod(NS, label_selector="bad key with spaces=1")
    assert err.value.status == 400


def test_model_server_logs_and_epp_logs(cluster, core):
    pod = core.list_namespaced_pod(NS, label_selector=f"{scenarios.LEGACY_MODEL_LABEL}=true").items[0]
    text = core.read_namespaced_pod_log(pod.metadata.name, NS, tail_lines=3, container="vllm")
    assert len(text.splitlines()) == 3 and "Application startup complete." in text
    full = core.read_namespaced_pod_log(pod.metadata.name, NS)
    assert "vLLM API server" in full and "Qwen/Qwen3-0.6B" in full
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_pod_log(pod.metadata.name, NS, container="nope")
    assert err.value.status == 400 and "not valid" in _status(err.value)["message"]


def test_status_objects_for_404_409_422(core):
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_config_map("missing", NS)
    assert err.value.status == 404 and _status(err.value)["reason"] == "NotFound"
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="one"), data={"a": "1"})
    made = core.create_namespaced_config_map(NS, body)
    assert made.metadata.uid and made.metadata.resource_version and made.metadata.creation_timestamp
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(NS, body)
    assert err.value.status == 409 and _status(err.value)["reason"] == "AlreadyExists"
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad_Name")))
    assert err.value.status == 422 and _status(err.value)["reason"] == "Invalid"
    stale = core.read_namespaced_config_map("one", NS)
    core.replace_namespaced_config_map("one", NS, stale)  # no change: same resourceVersion stays valid
    stale.data = {"a": "2"}
    core.replace_namespaced_config_map("one", NS, stale)
    stale.data = {"a": "3"}
    with pytest.raises(client.ApiException) as err:
        core.replace_namespaced_config_map("one", NS, stale)
    assert err.value.status == 409 and _status(err.value)["reason"] == "Conflict"
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map("no-such-ns", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="x")))
    assert err.value.status == 404


def test_patches_generation_and_status_subresource(cluster):
    api = api_client(cluster)
    apps = client.AppsV1Api(api)
    dep = apps.read_namespaced_deployment("vllm-qwen3", NS)
    gen = dep.metadata.generation
    # strategic merge: containers merge by name, env by name
    apps.patch_namespaced_deployment("vllm-qwen3", NS, {"spec": {"template": {"spec": {"containers": [
        {"name": "vllm", "env": [{"name": "EXTRA", "value": "1"}]}]}}}})
    dep = apps.read_namespaced_deployment("vllm-qwen3", NS)
    env = {e.name for e in dep.spec.template.spec.containers[0].env}
    assert env == {"HF_TOKEN", "EXTRA"} and dep.spec.template.spec.containers[0].image.startswith("ghcr.io/")
    assert dep.metadata.generation == gen + 1
    # a label change is metadata only: no new generation
    apps.patch_namespaced_deployment("vllm-qwen3", NS, {"metadata": {"labels": {"team": "x"}}})
    assert apps.read_namespaced_deployment("vllm-qwen3", NS).metadata.generation == gen + 1
    # status through the main resource is ignored, through /status it is taken
    apps.patch_namespaced_deployment("vllm-qwen3", NS, {"status": {"replicas": 42}})
    assert apps.read_namespaced_deployment("vllm-qwen3", NS).status.replicas != 42
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="p"), data={"a": "1", "b": "2"}))
    code, _ = raw(cluster, "PATCH", f"/api/v1/namespaces/{NS}/configmaps/p", [
        {"op": "replace", "path": "/data/a", "value": "9"}, {"op": "remove", "path": "/data/b"}],
        "application/json-patch+json")
    assert code == 200 and core.read_namespaced_config_map("p", NS).data == {"a": "9"}
    code, _ = raw(cluster, "PATCH", f"/api/v1/namespaces/{NS}/configmaps/p", {"data": {"c": "3", "a": None}},
                  "application/merge-patch+json")
    assert code == 200 and core.read_namespaced_config_map("p", NS).data == {"c": "3"}
    code, body = raw(cluster, "PATCH", f"/api/v1/namespaces/{NS}/configmaps/p", [{"op": "remove", "path": "/nope"}],
                     "application/json-patch+json")
    assert code == 422 and body["kind"] == "Status"


def test_server_side_apply_creates_then_prunes_and_dry_run(cluster):
    api = api_client(cluster)
    path = f"/api/v1/namespaces/{NS}/configmaps/applied?fieldManager=test&fieldValidation=Strict"
    apply = "application/apply-patch+yaml"
    first = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"a": "1", "b": "2"}}
    assert raw(cluster, "PATCH", path, first, apply)[0] == 201
    core = client.CoreV1Api(api)
    core.patch_namespaced_config_map("applied", NS, {"data": {"other": "x"}})  # another writer's field
    assert raw(cluster, "PATCH", path, {**first, "data": {"a": "1"}}, apply)[0] == 200
    assert core.read_namespaced_config_map("applied", NS).data == {"a": "1", "other": "x"}
    code, _ = raw(cluster, "PATCH", f"/api/v1/namespaces/{NS}/configmaps/applied", first, apply)
    assert code == 400  # fieldManager is required for apply
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="dry")), dry_run="All")
    with pytest.raises(client.ApiException):
        core.read_namespaced_config_map("dry", NS)


def test_finalizers_owner_gc_and_namespace_cascade(cluster):
    api = api_client(cluster)
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="tmp")))
    owner = core.create_namespaced_config_map("tmp", client.V1ConfigMap(metadata=client.V1ObjectMeta(
        name="owner", finalizers=["example.com/hold"])))
    ref = client.V1OwnerReference(api_version="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid)
    core.create_namespaced_secret("tmp", client.V1Secret(metadata=client.V1ObjectMeta(
        name="child", owner_references=[ref]), string_data={"k": "v"}))
    assert core.read_namespaced_secret("child", "tmp").data == {"k": "dg=="}
    core.delete_namespaced_config_map("owner", "tmp")
    held = core.read_namespaced_config_map("owner", "tmp")
    assert held.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("owner", "tmp", {"metadata": {"finalizers": None}})
    with pytest.raises(client.ApiException):
        core.read_namespaced_config_map("owner", "tmp")
    with pytest.raises(client.ApiException):  # its dependent was collected
        core.read_namespaced_secret("child", "tmp")
    core.create_namespaced_config_map("tmp", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="left")))
    core.delete_namespace("tmp")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            core.read_namespace("tmp")
        except client.ApiException as exc:
            assert exc.status == 404
            break
        time.sleep(0.05)
    else:
        pytest.fail("namespace deletion did not finish")
    assert core.list_namespaced_config_map("tmp").items == []


def test_deployment_rollout_pods_become_ready_after_delay(cluster):
    api = api_client(cluster)
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    body = {"metadata": {"name": "web"}, "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                {"name": "web", "image": "nginx:1.27"}]}}}}
    cluster.server.set_ready_delay(1.0)  # long enough to see the pods Pending even on a busy machine
    apps.create_namespaced_deployment("default", body)
    deadline = time.monotonic() + 5
    while len(pods := core.list_namespaced_pod("default", label_selector="app=web").items) < 2:
        assert time.monotonic() < deadline, "the ReplicaSet did not create its pods"
        time.sleep(0.02)
    assert len(pods) == 2 and {p.status.phase for p in pods} == {"Pending"}
    assert all(p.metadata.labels.get("pod-template-hash") for p in pods)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        dep = apps.read_namespaced_deployment("web", "default")
        if dep.status.ready_replicas == 2:
            break
        time.sleep(0.05)
    assert dep.status.ready_replicas == 2 and dep.status.observed_generation == dep.metadata.generation
    rs = apps.list_namespaced_replica_set("default", label_selector="app=web").items
    assert len(rs) == 1 and rs[0].metadata.owner_references[0].uid == dep.metadata.uid
    core.create_namespaced_service("default", {"metadata": {"name": "web"}, "spec": {
        "selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    svc = core.read_namespaced_service("web", "default")
    assert svc.spec.cluster_ip and svc.spec.type == "ClusterIP"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            ep = core.read_namespaced_endpoints("web", "default")
            if ep.subsets and len(ep.subsets[0].addresses or []) == 2:
                break
        except client.ApiException:
            pass
        time.sleep(0.05)
    assert [p.port for p in ep.subsets[0].ports] == [8080]
    assert {a.target_ref.name for a in ep.subsets[0].addresses} == {p.metadata.name for p in pods}
    apps.delete_namespaced_deployment("web", "default")
    assert core.list_namespaced_pod("default", label_selector="app=web").items == []


def test_watch_with_initial_events_and_bookmark(cluster):
    url = (f"{cluster.url}/api/v1/namespaces/{NS}/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"
           "&resourceVersionMatch=NotOlderThan&timeoutSeconds=1")
    events = [json.loads(line) for line in urllib.request.urlopen(url, timeout=5).read().splitlines()]
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "BOOKMARK"]
    assert events[-1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_watch_streams_changes_to_the_python_client(cluster):
    core = client.CoreV1Api(api_client(cluster))
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    seen: list[tuple[str, str]] = []

    def consume():
        for ev in watch.Watch().stream(core.list_namespaced_config_map, NS, resource_version=rv, timeout_seconds=2):
            seen.append((ev["type"], ev["object"].metadata.name))
            if len(seen) == 3:
                break

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.1)
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w"), data={"a": "1"}))
    core.patch_namespaced_config_map("w", NS, {"data": {"a": "2"}})
    core.delete_namespaced_config_map("w", NS)
    t.join(5)
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


def test_crd_registration_and_removal_changes_discovery(cluster):
    api = api_client(cluster)
    ext = client.ApiextensionsV1Api(api)
    custom = client.CustomObjectsApi(api)
    custom.create_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools", {
        "apiVersion": "inference.networking.k8s.io/v1", "kind": "InferencePool", "metadata": {"name": "p"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "targetPorts": [{"number": 8000}],
                 "endpointPickerRef": {"name": "p-epp", "port": {"number": 9002}}}})
    got = custom.get_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools", "p")
    assert got["metadata"]["generation"] == 1
    parents = {"parents": [{"parentRef": {"name": "gw"}, "conditions": [{"type": "Accepted", "status": "True",
               "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z",
               "observedGeneration": 1}]}]}
    custom.patch_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools", "p",
                                          {"status": parents})  # the main resource ignores status
    assert "status" not in custom.get_namespaced_custom_object_status(
        "inference.networking.k8s.io", "v1", NS, "inferencepools", "p")
    custom.patch_namespaced_custom_object_status("inference.networking.k8s.io", "v1", NS, "inferencepools", "p",
                                                 {"status": parents})
    got = custom.get_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools", "p")
    assert got["status"] == parents and got["metadata"]["generation"] == 1
    crd = ext.read_custom_resource_definition(scenarios.INFERENCEPOOL_CRD)
    assert {c.type: c.status for c in crd.status.conditions}["Established"] == "True"
    ext.delete_custom_resource_definition(scenarios.INFERENCEPOOL_CRD)
    groups = [g.name for g in client.ApisApi(api).get_api_versions().groups]
    assert "inference.networking.k8s.io" not in groups
    with pytest.raises(client.ApiException) as err:
        custom.list_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools")
    assert err.value.status == 404
    ext.create_custom_resource_definition(scenarios.load_crd(scenarios.INFERENCEPOOL_CRD))
    items = custom.list_namespaced_custom_object("inference.networking.k8s.io", "v1", NS, "inferencepools")["items"]
    assert items == []  # the objects went with the CRD


def test_self_subject_access_review_allowed_by_default(cluster):
    authz = client.AuthorizationV1Api(api_client(cluster))
    review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(namespace=NS, verb="create", group="apps",
                                                        resource="deployments")))
    assert authz.create_self_subject_access_review(review).status.allowed is True


def test_release_secret_is_helm_format(cluster):
    secret = helmrelease.release_secret("r", NS, status="deployed", values={"a": 1})
    core = client.CoreV1Api(api_client(cluster))
    core.create_namespaced_secret(NS, secret)
    read = core.read_namespaced_secret("sh.helm.release.v1.r.v1", NS)
    release = helmrelease.decode_release(read.data["release"])
    assert release["info"]["status"] == "deployed" and release["config"] == {"a": 1}
    assert read.type == "helm.sh/release.v1" and read.metadata.labels["owner"] == "helm"


def test_only_loopback_binds_and_reset_is_fast():
    with pytest.raises(SimError):
        SimServer(host="0.0.0.0")
    with pytest.raises(SimError, match="unknown scenario"):
        SimServer("no-such-scenario")
    with SimServer("empty-cluster", ready_delay=0.1) as sim:
        start = time.monotonic()
        sim.reset("llm-d-ready")
        assert time.monotonic() - start < 1.0
        assert sim.store.namespace_exists("llm-d")
        sim.reset("empty-cluster")
        assert not sim.store.namespace_exists("llm-d")
        names = {n["metadata"]["name"] for n in sim.store.list(("", "namespaces"))[0]}
        assert names == {"default", "kube-system", "kube-public"}


def test_tls_and_bearer_token(tmp_path):
    import ssl
    import urllib.error

    from gaie_tui.sim.demo import simulated_cluster
    with simulated_cluster("empty-cluster", tls=True, ready_delay=0.1) as c:
        assert c.url.startswith("https://127.0.0.1:")
        api = api_client(c)
        assert {n.metadata.name for n in client.CoreV1Api(api).list_namespace().items} >= {"default"}
        with pytest.raises(urllib.error.URLError) as err:  # the self-signed CA is not trusted by default
            urllib.request.urlopen(c.url + "/api/v1/namespaces", timeout=5)
        assert isinstance(err.value.reason, ssl.SSLError)
        ctx = ssl.create_default_context(cadata=c.server.ca_pem.decode())
        with pytest.raises(urllib.error.HTTPError) as err:  # trusted, but no token
            urllib.request.urlopen(c.url + "/api/v1/namespaces", timeout=5, context=ctx)
        assert err.value.code == 401
        req = urllib.request.Request(c.url + "/api/v1/namespaces",
                                     headers={"Authorization": f"Bearer {c.server.token}"})
        assert urllib.request.urlopen(req, timeout=5, context=ctx).status == 200
        assert urllib.request.urlopen(c.url + "/readyz", timeout=5, context=ctx).read() == b"ok"


def test_table_answers_for_kubectl_style_clients(cluster):
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    req = urllib.request.Request(f"{cluster.url}/api/v1/namespaces/{NS}/pods", headers={"Accept": accept})
    with urllib.request.urlopen(req) as resp:
        assert resp.headers["Content-Type"].startswith("application/json;as=Table")
        body = json.load(resp)
    assert body["kind"] == "Table" and [c["name"] for c in body["columnDefinitions"]][:4] == [
        "Name", "Ready", "Status", "Restarts"]
    assert [r["cells"][1:3] for r in body["rows"]] == [["1/1", "Running"]] * 2
    assert body["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    plain = json.load(urllib.request.urlopen(f"{cluster.url}/api/v1/namespaces/{NS}/pods"))
    assert plain["kind"] == "PodList"


def test_kubectl_get_and_logs(cluster, helm_bin, tmp_path):
    import os
    import subprocess
    from pathlib import Path
    kubectl = Path(helm_bin).with_name("kubectl")
    if not kubectl.exists():
        pytest.skip("no kubectl next to helm")
    env = {**os.environ, "HOME": str(tmp_path), "KUBECACHEDIR": str(tmp_path / "cache")}
    base = [str(kubectl), "--kubeconfig", str(cluster.kubeconfig), "--context", cluster.context, "-n", NS]
    out = subprocess.run(base + ["get", "pods"], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert out.stdout.count("Running") == 2
    logs = subprocess.run(base + ["logs", "deploy/vllm-qwen3", "--tail", "1"], env=env, capture_output=True,
                          text=True, timeout=30)
    assert logs.returncode == 0 and "GET /metrics" in logs.stdout
    can = subprocess.run(base + ["auth", "can-i", "create", "roles"], env=env, capture_output=True, text=True, timeout=30)
    assert can.stdout.strip() == "yes"


def test_unknown_fields_follow_field_validation(cluster):
    pool = {"apiVersion": "inference.networking.k8s.io/v1", "kind": "InferencePool", "metadata": {"name": "v"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "targetPorts": [{"number": 8000}],
                     "endpointPickerRef": {"name": "v-epp", "port": {"number": 9002}}, "bogus": 1}}
    base = f"/apis/inference.networking.k8s.io/v1/namespaces/{NS}/inferencepools"
    code, body = raw(cluster, "POST", base + "?fieldValidation=Strict", pool)
    assert code == 400 and body["message"] == 'strict decoding error: unknown field "spec.bogus"'
    code, body = raw(cluster, "PATCH", base + "/v?fieldManager=helm&fieldValidation=Strict", pool,
                     "application/apply-patch+yaml")
    assert code == 400 and "spec.bogus: field not declared in schema" in body["message"]
    code, body = raw(cluster, "POST", base + "?fieldValidation=Ignore", pool)
    assert code == 201 and "bogus" not in body["spec"]  # pruned, as a structural schema does
    code, body = raw(cluster, "PATCH", base + "/v?fieldValidation=Strict", {"spec": {"other": 2}},
                     "application/merge-patch+json")
    assert code == 400
    code, body = raw(cluster, "POST", f"/api/v1/namespaces/{NS}/configmaps?fieldValidation=Strict",
                     {"metadata": {"name": "s", "labelz": {}}, "data": {}, "spec": {}})
    assert code == 400 and body["message"] == ('strict decoding error: unknown field "metadata.labelz", '
                                               'unknown field "spec"')
    code, body = raw(cluster, "POST", f"/api/v1/namespaces/{NS}/configmaps", {"metadata": {"name": "w"}, "spec": {}})
    assert code == 201 and "spec" not in body  # the default, Warn: dropped with a warning


def test_metadata_only_secret_list_carries_no_data():
    """Clients that ask for PartialObjectMetadataList get names and managed field names, never data."""
    import json as _json
    import urllib.request

    from gaie_tui.sim.demo import simulated_cluster

    with simulated_cluster("llm-d-ready") as sim:
        req = urllib.request.Request(f"{sim.url}/api/v1/namespaces/llm-d/secrets", headers={
            "Accept": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"})
        body = _json.loads(urllib.request.urlopen(req, timeout=10).read())
    assert body["kind"] == "PartialObjectMetadataList"
    hf = next(i for i in body["items"] if i["metadata"]["name"] == "llm-d-hf-token")
    assert "data" not in hf and "stringData" not in hf
    assert "f:HF_TOKEN" in hf["metadata"]["managedFields"][0]["fieldsV1"]["f:data"]
