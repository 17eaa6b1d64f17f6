"""Decoder for the Kubernetes protobuf request bodies helm sends.

helm's typed clients POST/PUT Secrets, ConfigMaps, Namespaces and ServiceAccounts and send
DeleteOptions as `application/vnd.kubernetes.protobuf`. The body is the magic `k8s\\0` followed by a
`runtime.Unknown` message whose `raw` field holds the object message. We decode the protobuf wire
format ourselves against small field tables taken from the public k8s.io/api `generated.proto`
(field numbers are part of the API contract), producing the same dict the JSON form would give.
Unknown fields are skipped, as protobuf readers do.
"""
from __future__ import annotations

import base64
from datetime import UTC, datetime

from .errors import ApiError

MAGIC = b"k8s\x00"

# Field tables: number -> (json name, type). Types: "str", "bytes", "int", "bool", a message name,
# "map:str"/"map:bytes" (map<string,string|bytes>), or "[...]" for repeated.
SCHEMAS: dict[str, dict[int, tuple[str, str]]] = {
    "Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", "bytes"), 3: ("contentEncoding", "str"),
                4: ("contentType", "str")},
    "TypeMeta": {1: ("apiVersion", "str"), 2: ("kind", "str")},
    "Time": {1: ("seconds", "int"), 2: ("nanos", "int")},
    "ObjectMeta": {
        1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"), 4: ("selfLink", "str"),
        5: ("uid", "str"), 6: ("resourceVersion", "str"), 7: ("generation", "int"),
        8: ("creationTimestamp", "Time"), 9: ("deletionTimestamp", "Time"),
        10: ("deletionGracePeriodSeconds", "int"), 11: ("labels", "map:str"), 12: ("annotations", "map:str"),
        13: ("ownerReferences", "[OwnerReference]"), 14: ("finalizers", "[str]"),
    },
    "OwnerReference": {1: ("kind", "str"), 3: ("name", "str"), 4: ("uid", "str"), 5: ("apiVersion", "str"),
                       6: ("controller", "bool"), 7: ("blockOwnerDeletion", "bool")},
    "ObjectReference": {1: ("kind", "str"), 2: ("namespace", "str"), 3: ("name", "str"), 4: ("uid", "str"),
                        5: ("apiVersion", "str"), 6: ("resourceVersion", "str"), 7: ("fieldPath", "str")},
    "LocalObjectReference": {1: ("name", "str")},
    "Secret": {1: ("metadata", "ObjectMeta"), 2: ("data", "map:bytes"), 3: ("type", "str"),
               4: ("stringData", "map:str"), 5: ("immutable", "bool")},
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 2: ("data", "map:str"), 3: ("binaryData", "map:bytes"),
                  4: ("immutable", "bool")},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec"), 3: ("status", "NamespaceStatus")},
    "NamespaceSpec": {1: ("finalizers", "[str]")},
    "NamespaceStatus": {1: ("phase", "str")},
    "ServiceAccount": {1: ("metadata", "ObjectMeta"), 2: ("secrets", "[ObjectReference]"),
                       3: ("imagePullSecrets", "[LocalObjectReference]"),
                       4: ("automountServiceAccountToken", "bool")},
    "DeleteOptions": {1: ("gracePeriodSeconds", "int"), 2: ("preconditions", "Preconditions"),
                      3: ("orphanDependents", "bool"), 4: ("propagationPolicy", "str"), 5: ("dryRun", "[str]")},
    "Preconditions": {1: ("uid", "str"), 2: ("resourceVersion", "str")},
    # kubectl auth can-i sends this one as protobuf too
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"),
                                    2: ("nonResourceAttributes", "NonResourceAttributes")},
    "ResourceAttributes": {1: ("namespace", "str"), 2: ("verb", "str"), 3: ("group", "str"), 4: ("version", "str"),
                           5: ("resource", "str"), 6: ("subresource", "str"), 7: ("name", "str")},
    "NonResourceAttributes": {1: ("path", "str"), 2: ("verb", "str")},
}
SUPPORTED_KINDS = ("Secret", "ConfigMap", "Namespace", "ServiceAccount", "DeleteOptions", "SelfSubjectAccessReview")


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf: bytes):
    """Yield (field number, wire type, value) for each field of one message."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        num, wire = tag >> 3, tag & 7
        if wire == 0:
            val, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise ValueError("truncated length-delimited field")
            val, pos = buf[pos:pos + size], pos + size
        elif wire == 1:
            val, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            val, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield num, wire, val


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _rfc3339(msg: dict) -> str | None:
    secs = msg.get("seconds", 0)
    if not secs:
        return None  # metav1.Time zero value: gogo writes an empty message for it
    return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_message(buf: bytes, schema_name: str) -> dict:
    schema = SCHEMAS[schema_name]
    out: dict = {}
    for num, _wire, val in fields(buf):
        if num not in schema:
            continue
        name, typ = schema[num]
        repeated = typ.startswith("[")
        base = typ.strip("[]")
        if base.startswith("map:"):
            k = v = None
            for n, _w, x in fields(val):
                if n == 1:
                    k = x.decode()
                elif n == 2:
                    v = x
            v = v or b""
            out.setdefault(name, {})[k or ""] = (base64.b64encode(v).decode() if base == "map:bytes"
                                                 else v.decode())
            continue
        if base == "str":
            item = val.decode()
        elif base == "bytes":
            item = val
        elif base == "int":
            item = _signed(val)
        elif base == "bool":
            item = bool(val)
        elif base == "Time":
            item = _rfc3339(decode_message(val, "Time"))
        else:
            item = decode_message(val, base)
        if repeated:
            out.setdefault(name, []).append(item)
        else:
            out[name] = item
    # proto2 generated code writes empty strings and zero values; JSON omits them
    return {k: v for k, v in out.items() if v not in ("", None, 0) or isinstance(v, bool)}


def decode_body(body: bytes) -> dict:
    """Decode a `k8s\\0`-prefixed protobuf body into the JSON-shaped object it carries."""
    if not body.startswith(MAGIC):
        raise ApiError(415, "UnsupportedMediaType", "protobuf body lacks the k8s envelope")
    try:
        unknown = decode_message(body[len(MAGIC):], "Unknown")
        tm = unknown.get("typeMeta", {})
        kind = tm.get("kind", "")
        if kind not in SUPPORTED_KINDS:
            raise ApiError(415, "UnsupportedMediaType",
                           f"protobuf bodies are only understood for {', '.join(SUPPORTED_KINDS)}, not {kind!r}")
        obj = decode_message(unknown.get("raw", b""), kind)
    except ValueError as exc:
        raise ApiError.bad_request(f"malformed protobuf body: {exc}") from None
    obj["kind"] = kind
    obj["apiVersion"] = tm.get("apiVersion") or "v1"
    return obj


# --- encoding: only what the emulator itself needs (the /openapi/v2 document and tests) ---
def _enc_varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field_bytes(num: int, payload: bytes) -> bytes:
    return _enc_varint(num << 3 | 2) + _enc_varint(len(payload)) + payload


def field_varint(num: int, value: int) -> bytes:
    return _enc_varint(num << 3) + _enc_varint(value)


def openapi_v2_document() -> bytes:
    """gnostic openapi_v2.Document with only `swagger: "2.0"` (field 1)."""
    return field_bytes(1, b"2.0")
