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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources as importlib_resources

from .faults import Fault
from .helmrelease import epp_objects, helm_owned, manifest_text, release_secret, release_values
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

    def release(self, name: str, namespace: str, revisions: list[Revision], *,
                live_edit: Callable[[str, dict], dict] | None = None) -> None:
        """A release with its revision Secrets and, unless the last revision is `pending-install`,
        the objects of the newest revision that got applied (the last deployed one; a stuck
        `pending-upgrade` never applied its own). `live_edit(kind, obj)` changes an object after
        helm "created" it, as a `kubectl edit` would (drift)."""
        first = revisions[0].deployed_at()
        applied: Revision | None = None
        for number, rev in enumerate(revisions, start=1):
            objects = rev.objects(name, namespace)
            self.helm_release(name, namespace, revision=number, status=rev.status, chart=rev.chart,
                              chart_version=rev.chart_version, values=rev.values(), description=rev.description,
                              manifest=manifest_text(objects), deployed_at=rev.deployed_at(),
                              first_deployed=first)
            if rev.status in ("deployed", "superseded", "failed"):
                applied = rev
        if applied is None:
            return
        for _src, obj in applied.objects(name, namespace):
            live = helm_owned(obj, name, namespace)
            if live_edit is not None:
                live = live_edit(obj["kind"], live)
            group, _, version = obj["apiVersion"].rpartition("/")
            self.create(group, version, PLURALS[obj["kind"]], live, namespace)

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


PLURALS = {"ServiceAccount": "serviceaccounts", "Role": "roles", "RoleBinding": "rolebindings",
           "Service": "services", "Deployment": "deployments", "InferencePool": "inferencepools",
           "DestinationRule": "destinationrules"}


@dataclass(frozen=True)
class Revision:
    """One helm revision of a seeded release: what it deployed and how it ended."""
    chart_version: str
    image: str
    match_labels: dict[str, str] = field(default_factory=lambda: {LEGACY_MODEL_LABEL: "true"})
    status: str = "deployed"
    description: str = "Upgrade complete"
    age: timedelta = timedelta(days=1)
    chart: str = "inferencepool"
    verbosity: int = 1
    replicas: int = 1

    def deployed_at(self) -> datetime:
        return datetime.now(UTC) - self.age

    def objects(self, release: str, namespace: str) -> list[tuple[str, dict]]:
        return epp_objects(release, namespace, chart=self.chart, chart_version=self.chart_version,
                           image=self.image, match_labels=self.match_labels, replicas=self.replicas,
                           verbosity=self.verbosity)

    def values(self) -> dict:
        return release_values(self.chart, self.chart_version, image=self.image, match_labels=self.match_labels,
                              replicas=self.replicas, verbosity=self.verbosity)


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


# ---- day two: releases that already exist ----------------------------------------------------
DAY_TWO_RELEASES = {  # name → namespace
    "gaie": LLMD_NAMESPACE, "router": "team-router", "stuck": "team-stuck", "edited": "inference-prod"}
SCHEDULER = "ghcr.io/llm-d/llm-d-inference-scheduler"
ROUTER_EPP = "ghcr.io/llm-d/llm-d-router-endpoint-picker"
GAIE_EPP = "registry.k8s.io/gateway-api-inference-extension/epp"
EDITED_IMAGE = f"{ROUTER_EPP}:v0.10.0"  # what someone set by hand on the edited release's EPP
EDITED_REPLICAS = 2


def _hand_edited(kind: str, obj: dict) -> dict:
    """`kubectl scale --replicas 2` and `kubectl set image` on the EPP Deployment after helm."""
    if kind == "Deployment":
        obj["spec"]["replicas"] = EDITED_REPLICAS
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = EDITED_IMAGE
    return obj


def _day_two(s: Seed) -> None:
    _llm_d()(s)
    d = timedelta(days=1)
    # inferencepool, upgraded once: v1.4.0 with scheduler v0.7.1, then v1.5.0 with v0.8.0 and louder logs
    s.release("gaie", LLMD_NAMESPACE, [
        Revision("v1.4.0", f"{SCHEDULER}:v0.7.1", status="superseded", description="Install complete", age=30 * d),
        Revision("v1.5.0", f"{SCHEDULER}:v0.8.0", verbosity=2, age=6 * d)])
    # the successor chart in its own namespace, model servers with the 2026 labels
    current = {CURRENT_MODEL_LABEL: "true", "llm-d.ai/guide": "optimized-baseline"}
    s.namespace("team-router")
    s.model_servers("team-router", "vllm-llama", current)
    s.release("router", "team-router", [
        Revision("v0.10.0", f"{ROUTER_EPP}:v0.10.0", match_labels=current, chart="llm-d-router-gateway",
                 description="Install complete", age=3 * d)])
    # an upgrade whose helm never came back: revision 2 stays pending-upgrade, revision 1 runs
    s.namespace("team-stuck")
    s.model_servers("team-stuck", "vllm-qwen3", {LEGACY_MODEL_LABEL: "true"})
    s.release("stuck", "team-stuck", [
        Revision("v1.5.0", f"{SCHEDULER}:v0.8.0", description="Install complete", age=12 * d),
        Revision("v1.5.0", f"{GAIE_EPP}:v1.5.0", status="pending-upgrade", description="Preparing upgrade",
                 age=timedelta(hours=2))])
    # production, with the EPP Deployment scaled and re-imaged by hand after helm deployed it
    s.namespace("inference-prod")
    s.model_servers("inference-prod", "vllm-qwen3", {LEGACY_MODEL_LABEL: "true"})
    s.release("edited", "inference-prod", [
        Revision("v1.5.0", f"{GAIE_EPP}:v1.5.0", description="Install complete", age=20 * d)],
        live_edit=_hand_edited)


register(Scenario("existing-releases", "releases already in the cluster: gaie (inferencepool, 2 revisions) in llm-d, "
                  "router (llm-d-router-gateway) in team-router, stuck (pending-upgrade) in team-stuck, edited "
                  "(EPP scaled to 2 and re-imaged by hand) in inference-prod",
                  LLMD_CRDS, _day_two))
