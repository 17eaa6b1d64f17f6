"""Every scenario: what it contains, and what helm and the kubernetes client see in it."""
from __future__ import annotations

import json
import time

import pytest
from kubernetes import client
from sim_testkit import FAST_READY, Helm, api_client, cluster  # noqa: F401 - fixture
from support import ALL_CHARTS

from gaie_tui.sim import helmrelease, scenarios
from gaie_tui.sim.demo import simulated_cluster
from gaie_tui.sim.faults import Fault

NS = scenarios.LLMD_NAMESPACE
LEGACY, CURRENT = scenarios.LEGACY_MODEL_LABEL, scenarios.CURRENT_MODEL_LABEL
CHART = next((p for p in ALL_CHARTS if p.name == "inferencepool-v1.5.0.tgz"), None)
VALUES = ["--set", f"inferencePool.modelServers.matchLabels.{LEGACY.replace('.', chr(92) + '.')}=true"]


def _crds(api) -> set[str]:
    return {c.metadata.name for c in client.ApiextensionsV1Api(api).list_custom_resource_definition().items}


def _wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail("condition not reached in time")


def _epp_pod(core, release: str = "gaie"):
    pods = core.list_namespaced_pod(NS, label_selector=f"inferencepool={release}-epp").items
    return pods[0] if pods else None


def test_registry_is_documented_and_complete():
    required = {"llm-d-ready", "empty-cluster", "no-model-servers", "label-drift", "epp-crashloop",
                "image-pull-error", "rbac-forbidden", "pending-release"}
    assert required <= set(scenarios.SCENARIOS)
    assert all(s.description for s in scenarios.SCENARIOS.values())
    assert scenarios.DEFAULT_SCENARIO == "llm-d-ready"


@pytest.mark.parametrize("name", sorted(scenarios.SCENARIOS))
def test_every_scenario_has_the_base_namespaces(name):
    with simulated_cluster(name, ready_delay=FAST_READY) as c:
        names = {n.metadata.name for n in client.CoreV1Api(api_client(c)).list_namespace().items}
        assert {"default", "kube-system", "kube-public"} <= names
        sa = client.CoreV1Api(api_client(c)).read_namespaced_service_account("default", "kube-system")
        assert sa.metadata.uid


def test_llm_d_ready(cluster):
    api = api_client(cluster)
    core = client.CoreV1Api(api)
    pods = core.list_namespaced_pod(NS, label_selector=f"{LEGACY}=true").items
    assert len(pods) == 2 and all(p.status.container_statuses[0].ready for p in pods)
    assert {p.spec.containers[0].ports[0].container_port for p in pods} == {8000}
    secret = core.read_namespaced_secret(scenarios.HF_SECRET, NS)
    assert list(secret.data) == ["HF_TOKEN"]
    assert _crds(api) == {scenarios.INFERENCEPOOL_CRD, scenarios.DESTINATIONRULE_CRD}


def test_llm_d_ready_prometheus_and_no_istio():
    with simulated_cluster("llm-d-ready-prometheus", ready_delay=FAST_READY) as c:
        assert scenarios.SERVICEMONITOR_CRD in _crds(api_client(c))
    with simulated_cluster("llm-d-no-istio", ready_delay=FAST_READY) as c:
        assert _crds(api_client(c)) == {scenarios.INFERENCEPOOL_CRD}


def test_no_model_servers():
    with simulated_cluster("no-model-servers", ready_delay=FAST_READY) as c:
        core = client.CoreV1Api(api_client(c))
        assert core.list_namespaced_pod(NS).items == []
        assert core.read_namespaced_secret(scenarios.HF_SECRET, NS)


def test_label_drift():
    with simulated_cluster("label-drift", ready_delay=FAST_READY) as c:
        core = client.CoreV1Api(api_client(c))
        assert core.list_namespaced_pod(NS, label_selector=f"{LEGACY}=true").items == []
        pods = core.list_namespaced_pod(NS, label_selector=f"{CURRENT}=true,llm-d.ai/guide").items
        assert len(pods) == 2


def test_empty_cluster_helm_needs_the_crds(helm_bin, tmp_path):
    if CHART is None:
        pytest.skip("inferencepool-v1.5.0.tgz is not among the chart archives")
    with simulated_cluster("empty-cluster", ready_delay=FAST_READY) as c:
        assert _crds(api_client(c)) == set()
        helm = Helm(helm_bin, c, tmp_path)
        proc = helm.run("install", "gaie", str(CHART), *VALUES, namespace="default")
        assert proc.returncode != 0
        assert 'no matches for kind "InferencePool" in version "inference.networking.k8s.io/v1"' in proc.stderr
        assert "ensure CRDs are installed first" in proc.stderr


def test_pending_release_blocks_helm_upgrade(helm_bin, tmp_path):
    if CHART is None:
        pytest.skip("inferencepool-v1.5.0.tgz is not among the chart archives")
    with simulated_cluster("pending-release", ready_delay=FAST_READY) as c:
        core = client.CoreV1Api(api_client(c))
        secret = core.list_namespaced_secret(NS, label_selector="owner=helm,status=pending-install").items[0]
        release = helmrelease.decode_release(secret.data["release"])
        assert release["name"] == scenarios.PENDING_RELEASE and release["info"]["status"] == "pending-install"
        helm = Helm(helm_bin, c, tmp_path)
        listed = json.loads(helm.ok("list", "--pending", "-o", "json").stdout)
        assert [(r["name"], r["status"]) for r in listed] == [(scenarios.PENDING_RELEASE, "pending-install")]
        proc = helm.run("upgrade", "--install", scenarios.PENDING_RELEASE, str(CHART), *VALUES)
        assert proc.returncode != 0 and "another operation" in proc.stderr
        assert "STATUS: pending-install" in helm.ok("status", scenarios.PENDING_RELEASE).stdout
        helm.ok("uninstall", scenarios.PENDING_RELEASE)  # the way out a user takes
        helm.ok("install", scenarios.PENDING_RELEASE, str(CHART), *VALUES, "--wait")
        assert json.loads(helm.ok("status", scenarios.PENDING_RELEASE, "-o", "json").stdout)["info"]["status"] == "deployed"


def test_rbac_forbidden_denies_reviews_and_requests(helm_bin, tmp_path):
    with simulated_cluster("rbac-forbidden", ready_delay=FAST_READY) as c:
        api = api_client(c)
        authz = client.AuthorizationV1Api(api)

        def allowed(verb, group, resource):
            review = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(namespace=NS, verb=verb, group=group,
                                                                resource=resource)))
            return authz.create_self_subject_access_review(review).status.allowed

        assert not allowed("create", "rbac.authorization.k8s.io", "roles")
        assert not allowed("create", "rbac.authorization.k8s.io", "rolebindings")
        assert allowed("create", "apps", "deployments") and allowed("list", "rbac.authorization.k8s.io", "roles")
        with pytest.raises(client.ApiException) as err:
            client.RbacAuthorizationV1Api(api).create_namespaced_role(NS, client.V1Role(
                metadata=client.V1ObjectMeta(name="r")))
        assert err.value.status == 403 and "forbidden" in json.loads(err.value.body)["message"]
        if CHART is not None:
            proc = Helm(helm_bin, c, tmp_path).run("install", "gaie", str(CHART), *VALUES)
            assert proc.returncode != 0 and "forbidden" in proc.stderr


def _install_no_wait(helm_bin, c, tmp_path):
    if CHART is None:
        pytest.skip("inferencepool-v1.5.0.tgz is not among the chart archives")
    Helm(helm_bin, c, tmp_path).ok("install", "gaie", str(CHART), *VALUES)


def test_image_pull_error(helm_bin, tmp_path):
    with simulated_cluster("image-pull-error", ready_delay=FAST_READY) as c:
        _install_no_wait(helm_bin, c, tmp_path)
        core = client.CoreV1Api(api_client(c))

        def backoff():
            pod = _epp_pod(core)
            states = pod and pod.status.container_statuses
            return states and states[0].state.waiting and states[0].state.waiting.reason == "ImagePullBackOff" and pod
        pod = _wait_for(backoff)
        image = pod.spec.containers[0].image
        assert image in pod.status.container_statuses[0].state.waiting.message
        events = core.list_namespaced_event(NS, field_selector=f"involvedObject.name={pod.metadata.name}").items
        assert {"Failed", "BackOff"} <= {e.reason for e in events}
        assert any(image in e.message and "ErrImagePull" not in e.message for e in events if e.reason == "Failed")
        with pytest.raises(client.ApiException) as err:
            core.read_namespaced_pod_log(pod.metadata.name, NS)
        assert err.value.status == 400 and "waiting to start" in err.value.body
        dep = client.AppsV1Api(api_client(c)).read_namespaced_deployment("gaie-epp", NS)
        assert not dep.status.ready_replicas


def test_epp_crashloop(helm_bin, tmp_path):
    with simulated_cluster("epp-crashloop", ready_delay=FAST_READY) as c:
        _install_no_wait(helm_bin, c, tmp_path)
        core = client.CoreV1Api(api_client(c))

        def restarted_twice():
            pod = _epp_pod(core)
            cs = pod and pod.status.container_statuses
            return cs and cs[0].restart_count >= 2 and pod
        pod = _wait_for(restarted_twice)
        cs = pod.status.container_statuses[0]
        assert cs.state.waiting.reason == "CrashLoopBackOff" and cs.last_state.terminated.exit_code == 1
        later = _wait_for(lambda: (p := _epp_pod(core)) and p.status.container_statuses[0].restart_count > cs.restart_count)
        assert later
        text = core.read_namespaced_pod_log(pod.metadata.name, NS, tail_lines=2, previous=True)
        assert "plugins configuration" in text and len(text.splitlines()) == 2


def test_epp_logs_startup_and_pool_not_initialized(helm_bin, tmp_path):
    with simulated_cluster("llm-d-ready", ready_delay=FAST_READY) as c:
        _install_no_wait(helm_bin, c, tmp_path)
        api = api_client(c)
        core = client.CoreV1Api(api)
        pod = _wait_for(lambda: (p := _epp_pod(core)) and p.status.container_statuses
                        and p.status.container_statuses[0].ready and p)
        text = core.read_namespaced_pod_log(pod.metadata.name, NS)
        assert "Successfully synced the InferencePool" in text
        assert text.count("Pod added to the pool") == 2
        client.CustomObjectsApi(api).delete_namespaced_custom_object(
            "inference.networking.k8s.io", "v1", NS, "inferencepools", "gaie")
        assert "Pool is not initialized" in core.read_namespaced_pod_log(pod.metadata.name, NS, tail_lines=1)


def test_rbac_forbidden_epp_logs_forbidden():
    with simulated_cluster("rbac-forbidden", ready_delay=FAST_READY) as c:
        api = api_client(c)
        core = client.CoreV1Api(api)
        client.AppsV1Api(api).create_namespaced_deployment(NS, {
            "metadata": {"name": "x-epp"}, "spec": {"selector": {"matchLabels": {"inferencepool": "x-epp"}},
            "template": {"metadata": {"labels": {"inferencepool": "x-epp"}}, "spec": {
                "serviceAccountName": "x-epp", "containers": [{"name": "epp", "image": "epp:v1", "args": [
                    "--pool-name", "x"]}]}}}})
        pod = _wait_for(lambda: (p := _epp_pod(core, "x")) and p.status.phase == "Running" and p)
        assert not pod.status.container_statuses[0].ready  # never Ready
        text = core.read_namespaced_pod_log(pod.metadata.name, NS)
        assert 'is forbidden: User \\"system:serviceaccount:llm-d:x-epp\\" cannot list' in text


def test_faults_can_be_injected_into_any_scenario():
    never = (Fault("never-ready", selectors=("app=web",)),)
    with simulated_cluster("empty-cluster", ready_delay=FAST_READY, faults=never) as c:
        api = api_client(c)
        client.AppsV1Api(api).create_namespaced_deployment("default", {
            "metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                {"name": "web", "image": "nginx"}]}}}})
        core = client.CoreV1Api(api)
        pod = _wait_for(lambda: (p := core.list_namespaced_pod("default", label_selector="app=web").items)
                        and p[0].status.phase == "Running" and p[0])
        time.sleep(FAST_READY * 2)
        assert not core.read_namespaced_pod(pod.metadata.name, "default").status.container_statuses[0].ready
    with pytest.raises(ValueError):
        Fault("explode")


def test_epp_leader_election_leaves_one_ready_replica(helm_bin, tmp_path):
    if CHART is None:
        pytest.skip("inferencepool-v1.5.0.tgz is not among the chart archives")
    with simulated_cluster("llm-d-ready", ready_delay=FAST_READY) as c:
        Helm(helm_bin, c, tmp_path).ok("install", "gaie", str(CHART), *VALUES,
                                       "--set", "inferenceExtension.replicas=2")
        api = api_client(c)
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        dep = _wait_for(lambda: (d := apps.read_namespaced_deployment("gaie-epp", NS)).status.ready_replicas and d)
        time.sleep(FAST_READY * 3)
        dep = apps.read_namespaced_deployment("gaie-epp", NS)
        assert dep.status.replicas == 2 and dep.status.ready_replicas == 1
        pods = core.list_namespaced_pod(NS, label_selector="inferencepool=gaie-epp").items
        assert sorted(p.status.container_statuses[0].ready for p in pods) == [False, True]
        leader = next(p for p in pods if p.status.container_statuses[0].ready)
        core.delete_namespaced_pod(leader.metadata.name, NS)  # the other one takes over
        _wait_for(lambda: any(p.status.container_statuses and p.status.container_statuses[0].ready
                              for p in core.list_namespaced_pod(NS, label_selector="inferencepool=gaie-epp").items
                              if p.metadata.name != leader.metadata.name))


def test_faults_and_ready_delay_change_at_run_time():
    with simulated_cluster("llm-d-ready", ready_delay=FAST_READY) as c:
        c.server.set_faults((Fault("crashloop", selectors=("app=late",)),))
        c.server.set_ready_delay(0.05)
        api = api_client(c)
        client.AppsV1Api(api).create_namespaced_deployment("default", {
            "metadata": {"name": "late"}, "spec": {"selector": {"matchLabels": {"app": "late"}},
            "template": {"metadata": {"labels": {"app": "late"}}, "spec": {"containers": [
                {"name": "late", "image": "busybox"}]}}}})
        core = client.CoreV1Api(api)
        pod = _wait_for(lambda: (p := core.list_namespaced_pod("default", label_selector="app=late").items)
                        and p[0].status.container_statuses and p[0].status.container_statuses[0].restart_count and p[0])
        assert pod.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
        with pytest.raises(client.ApiException) as err:  # model servers never restarted
            vllm = core.list_namespaced_pod(NS, label_selector=f"{LEGACY}=true").items[0]
            core.read_namespaced_pod_log(vllm.metadata.name, NS, previous=True)
        assert err.value.status == 400 and "previous terminated container" in err.value.body


@pytest.mark.parametrize("scenario", ["image-pull-error", "epp-crashloop", "epp-never-ready"])
def test_faulty_epp_makes_helm_wait_time_out(scenario, helm_bin, tmp_path):
    if CHART is None:
        pytest.skip("inferencepool-v1.5.0.tgz is not among the chart archives")
    with simulated_cluster(scenario, ready_delay=FAST_READY) as c:
        proc = Helm(helm_bin, c, tmp_path).run("install", "gaie", str(CHART), *VALUES, "--wait", "--timeout", "2s")
        assert proc.returncode != 0
        assert "context deadline exceeded" in proc.stderr or "timed out" in proc.stderr, proc.stderr
        status = client.AppsV1Api(api_client(c)).read_namespaced_deployment("gaie-epp", NS).status
        assert not status.ready_replicas
