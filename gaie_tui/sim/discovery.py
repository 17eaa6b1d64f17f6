"""Discovery and OpenAPI documents, generated from the registry so CRDs show up as they come.

helm (client-go) reads legacy discovery to map kinds to resources: a kind missing here is what
makes helm say "ensure CRDs are installed first". It then reads /openapi/v3 to decide whether the
server honours `fieldValidation` on PATCH: each group-version document lists, per resource, a
PATCH operation tagged with its group/version/kind and carrying that query parameter.
"""
from __future__ import annotations

import hashlib
import json

from .resources import Registry, ResourceType

KUBE_VERSION = {
    "major": "1", "minor": "33", "gitVersion": "v1.33.0-gaie-sim", "gitCommit": "0" * 40,
    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24.0",
    "compiler": "gc", "platform": "linux/amd64", "emulationMajor": "1", "emulationMinor": "33",
}


def _resource_entry(t: ResourceType) -> list[dict]:
    entry = {"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced, "kind": t.kind,
             "verbs": list(t.verbs)}
    if t.short_names:
        entry["shortNames"] = list(t.short_names)
    out = [entry]
    if t.has_status:
        out.append({"name": f"{t.plural}/status", "singularName": "", "namespaced": t.namespaced,
                    "kind": t.kind, "verbs": ["get", "patch", "update"]})
    if t.kind == "Pod":
        out.append({"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]})
    return out


def core_versions() -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


def api_groups(reg: Registry) -> dict:
    groups = []
    for group, versions in reg.group_versions().items():
        if not group:
            continue
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": gvs, "preferredVersion": gvs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(reg: Registry, group: str, version: str) -> dict | None:
    types = reg.in_group_version(group, version)
    if not types:
        return None
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
            "resources": [e for t in types for e in _resource_entry(t)]}


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _gv_document(reg: Registry, group: str, version: str) -> dict:
    params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
              for n in ("dryRun", "fieldManager", "fieldValidation", "force")]
    paths = {}
    for t in reg.in_group_version(group, version):
        gvk = {"group": group, "version": version, "kind": t.kind}
        base = f"/{_gv_path(group, version)}" + ("/namespaces/{namespace}" if t.namespaced else "")
        op = {"operationId": f"patch{t.kind}", "parameters": params,
              "requestBody": {"content": {c: {"schema": {"type": "object"}} for c in (
                  "application/apply-patch+yaml", "application/json-patch+json",
                  "application/merge-patch+json", "application/strategic-merge-patch+json")}},
              "responses": {"200": {"description": "OK"}, "201": {"description": "Created"}},
              "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk}
        paths[f"{base}/{t.plural}/{{name}}"] = {
            "get": {"operationId": f"read{t.kind}", "responses": {"200": {"description": "OK"}},
                    "x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk},
            "patch": op,
        }
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": KUBE_VERSION["gitVersion"]},
            "paths": paths, "components": {"schemas": {}}}


def openapi_v3_root(reg: Registry) -> dict:
    paths = {}
    for group, versions in reg.group_versions().items():
        for v in versions:
            doc_hash = hashlib.sha256(json.dumps(_gv_document(reg, group, v), sort_keys=True).encode()).hexdigest()
            paths[_gv_path(group, v)] = {"serverRelativeURL": f"/openapi/v3/{_gv_path(group, v)}?hash={doc_hash[:32]}"}
    return {"paths": paths}


def openapi_v3_document(reg: Registry, path: str) -> dict | None:
    """`path` is what follows /openapi/v3/: `api/v1` or `apis/<group>/<version>`."""
    parts = path.strip("/").split("/")
    if parts[:1] == ["api"] and len(parts) == 2:
        group, version = "", parts[1]
    elif parts[:1] == ["apis"] and len(parts) == 3:
        group, version = parts[1], parts[2]
    else:
        return None
    if not reg.in_group_version(group, version):
        return None
    return _gv_document(reg, group, version)
