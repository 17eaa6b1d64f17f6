"""Helm release Secrets in helm's own storage format, for scenarios that start with a release.

helm keeps each revision in a Secret `sh.helm.release.v1.<name>.v<revision>` of type
`helm.sh/release.v1`, labelled name/owner/status/version, whose `release` key holds
base64(gzip(JSON)) of the release (and the API base64-encodes Secret data once more).
"""
from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime

import yaml

# the EPP pod label key of each chart family (value: <release>-epp)
EPP_LABEL_KEYS = {"inferencepool": "inferencepool", "llm-d-router-gateway": "llm-d-router-gateway"}
POOL_API = "inference.networking.k8s.io/v1"
DESTINATION_RULE_API = "networking.istio.io/v1beta1"


def encode_release(release: dict) -> str:
    """The `data.release` value as stored by the API (base64 of helm's base64 of gzip of JSON)."""
    inner = base64.b64encode(gzip.compress(json.dumps(release).encode(), mtime=0))
    return base64.b64encode(inner).decode()


def decode_release(data_value: str) -> dict:
    """Inverse of encode_release, for readers of release Secrets (and tests)."""
    inner = base64.b64decode(base64.b64decode(data_value))
    return json.loads(gzip.decompress(inner) if inner[:2] == b"\x1f\x8b" else inner)


def release_secret(name: str, namespace: str, *, revision: int = 1, status: str = "pending-install",
                   chart: str = "inferencepool", chart_version: str = "v1.5.0", values: dict | None = None,
                   manifest: str = "", description: str = "Initial install underway",
                   deployed_at: datetime | None = None, first_deployed: datetime | None = None) -> dict:
    """One revision's Secret. `deployed_at`/`first_deployed` default to now (helm list's age)."""
    now = _stamp(deployed_at or datetime.now(UTC))
    first = _stamp(first_deployed) if first_deployed else now
    release = {
        "name": name, "namespace": namespace, "version": revision,
        "info": {"first_deployed": first, "last_deployed": now, "deleted": "", "description": description,
                 "status": status},
        "chart": {"metadata": {"name": chart, "version": chart_version, "appVersion": chart_version,
                               "apiVersion": "v2", "type": "application",
                               "description": "A Helm chart for InferencePool"},
                  "lock": None, "templates": [], "values": {}, "schema": None, "files": []},
        "config": values or {}, "manifest": manifest,
    }
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": f"sh.helm.release.v1.{name}.v{revision}", "namespace": namespace,
                     "labels": {"name": name, "owner": "helm", "status": status, "version": str(revision)}},
        "data": {"release": encode_release(release)},
    }


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


# ---- what a release of either chart family renders (for scenarios that start with releases) ----
def epp_objects(release: str, namespace: str, *, chart: str = "inferencepool", chart_version: str = "v1.5.0",
                image: str, match_labels: dict[str, str], target_port: int = 8000, replicas: int = 1,
                verbosity: int = 1, istio: bool = True, dr_host: str | None = None) -> list[tuple[str, dict]]:
    """(template file, object) pairs shaped like the chart's own output: the EPP's ServiceAccount,
    Role and RoleBinding, Service (ext-proc 9002), Deployment, the InferencePool and, for istio, the
    DestinationRule (which the chart renders without a namespace). Fewer objects than the chart
    (no plugins ConfigMap), the same names, labels, selectors and ports a verifier looks at."""
    epp = f"{release}-epp"
    key = EPP_LABEL_KEYS[chart]
    meta_labels = {"app.kubernetes.io/name": epp, "app.kubernetes.io/version": chart_version}
    src = f"{chart}/templates"
    objs: list[tuple[str, dict]] = [
        (f"{src}/rbac.yaml", {"apiVersion": "v1", "kind": "ServiceAccount",
                              "metadata": {"name": epp, "namespace": namespace, "labels": dict(meta_labels)}}),
        (f"{src}/rbac.yaml", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                              "metadata": {"name": epp, "namespace": namespace, "labels": dict(meta_labels)},
                              "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]},
                                        {"apiGroups": ["inference.networking.k8s.io"],
                                         "resources": ["inferencepools"], "verbs": ["get", "watch", "list"]}]}),
        (f"{src}/rbac.yaml", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                              "metadata": {"name": epp, "namespace": namespace},
                              "subjects": [{"kind": "ServiceAccount", "name": epp, "namespace": namespace}],
                              "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": epp}}),
        (f"{src}/inferenceextension.yaml", {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": epp, "namespace": namespace, "labels": dict(meta_labels)},
            "spec": {"selector": {key: epp}, "type": "ClusterIP",
                     "ports": [{"name": "grpc-ext-proc", "protocol": "TCP", "port": 9002},
                               {"name": "http-metrics", "protocol": "TCP", "port": 9090}]}}),
        (f"{src}/inferenceextension.yaml", {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": epp, "namespace": namespace, "labels": dict(meta_labels)},
            "spec": {"replicas": replicas, "strategy": {"type": "Recreate"},
                     "selector": {"matchLabels": {key: epp}},
                     "template": {"metadata": {"labels": {key: epp}}, "spec": {
                         "serviceAccountName": epp, "terminationGracePeriodSeconds": 130,
                         "containers": [{
                             "name": "epp", "image": image, "imagePullPolicy": "IfNotPresent",
                             "args": ["--pool-name", release, "--pool-namespace", namespace, "--pool-group",
                                      "inference.networking.k8s.io", "--zap-encoder", "json",
                                      "--v", str(verbosity)],
                             "ports": [{"name": "grpc", "containerPort": 9002},
                                       {"name": "grpc-health", "containerPort": 9003},
                                       {"name": "metrics", "containerPort": 9090}]}]}}}}),
        (f"{src}/inferencepool.yaml", {
            "apiVersion": POOL_API, "kind": "InferencePool",
            "metadata": {"name": release, "namespace": namespace, "labels": dict(meta_labels)},
            "spec": {"targetPorts": [{"number": target_port}], "appProtocol": "http",
                     "selector": {"matchLabels": dict(match_labels)},
                     "endpointPickerRef": {"name": epp, "port": {"number": 9002}, "failureMode": "FailOpen"}}}),
    ]
    if istio:
        objs.append((f"{src}/istio.yaml", {
            "apiVersion": DESTINATION_RULE_API, "kind": "DestinationRule", "metadata": {"name": epp},
            "spec": {"host": dr_host or f"{epp}.{namespace}.svc.cluster.local",
                     "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}}}}))
    return objs


def manifest_text(objects: list[tuple[str, dict]]) -> str:
    """The release's manifest as helm stores it: `---`, a `# Source:` line, the YAML of each object."""
    return "".join(f"---\n# Source: {src}\n" + yaml.safe_dump(obj, sort_keys=False)
                   for src, obj in objects)


def release_values(chart: str, chart_version: str, *, image: str, match_labels: dict[str, str],
                   target_port: int = 8000, replicas: int = 1, verbosity: int = 1, istio: bool = True) -> dict:
    """The user-supplied values (`helm get values`) that would render `epp_objects` with the same
    arguments, in the layout of that chart version."""
    ref, _, tag = image.rpartition(":")
    registry, _, repository = ref.rpartition("/")
    provider = {"name": "istio"} if istio else {"name": "none"}
    if chart == "llm-d-router-gateway":
        return {"router": {"epp": {"image": {"registry": registry, "repository": repository, "tag": tag},
                                   "replicas": replicas, "flags": {"v": verbosity}},
                           "modelServers": {"matchLabels": dict(match_labels),
                                            "targetPorts": [{"number": target_port}]}},
                "provider": provider}
    # image keys: hub/name up to v1.4.x, registry/repository from v1.5.0 (the chart ignores the other pair)
    parts = tuple(int(p) for p in chart_version.lstrip("v").split(".")[:2])
    image_keys = ("registry", "repository") if parts >= (1, 5) else ("hub", "name")
    return {"inferenceExtension": {"image": {image_keys[0]: registry, image_keys[1]: repository, "tag": tag},
                                   "replicas": replicas, "flags": {"v": verbosity}},
            "inferencePool": {"modelServers": {"matchLabels": dict(match_labels)},
                              "targetPorts": [{"number": target_port}]},
            "provider": provider}


def helm_owned(obj: dict, release: str, namespace: str) -> dict:
    """The object as helm leaves it in the cluster: its namespace set, the managed-by label and the
    release annotations helm adds to everything it creates (they are not in the manifest)."""
    out = json.loads(json.dumps(obj))
    meta = out.setdefault("metadata", {})
    meta.setdefault("namespace", namespace)
    meta.setdefault("labels", {})["app.kubernetes.io/managed-by"] = "Helm"
    meta.setdefault("annotations", {}).update({"meta.helm.sh/release-name": release,
                                                "meta.helm.sh/release-namespace": namespace})
    return out
