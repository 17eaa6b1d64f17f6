"""Pure functions of the emulator: selectors, patches, apply, helm release encoding."""
from __future__ import annotations

import pytest

from gaie_tui.sim import helmrelease
from gaie_tui.sim.errors import ApiError
from gaie_tui.sim.patch import apply_merge, json_patch, merge_patch, strategic_merge
from gaie_tui.sim.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
    selector_from_match,
)

LABELS = {"app": "vllm", "tier": "gpu", "llm-d.ai/inferenceServing": "true"}


@pytest.mark.parametrize("selector, expected", [
    ("app=vllm", True), ("app==vllm", True), ("app!=vllm", False), ("app=other", False),
    ("app in (vllm, sglang)", True), ("app notin (vllm)", False), ("missing notin (x)", True),
    ("tier", True), ("!tier", False), ("!missing", True), ("missing!=x", True),
    ("llm-d.ai/inferenceServing=true,tier in (gpu),app", True), ("app=vllm,tier=cpu", False), ("", True),
])
def test_label_selectors(selector, expected):
    assert labels_match(parse_label_selector(selector), LABELS) is expected


@pytest.mark.parametrize("bad", ["a b=c", "=x", "app in (x"])
def test_bad_label_selectors_are_400(bad):
    with pytest.raises(ApiError) as err:
        reqs = parse_label_selector(bad)
        labels_match(reqs, LABELS)
        raise AssertionError(f"{bad!r} parsed as {reqs}")
    assert err.value.code == 400


def test_match_expressions_and_field_selectors():
    sel = selector_from_match({"matchLabels": {"app": "vllm"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["gpu"]}, {"key": "old", "operator": "DoesNotExist"}]})
    assert labels_match(sel, LABELS) and not labels_match(sel, {**LABELS, "old": "1"})
    pod = {"metadata": {"name": "p", "namespace": "n"}, "status": {"phase": "Running"}, "spec": {"hostNetwork": False}}
    assert fields_match(parse_field_selector("metadata.name=p,status.phase!=Pending"), pod)
    assert not fields_match(parse_field_selector("metadata.namespace=other"), pod)
    assert fields_match(parse_field_selector("spec.hostNetwork=false"), pod)
    with pytest.raises(ApiError):
        parse_field_selector("nooperator")


def test_strategic_merge_keys_containers_env_and_ports():
    live = {"spec": {"containers": [{"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}],
                                     "ports": [{"containerPort": 80}]},
                                    {"name": "b", "image": "b:1"}], "args": ["--x"]}}
    patch = {"spec": {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}],
                                      "ports": [{"containerPort": 81}]},
                                     {"name": "b", "$patch": "delete"}], "args": ["--y"]}}
    out = strategic_merge(live, patch)
    [a] = out["spec"]["containers"]
    assert a["image"] == "a:1" and [e["name"] for e in a["env"]] == ["X", "Y"]
    assert [p["containerPort"] for p in a["ports"]] == [80, 81]
    assert out["spec"]["args"] == ["--y"]  # plain lists are replaced
    assert live["spec"]["containers"][1]["name"] == "b"  # input untouched


def test_merge_patch_and_json_patch():
    doc = {"a": {"b": 1, "c": 2}, "l": [1, 2]}
    assert merge_patch(doc, {"a": {"b": None, "d": 3}, "l": [3]}) == {"a": {"c": 2, "d": 3}, "l": [3]}
    ops = [{"op": "add", "path": "/l/-", "value": 3}, {"op": "replace", "path": "/a/b", "value": 9},
           {"op": "remove", "path": "/a/c"}, {"op": "copy", "from": "/a/b", "path": "/z"},
           {"op": "test", "path": "/z", "value": 9}]
    assert json_patch(doc, ops) == {"a": {"b": 9}, "l": [1, 2, 3], "z": 9}
    with pytest.raises(ApiError) as err:
        json_patch(doc, [{"op": "test", "path": "/a/b", "value": 5}])
    assert err.value.code == 422


def test_apply_removes_only_what_the_manager_stopped_sending():
    live = {"data": {"mine": "1", "dropped": "2", "theirs": "3"},
            "spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "sidecar", "image": "s"}]}}
    last = {"data": {"mine": "1", "dropped": "2"}, "spec": {"containers": [{"name": "a", "image": "a:1"}]}}
    new = {"data": {"mine": "9"}, "spec": {"containers": [{"name": "a", "image": "a:2"}]}}
    out = apply_merge(live, last, new)
    assert out["data"] == {"mine": "9", "theirs": "3"}
    assert [(c["name"], c["image"]) for c in out["spec"]["containers"]] == [("a", "a:2"), ("sidecar", "s")]


def test_release_encoding_round_trip():
    secret = helmrelease.release_secret("r", "ns", revision=3, status="deployed", values={"x": 1})
    assert secret["metadata"]["name"] == "sh.helm.release.v1.r.v3"
    assert secret["metadata"]["labels"] == {"name": "r", "owner": "helm", "status": "deployed", "version": "3"}
    release = helmrelease.decode_release(secret["data"]["release"])
    assert release["version"] == 3 and release["config"] == {"x": 1} and release["chart"]["metadata"]["name"]


def test_repeated_pod_events_aggregate_into_one_with_a_count():
    from gaie_tui.sim.server import SimServer

    with SimServer("llm-d-ready", ready_delay=0.05) as sim:
        store = sim.store
        pods_rt = store.registry.lookup("", "v1", "pods")
        pod = store.list(pods_rt, "llm-d", {}, {})[0][0]
        kubelet = sim.controllers.kubelet
        kubelet._event(pod, "BackOff", "Back-off restarting failed container")
        kubelet._event(pod, "BackOff", "Back-off restarting failed container")
        events = [e for e in store.list(kubelet.events_rt, "llm-d", {}, {})[0] if e["reason"] == "BackOff"]
    assert len(events) == 1 and events[0]["count"] == 2
