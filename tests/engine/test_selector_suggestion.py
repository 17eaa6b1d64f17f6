"""Issue 13 #10: when the model-server selector matches nothing, the selector suggested instead
(Setup, preflight and verify share `similar_selector`) selects model-server pods only: pods with a
container exposing a target port, not an endpoint picker (this release's or another's), and never
with a label a controller stamps (`pod-template-hash` …)."""
from __future__ import annotations

from gaie_tui.core.cluster.checks import FAIL
from gaie_tui.core.verify.checks import model_server_check
from gaie_tui.core.verify.expected import Expected
from gaie_tui.core.verify.pods import model_server_pods, selector_matches, similar_selector


def pod(name: str, labels: dict, ports=(), owner: str = "", spec: bool = True) -> dict:
    meta = {"name": name, "labels": labels}
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner}]
    out = {"metadata": meta}
    if spec:
        out["spec"] = {"containers": [{"name": "c", "ports": [{"containerPort": p} for p in ports]}]}
    return out


# the release's EPP (two replicas, so it would win a count) and one model server, both with `app`
EPP = [pod(f"gaie-epp-7d9c-{i}", {"app": "gaie-epp", "inferencepool": "gaie-epp", "pod-template-hash": "7d9c"},
           ports=(9002, 9090), owner="gaie-epp-7d9c") for i in range(2)]
VLLM = [pod("vllm-0", {"app": "vllm-qwen", "pod-template-hash": "55f"}, ports=(8000,))]


def test_the_epps_own_labels_are_never_suggested():
    assert similar_selector({"app": "vllm"}, EPP + VLLM, target_ports=[8000], release="gaie") == (
        {"app": "vllm-qwen"}, 1)
    # without the release: an EPP pod is still known by the chart's EPP pod label
    assert similar_selector({"app": "vllm"}, EPP + VLLM, target_ports=[8000]) == ({"app": "vllm-qwen"}, 1)


def test_an_epp_of_this_release_is_known_by_its_owner_without_the_chart_label():
    bare = [pod(f"x-{i}", {"app": "gaie-epp"}, ports=(8000,), owner="gaie-epp-abc") for i in range(3)]
    assert similar_selector({"app": "vllm"}, bare + VLLM, target_ports=[8000], release="gaie") == (
        {"app": "vllm-qwen"}, 1)


def test_pods_without_the_target_port_are_not_model_servers():
    redis = [pod(f"redis-{i}", {"app": "redis"}, ports=(6379,)) for i in range(3)]
    assert similar_selector({"app": "vllm"}, redis + VLLM, target_ports=[8000]) == ({"app": "vllm-qwen"}, 1)
    assert model_server_pods(redis + VLLM + EPP, target_ports=[8000]) == VLLM


def test_metadata_only_lists_are_judged_by_their_labels():
    # preflight and verify list pods as metadata (no spec): the port cannot be known there
    meta = [pod("vllm-0", {"llm-d.ai/inference-serving": "true"}, spec=False),
            pod("gaie-epp-1", {"llm-d.ai/inference-serving": "true", "inferencepool": "gaie-epp"}, spec=False)]
    assert similar_selector({"llm-d.ai/inferenceServing": "true"}, meta, target_ports=[8000]) == (
        {"llm-d.ai/inference-serving": "true"}, 1)


def test_controller_labels_are_never_part_of_a_suggestion():
    pods = [pod("a", {"pod-template-hash": "abc", "app": "vllm"}, ports=(8000,))]
    assert similar_selector({"pod-template-hash": "zzz"}, pods, target_ports=[8000]) == (None, 0)
    assert similar_selector({"podtemplatehash": "zzz"}, pods, target_ports=[8000]) == (None, 0)


def test_setup_and_verify_say_the_suggestion_as_kubectl_writes_selectors():
    m = selector_matches({"app": "vllm"}, EPP + VLLM, target_ports=[8000], release="gaie")
    assert "carry app=vllm-qwen instead" in m.describe() and "gaie-epp" not in m.describe()
    exp = Expected(release="gaie", namespace="llm-d", pool_selector={"app": "vllm"}, target_ports=[8000])
    c = model_server_check(exp, [], EPP + VLLM)
    assert c.status == FAIL
    assert "carry app=vllm-qwen instead" in c.evidence and "{'" not in c.evidence + c.remedy
