"""The protobuf decoder, against bodies built field by field from the public generated.proto numbers."""
from __future__ import annotations

import base64

import pytest

from gaie_tui.sim import protobuf as pb
from gaie_tui.sim.errors import ApiError


def _s(num: int, text: str) -> bytes:
    return pb.field_bytes(num, text.encode())


def _map_entry(num: int, key: str, value: bytes) -> bytes:
    return pb.field_bytes(num, pb.field_bytes(1, key.encode()) + pb.field_bytes(2, value))


def _envelope(kind: str, raw: bytes, api_version: str = "v1") -> bytes:
    type_meta = _s(1, api_version) + _s(2, kind)
    return pb.MAGIC + pb.field_bytes(1, type_meta) + pb.field_bytes(2, raw) + _s(4, "application/vnd.kubernetes.protobuf")


def _meta(name: str, namespace: str = "", labels: dict | None = None) -> bytes:
    out = _s(1, name) + _s(2, "") + _s(3, namespace) + pb.field_bytes(8, b"")  # empty Time, as gogo writes it
    for k, v in (labels or {}).items():
        out += _map_entry(11, k, v.encode())
    return out


def test_secret_like_helm_sends_it():
    raw = (pb.field_bytes(1, _meta("sh.helm.release.v1.r.v1", "llm-d", {"owner": "helm", "status": "deployed"}))
           + _map_entry(2, "release", b"H4sI\x00binary") + _s(3, "helm.sh/release.v1")
           + pb.field_varint(5, 1))
    obj = pb.decode_body(_envelope("Secret", raw))
    assert obj == {"kind": "Secret", "apiVersion": "v1", "type": "helm.sh/release.v1", "immutable": True,
                   "metadata": {"name": "sh.helm.release.v1.r.v1", "namespace": "llm-d",
                                "labels": {"owner": "helm", "status": "deployed"}},
                   "data": {"release": base64.b64encode(b"H4sI\x00binary").decode()}}


def test_configmap_namespace_serviceaccount_and_delete_options():
    cm = pb.decode_body(_envelope("ConfigMap", pb.field_bytes(1, _meta("c")) + _map_entry(2, "k", b"v")
                                  + _map_entry(3, "bin", b"\x00\x01")))
    assert cm["data"] == {"k": "v"} and cm["binaryData"] == {"bin": "AAE="}
    ns = pb.decode_body(_envelope("Namespace", pb.field_bytes(1, _meta("n")) + pb.field_bytes(2, _s(1, "kubernetes"))))
    assert ns["spec"] == {"finalizers": ["kubernetes"]} and ns["metadata"] == {"name": "n"}
    sa = pb.decode_body(_envelope("ServiceAccount", pb.field_bytes(1, _meta("s", "d"))
                                  + pb.field_bytes(3, _s(1, "pull")) + pb.field_varint(4, 0)))
    assert sa["imagePullSecrets"] == [{"name": "pull"}] and sa["automountServiceAccountToken"] is False
    opts = pb.decode_body(_envelope("DeleteOptions", _s(4, "Foreground") + pb.field_varint(1, 30)
                                    + pb.field_bytes(2, _s(1, "uid-1")) + _s(5, "All"), "meta.k8s.io/v1"))
    assert opts == {"kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1", "propagationPolicy": "Foreground",
                    "gracePeriodSeconds": 30, "preconditions": {"uid": "uid-1"}, "dryRun": ["All"]}


def test_negative_int64_and_owner_references():
    ref = _s(1, "ReplicaSet") + _s(3, "rs") + _s(4, "u") + _s(5, "apps/v1") + pb.field_varint(6, 1)
    meta = _meta("p") + pb.field_bytes(13, ref) + pb.field_varint(10, -1)
    obj = pb.decode_body(_envelope("ConfigMap", pb.field_bytes(1, meta)))
    assert obj["metadata"]["ownerReferences"] == [{"kind": "ReplicaSet", "name": "rs", "uid": "u",
                                                   "apiVersion": "apps/v1", "controller": True}]
    assert obj["metadata"]["deletionGracePeriodSeconds"] == -1


@pytest.mark.parametrize("body", [b"not-k8s", pb.MAGIC + b"\x0a\x05ab", _envelope("Pod", b"")])
def test_bad_bodies_are_api_errors(body):
    with pytest.raises(ApiError) as err:
        pb.decode_body(body)
    assert err.value.code in (400, 415)
