"""Known fields of the built-in kinds the charts render, deep enough to catch what helm's
`fieldValidation=Strict` makes a real API server reject: a stray key on an EPP container (the
chart trap of `env` written as a map), a misspelled Service or Deployment field. Nested objects
whose fields are not listed here (resources, probes, affinity ...) are free-form, never rejected.
Fields are those of Kubernetes v1.33, the version this emulator reports.
"""
from __future__ import annotations

FREE: dict = {}  # no declared structure: anything goes


def _obj(*names: str, **typed: dict) -> dict:
    return {"type": "object", "properties": {**{n: FREE for n in names}, **typed}}


def _list(item: dict) -> dict:
    return {"type": "array", "items": item}


OBJECT_META = _obj("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
                   "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
                   "ownerReferences", "finalizers", "managedFields")
CONTAINER = _obj("name", "image", "command", "args", "workingDir", "envFrom", "resources", "resizePolicy",
                 "restartPolicy", "restartPolicyRules", "volumeMounts", "volumeDevices", "livenessProbe",
                 "readinessProbe", "startupProbe", "lifecycle", "terminationMessagePath",
                 "terminationMessagePolicy", "imagePullPolicy", "securityContext", "stdin", "stdinOnce", "tty",
                 ports=_list(_obj("name", "hostPort", "containerPort", "protocol", "hostIP")),
                 env=_list(_obj("name", "value", "valueFrom")))
POD_SPEC = _obj("volumes", "ephemeralContainers", "restartPolicy", "terminationGracePeriodSeconds",
                "activeDeadlineSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName", "serviceAccount",
                "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID", "hostIPC",
                "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain", "affinity",
                "schedulerName", "tolerations", "hostAliases", "priorityClassName", "priority", "dnsConfig",
                "readinessGates", "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead",
                "topologySpreadConstraints", "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates",
                "resourceClaims", "resources", "hostnameOverride",
                containers=_list(CONTAINER), initContainers=_list(CONTAINER))
POD_TEMPLATE = _obj(metadata=OBJECT_META, spec=POD_SPEC)
SERVICE_SPEC = _obj("type", "selector", "clusterIP", "clusterIPs", "externalIPs", "sessionAffinity",
                    "loadBalancerIP", "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy",
                    "healthCheckNodePort", "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies",
                    "ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass",
                    "internalTrafficPolicy", "trafficDistribution",
                    ports=_list(_obj("name", "protocol", "appProtocol", "port", "targetPort", "nodePort")))
_RULES = _list(_obj("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"))

SCHEMAS: dict[str, dict] = {
    "Deployment": _obj("status", metadata=OBJECT_META, spec=_obj(
        "replicas", "selector", "strategy", "minReadySeconds", "revisionHistoryLimit", "paused",
        "progressDeadlineSeconds", template=POD_TEMPLATE)),
    "Pod": _obj("status", metadata=OBJECT_META, spec=POD_SPEC),
    "Service": _obj("status", metadata=OBJECT_META, spec=SERVICE_SPEC),
    "ConfigMap": _obj("data", "binaryData", "immutable", metadata=OBJECT_META),
    "Secret": _obj("data", "stringData", "type", "immutable", metadata=OBJECT_META),
    "ServiceAccount": _obj("secrets", "imagePullSecrets", "automountServiceAccountToken", metadata=OBJECT_META),
    "Role": _obj(metadata=OBJECT_META, rules=_RULES),
    "ClusterRole": _obj("aggregationRule", metadata=OBJECT_META, rules=_RULES),
    "RoleBinding": _obj("subjects", "roleRef", metadata=OBJECT_META),
    "ClusterRoleBinding": _obj("subjects", "roleRef", metadata=OBJECT_META),
}
