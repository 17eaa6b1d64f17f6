"""Which resource types the emulator serves: the built-in kinds plus CRDs registered at run time."""
from __future__ import annotations

from dataclasses import dataclass, field

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    singular: str = ""
    short_names: tuple[str, ...] = ()
    has_status: bool = False
    verbs: tuple[str, ...] = ALL_VERBS
    storage_version: bool = True  # the version whose shape objects are stored in (CRDs)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def key(self) -> tuple[str, str]:
        """Storage key: the same objects are visible through every version of a group."""
        return (self.group, self.plural)

    @property
    def qualified(self) -> str:
        """How error messages name the resource: `deployments.apps`, `configmaps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _rt(gv: str, plural: str, kind: str, namespaced: bool = True, short: tuple[str, ...] = (),
        status: bool = False, verbs: tuple[str, ...] = ALL_VERBS) -> ResourceType:
    group, _, version = gv.rpartition("/")
    return ResourceType(group, version, plural, kind, namespaced, kind.lower(), short, status, verbs)


BUILTIN: tuple[ResourceType, ...] = (
    _rt("v1", "namespaces", "Namespace", False, ("ns",), True),
    _rt("v1", "nodes", "Node", False, ("no",), True),
    _rt("v1", "pods", "Pod", short=("po",), status=True),
    _rt("v1", "services", "Service", short=("svc",), status=True),
    _rt("v1", "endpoints", "Endpoints", short=("ep",)),
    _rt("v1", "configmaps", "ConfigMap", short=("cm",)),
    _rt("v1", "secrets", "Secret"),
    _rt("v1", "serviceaccounts", "ServiceAccount", short=("sa",)),
    _rt("v1", "events", "Event", short=("ev",)),
    _rt("v1", "persistentvolumeclaims", "PersistentVolumeClaim", short=("pvc",), status=True),
    _rt("apps/v1", "deployments", "Deployment", short=("deploy",), status=True),
    _rt("apps/v1", "replicasets", "ReplicaSet", short=("rs",), status=True),
    _rt("apps/v1", "statefulsets", "StatefulSet", short=("sts",), status=True),
    _rt("apps/v1", "daemonsets", "DaemonSet", short=("ds",), status=True),
    _rt("batch/v1", "jobs", "Job", status=True),
    _rt("batch/v1", "cronjobs", "CronJob", short=("cj",), status=True),
    _rt("rbac.authorization.k8s.io/v1", "roles", "Role"),
    _rt("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding"),
    _rt("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", False),
    _rt("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _rt("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", False,
        ("crd", "crds"), True),
    _rt("coordination.k8s.io/v1", "leases", "Lease"),
    _rt("authorization.k8s.io/v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False,
        verbs=("create",)),
    _rt("networking.k8s.io/v1", "ingresses", "Ingress", short=("ing",), status=True),
    _rt("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", short=("netpol",)),
    _rt("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", short=("pdb",), status=True),
    _rt("autoscaling/v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short=("hpa",), status=True),
    _rt("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short=("hpa",), status=True),
    _rt("discovery.k8s.io/v1", "endpointslices", "EndpointSlice"),
    _rt("storage.k8s.io/v1", "storageclasses", "StorageClass", False, ("sc",)),
    _rt("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration", False),
    _rt("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False),
    _rt("scheduling.k8s.io/v1", "priorityclasses", "PriorityClass", False, ("pc",)),
)


def types_from_crd(crd: dict) -> list[ResourceType]:
    """The resource types a CustomResourceDefinition serves, one per served version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    out = []
    for ver in spec.get("versions") or []:
        if not ver.get("served", True):
            continue
        out.append(ResourceType(
            group=spec.get("group", ""), version=ver["name"], plural=names.get("plural", ""),
            kind=names.get("kind", ""), namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            singular=names.get("singular", "") or names.get("kind", "").lower(),
            short_names=tuple(names.get("shortNames") or ()),
            has_status="status" in (ver.get("subresources") or {}),
            storage_version=bool(ver.get("storage", False))))
    return out


@dataclass
class Registry:
    """Lookup of served resource types; CRD types come and go with their CRD objects."""
    builtin: tuple[ResourceType, ...] = BUILTIN
    custom: dict[str, list[ResourceType]] = field(default_factory=dict)  # CRD name -> its types

    def all(self) -> list[ResourceType]:
        custom = self.custom  # replaced, never mutated: request threads may read while a CRD changes
        return list(self.builtin) + [t for types in custom.values() for t in types]

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        for t in self.all():
            if t.group == group and t.version == version and t.plural == plural:
                return t
        return None

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        for t in self.all():
            if t.api_version == api_version and t.kind == kind:
                return t
        return None

    def group_versions(self) -> dict[str, list[str]]:
        """group -> versions, preferred first (storage version for CRDs, listing order otherwise)."""
        out: dict[str, list[str]] = {}
        custom = self.custom
        for t in list(self.builtin) + [t for types in custom.values() for t in types]:
            versions = out.setdefault(t.group, [])
            if t.version not in versions:
                if t.storage_version and any(t in types for types in custom.values()):
                    versions.insert(0, t.version)
                else:
                    versions.append(t.version)
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [t for t in self.all() if t.group == group and t.version == version]

    def register_crd(self, crd: dict) -> None:
        self.custom = {**self.custom, crd["metadata"]["name"]: types_from_crd(crd)}

    def unregister_crd(self, name: str) -> list[ResourceType]:
        gone = self.custom.get(name, [])
        self.custom = {k: v for k, v in self.custom.items() if k != name}
        return gone
