"""Named cluster scenarios: what the simulated cluster contains when it starts or is reset.

A scenario is a `Scenario` in `SCENARIOS`. To add one, write a seed function that builds objects
through `Seed` and register it:

    def _two_pools(s: Seed) -> None:
        s.namespace("team-a")
        s.model_servers("team-a", "vllm-a", {"llm-d.ai/inference-serving": "true"})

    register(Scenario("two-pools", "what it shows, in one line", crds=LLMD_CRDS, seed=_two_pools,
                      faults=(Fault("crashloop"),), forbidden=(Rule("create", "roles"),)))

Every scenario also gets `default`, `kube-system`, `kube-public` and a node. `faults` break the
pods they select (image pull errors, crash loops, never-ready); `forbidden` denies verbs on
resources both to SelfSubjectAccessReview and to real requests.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources as importlib_resources

from .faults import Fault
from .helmrelease import release_secret
from .store import Store

INFERENCEPOOL_CRD = "inferencepools.inference.networking.k8s.io"
DESTINATIONRULE_CRD = "destinationrules.networking.istio.io"
SERVICEMONITOR_CRD = "servicemonitors.monitoring.coreos.com"
LLMD_NAMESPACE = "llm-d"
HF_SECRET = "llm-d-hf-token"
PENDING_RELEASE = "gaie-llm-d"
LEGACY_MODEL_LABEL = "llm-d.ai/inferenceServing"
CURRENT_MODEL_LABEL = "llm-d.ai/inference-serving"
BASE_NAMESPACES = ("default", "kube-system", "kube-public")
DEFAULT_SCENARIO = "llm-d-ready"


@dataclass(frozen=True)
class Rule:
    """Denies `verb` on `resource` (plural) in API `group`; "*" matches anything."""
    verb: str
    resource: str
    group: str = "*"

    def matches(self, verb: str, group: str, resource: str) -> bool:
        return (self.verb in ("*", verb) and self.resource in ("*", resource)
                and self.group in ("*", group))


@dataclass
class Seed:
    """Helpers a scenario's seed function uses to populate the store."""
    store: Store

    def create(self, group: str, version: str, plural: str, obj: dict, namespace: str = "") -> dict:
        rt = self.store.registry.lookup(group, version, plural)
        if rt is None:  # a scenario bug (e.g. a custom resource before its CRD): fail loudly at start
            raise ValueError(f"{group or 'core'}/{version} {plural} is not served")
        return self.store.create(rt, namespace, obj)

    def namespace(self, name: str, labels: dict | None = None) -> None:
        self.create("", "v1", "namespaces", {"metadata": {"name": name, "labels": {
            "kubernetes.io/metadata.name": name, **(labels or {})}}})

    def crd(self, name: str) -> None:
        self.create("apiextensions.k8s.io", "v1", "customresourcedefinitions", load_crd(name))

    def secret(self, namespace: str, name: str, data: dict[str, str], type_: str = "Opaque") -> None:
        self.create("", "v1", "secrets", {"metadata": {"name": name}, "type": type_, "data": {
            k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}, namespace)

    def helm_release(self, name: str, namespace: str, **kwargs) -> None:
        """A helm release Secret in helm's storage format (see helmrelease.release_secret)."""
        self.create("", "v1", "secrets", release_secret(name, namespace, **kwargs), namespace)

    def model_servers(self, namespace: str, name: str, labels: dict[str, str], replicas: int = 2,
                      model: str = "Qwen/Qwen3-0.6B", port: int = 8000) -> None:
        """A vLLM Deployment whose pods the controllers bring to Ready."""
        pod_labels = {"app": name, **labels}
        self.create("apps", "v1", "deployments", {
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": pod_labels}, "spec": {"containers": [{
                         "name": "vllm", "image": "ghcr.io/llm-d/llm-d-cuda:v0.3.0",
                         "args": ["--model", model, "--port", str(port)],
                         "ports": [{"containerPort": port, "name": "http", "protocol": "TCP"}],
                         "env": [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {
                             "name": HF_SECRET, "key": "HF_TOKEN"}}}],
                         "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}}}, namespace)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    crds: tuple[str, ...] = ()
    seed: Callable[[Seed], None] | None = None
    faults: tuple[Fault, ...] = ()
    forbidden: tuple[Rule, ...] = ()
    # resources this cluster does not serve at all ("plural.group"), e.g. an API proxy without
    # authorization.k8s.io: clients must cope with the 404
    unserved: tuple[str, ...] = ()

    def denies(self, verb: str, group: str, resource: str) -> Rule | None:
        return next((r for r in self.forbidden if r.matches(verb, group, resource)), None)


SCENARIOS: dict[str, Scenario] = {}


def register(scenario: Scenario) -> Scenario:
    SCENARIOS[scenario.name] = scenario
    return scenario


def get(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(sorted(SCENARIOS))}") from None


def load_crd(name: str) -> dict:
    """A CRD bundled with the package (gaie_tui/sim/data/<name>.json)."""
    text = importlib_resources.files(__package__).joinpath("data", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def apply(scenario: Scenario, store: Store) -> None:
    """Populate an empty store with the scenario's objects."""
    seed = Seed(store)
    for ns in BASE_NAMESPACES:
        seed.namespace(ns)
    seed.create("", "v1", "nodes", {"metadata": {"name": "sim-node-1", "labels": {
        "kubernetes.io/hostname": "sim-node-1", "nvidia.com/gpu.present": "true"}},
        "status": {"capacity": {"cpu": "32", "memory": "256Gi", "nvidia.com/gpu": "8"}}})
    for crd in scenario.crds:
        seed.crd(crd)
    if scenario.seed:
        scenario.seed(seed)


# ---- the scenarios ---------------------------------------------------------------------------
LLMD_CRDS = (INFERENCEPOOL_CRD, DESTINATIONRULE_CRD)


def _llm_d(label: str = LEGACY_MODEL_LABEL, servers: bool = True, extra: dict | None = None):
    def seed(s: Seed) -> None:
        s.namespace(LLMD_NAMESPACE)
        s.secret(LLMD_NAMESPACE, HF_SECRET, {"HF_TOKEN": "hf_simulatedTokenNotReal0000000000"})
        if servers:
            s.model_servers(LLMD_NAMESPACE, "vllm-qwen3", {label: "true", **(extra or {})})
    return seed


def _pending(s: Seed) -> None:
    _llm_d()(s)
    s.helm_release(PENDING_RELEASE, LLMD_NAMESPACE, status="pending-install", values={
        "inferencePool": {"modelServers": {"matchLabels": {LEGACY_MODEL_LABEL: "true"}}}})


register(Scenario("llm-d-ready", "namespace llm-d with 2 Ready vLLM pods (llm-d.ai/inferenceServing=true, "
                  "port 8000), secret llm-d-hf-token, InferencePool and DestinationRule CRDs",
                  LLMD_CRDS, _llm_d()))
register(Scenario("llm-d-ready-prometheus", "llm-d-ready plus the Prometheus operator's ServiceMonitor CRD",
                  LLMD_CRDS + (SERVICEMONITOR_CRD,), _llm_d()))
register(Scenario("llm-d-no-istio", "llm-d-ready without Istio: no DestinationRule CRD",
                  (INFERENCEPOOL_CRD,), _llm_d()))
register(Scenario("empty-cluster", "only default, kube-system and kube-public; no CRDs"))
register(Scenario("no-model-servers", "llm-d namespace, secret and CRDs, but no model-server pods",
                  LLMD_CRDS, _llm_d(servers=False)))
register(Scenario("label-drift", "model servers carry the 2026 label llm-d.ai/inference-serving=true "
                  "(and llm-d.ai/guide), not llm-d.ai/inferenceServing",
                  LLMD_CRDS, _llm_d(CURRENT_MODEL_LABEL, extra={"llm-d.ai/guide": "inference-scheduling"})))
register(Scenario("epp-crashloop", "llm-d-ready, but the endpoint picker crash-loops on a plugins "
                  "configuration parse error", LLMD_CRDS, _llm_d(),
                  faults=(Fault("crashloop", reason="plugins-config"),)))
register(Scenario("image-pull-error", "llm-d-ready, but the endpoint-picker image cannot be pulled "
                  "(ErrImagePull, then ImagePullBackOff)", LLMD_CRDS, _llm_d(), faults=(Fault("image-pull"),)))
register(Scenario("epp-never-ready", "llm-d-ready, but endpoint-picker pods run without becoming Ready",
                  LLMD_CRDS, _llm_d(), faults=(Fault("never-ready"),)))
register(Scenario("rbac-forbidden", "llm-d-ready, but the user may not create or change Roles and "
                  "RoleBindings; an EPP that runs anyway logs `forbidden`", LLMD_CRDS, _llm_d(),
                  faults=(Fault("never-ready", reason="forbidden"),),
                  forbidden=tuple(Rule(v, r, "rbac.authorization.k8s.io") for v in ("create", "patch", "update")
                                  for r in ("roles", "rolebindings"))))
register(Scenario("no-access-review", "llm-d-ready behind an API proxy that serves no "
                  "SelfSubjectAccessReview (permission checks cannot be asked)", LLMD_CRDS, _llm_d(),
                  unserved=("selfsubjectaccessreviews.authorization.k8s.io",)))
register(Scenario("pending-release", f"llm-d-ready plus a helm release {PENDING_RELEASE!r} stuck in "
                  "pending-install (helm refuses to upgrade it: another operation is in progress)",
                  LLMD_CRDS, _pending))
