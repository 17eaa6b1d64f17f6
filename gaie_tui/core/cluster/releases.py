"""The releases already in the cluster: every `inferencepool` and `llm-d-router-gateway` release in
the namespaces the user may list, with what a platform engineer looks at first — chart version,
the EPP image the live Deployment runs, helm's status, a health summary, age, production.

helm answers which releases exist and in which state (`helm list` with the same kube context);
the cluster answers how they are doing (per release: the EPP Deployment, the InferencePool, the
model-server pods its selector matches — label-selector-scoped, whatever the namespace holds).
`refresh()` updates a listing in place and says which fields of which release changed, so a screen
repaints only the cells that did.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from urllib.parse import quote

from ..errors import UserError
from ..names import check_namespace, epp_name
from . import helm as helm_mod
from .checks import FAIL, PASS, SKIP, WARN

FAMILY_NAMES = ("inferencepool", "llm-d-router-gateway")
STUCK_STATES = ("pending-install", "pending-upgrade", "pending-rollback", "uninstalling")
POOL_PATHS = ("/apis/inference.networking.k8s.io/v1", "/apis/inference.networking.x-k8s.io/v1alpha2")
_CHART = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$")
HEALTH_FIELDS = ("image", "pod_images", "epp_ready", "epp_replicas", "endpoints_ready", "endpoints", "health",
                 "health_note")


@dataclass
class Release:
    """One release as the Releases screen and `gaie-tui releases` show it."""
    name: str
    namespace: str
    chart: str                      # chart family name (inferencepool, llm-d-router-gateway)
    chart_version: str
    app_version: str = ""
    revision: int = 0
    status: str = ""                # deployed, failed, pending-install, pending-upgrade, pending-rollback, uninstalling
    updated: datetime | None = None
    image: str = ""                 # EPP image of the live Deployment ("" when there is no Deployment)
    pod_images: list[str] = field(default_factory=list)  # what the EPP pods run, when it differs
    epp_ready: int = 0
    epp_replicas: int = 0           # the Deployment's spec.replicas
    endpoints_ready: int = 0        # model-server pods behind the pool that are Ready
    endpoints: int = 0              # model-server pods the pool's selector matches
    health: str = SKIP              # pass / warn / fail / skip (not looked at)
    health_note: str = ""           # "EPP 1/1 Ready · 2/2 endpoints Ready"
    production: str | None = None   # why this target counts as production

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @property
    def stuck(self) -> bool:
        return self.status in STUCK_STATES

    @property
    def epp(self) -> str:
        return epp_name(self.name)

    def age(self, now: datetime | None = None) -> str:
        """`45s`, `12m`, `5h`, `6d` since the last helm operation; `?` when unknown."""
        if self.updated is None:
            return "?"
        secs = max(0, int(((now or datetime.now(UTC)) - self.updated).total_seconds()))
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if secs >= size:
                return f"{secs // size}{unit}"
        return f"{secs}s"

    def matches(self, text: str) -> bool:
        """The `/` filter: every word of `text` is in the name, namespace, chart, version, status or
        image (case-insensitive); `prod` also matches production releases."""
        hay = " ".join((self.name, self.namespace, self.chart, self.chart_version, self.status, self.image,
                        "prod" if self.production else "", "stuck" if self.stuck else "")).lower()
        return all(word in hay for word in (text or "").lower().split())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["updated"] = self.updated.isoformat() if self.updated else None
        d["stuck"] = self.stuck
        d["age"] = self.age()
        return d


@dataclass
class Scope:
    """Where releases were looked for: every namespace (None), or the ones named."""
    namespaces: list[str] | None
    note: str

    @property
    def all_namespaces(self) -> bool:
        return self.namespaces is None


@dataclass
class Listing:
    releases: list[Release]
    scope: Scope
    context: str = ""
    taken: datetime | None = None
    problems: list[str] = field(default_factory=list)  # health that could not be read, per release

    def find(self, name: str, namespace: str | None = None) -> Release | None:
        hits = [r for r in self.releases if r.name == name and (namespace is None or r.namespace == namespace)]
        return hits[0] if len(hits) == 1 else None

    def to_dict(self) -> dict:
        return {"context": self.context, "all_namespaces": self.scope.all_namespaces,
                "namespaces": self.scope.namespaces, "scope": self.scope.note,
                "taken": self.taken.isoformat() if self.taken else None,
                "releases": [r.to_dict() for r in self.releases], "problems": list(self.problems)}


@dataclass
class Changes:
    added: list[Release] = field(default_factory=list)
    removed: list[Release] = field(default_factory=list)
    changed: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # key → names of changed fields

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


# ---- parsing helm's answers (pure) ----------------------------------------------------------
def split_chart(chart: str) -> tuple[str, str]:
    """`llm-d-router-gateway-v0.10.0` → (`llm-d-router-gateway`, `v0.10.0`)."""
    m = _CHART.match(chart or "")
    return (m["name"], m["version"]) if m else (chart or "", "")


def parse_helm_time(text: str | None) -> datetime | None:
    """helm list's `2026-11-16 01:28:30.97478 +0000 UTC` and history's `2026-11-24T01:28:30.802427Z`."""
    if not text:
        return None
    m = re.match(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?", text.strip())
    if not m:
        return None
    offset = m[3] or "Z"
    if offset != "Z" and ":" not in offset:
        offset = offset[:3] + ":" + offset[3:]
    try:
        return datetime.fromisoformat(f"{m[1]}T{m[2]}{'+00:00' if offset == 'Z' else offset}").astimezone(UTC)
    except ValueError:
        return None


def from_helm_rows(rows: list[dict], families: Iterable[str] = FAMILY_NAMES) -> list[Release]:
    """Releases of our chart families from `helm list -o json` rows, sorted by namespace and name."""
    wanted = set(families)
    out = []
    for row in rows or []:
        if not isinstance(row, dict):
            continue
        chart, version = split_chart(str(row.get("chart", "")))
        if chart not in wanted:
            continue
        try:
            revision = int(row.get("revision") or 0)
        except (TypeError, ValueError):
            revision = 0
        out.append(Release(name=str(row.get("name", "")), namespace=str(row.get("namespace", "")), chart=chart,
                           chart_version=version, app_version=str(row.get("app_version", "") or ""),
                           revision=revision, status=str(row.get("status", "")),
                           updated=parse_helm_time(row.get("updated"))))
    return sorted(out, key=lambda r: r.key)


# ---- health (pure) --------------------------------------------------------------------------
def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def pool_match_labels(pool: dict | None) -> dict[str, str]:
    spec = (pool or {}).get("spec") or {}
    sel = spec.get("selector") or {}
    labels = sel.get("matchLabels", sel) if isinstance(sel, dict) else {}
    return {str(k): str(v) for k, v in (labels or {}).items() if not isinstance(v, (dict, list))}


def judge_health(rel: Release, deployment: dict | None, pool: dict | None, model_pods: list[dict],
                 epp_pods: list[dict] | None = None) -> None:
    """Fill the release's image and health fields from what the cluster shows."""
    rel.pod_images = []
    if deployment is None:
        rel.image, rel.epp_ready, rel.epp_replicas = "", 0, 0
    else:
        spec = deployment.get("spec") or {}
        containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
        epp = next((c for c in containers if c.get("name") == "epp"), containers[0] if containers else {})
        rel.image = str(epp.get("image", ""))
        rel.epp_replicas = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
        rel.epp_ready = int(((deployment.get("status") or {}).get("readyReplicas")) or 0)
        running = sorted({str(cs.get("image", "")) for p in epp_pods or []
                          for cs in (p.get("status") or {}).get("containerStatuses") or []
                          if cs.get("name") == epp.get("name") and cs.get("image")})
        if running and running != [rel.image]:
            rel.pod_images = running
    rel.endpoints = len(model_pods)
    rel.endpoints_ready = sum(1 for p in model_pods if _ready(p))
    parts, status = [], PASS
    if deployment is None:
        parts.append(f"no EPP Deployment {rel.epp}")
        status = FAIL
    else:
        parts.append(f"EPP {rel.epp_ready}/{rel.epp_replicas} Ready")
        # with leader election only the leader is Ready: one Ready replica is healthy
        if rel.epp_ready == 0 and rel.epp_replicas > 0:
            status = FAIL
        elif rel.epp_replicas == 0:
            parts[-1] = "EPP scaled to 0"
            status = FAIL
    if pool is None:
        parts.append(f"no InferencePool {rel.name}")
        status = FAIL
    elif not rel.endpoints:
        parts.append("no model-server pod matches the pool")
        status = FAIL
    else:
        parts.append(f"{rel.endpoints_ready}/{rel.endpoints} endpoints Ready")
        if rel.endpoints_ready == 0:
            status = FAIL
        elif rel.endpoints_ready < rel.endpoints and status == PASS:
            status = WARN
    if rel.pod_images:
        parts.append("pods run " + ", ".join(rel.pod_images))
        status = WARN if status == PASS else status
    rel.health, rel.health_note = status, " · ".join(parts)


# ---- asking the cluster -------------------------------------------------------------------------
def release_scope(cluster, namespaces: list[str] | None = None, all_namespaces: bool | None = None) -> Scope:
    """Which namespaces to list. `all_namespaces=True` insists on every namespace (an error when the
    context may not list secrets cluster-wide); named `namespaces` are used as given; with neither,
    every namespace when allowed, else the context's namespace."""
    from .kube import ClusterError
    for ns in namespaces or []:
        check_namespace(ns)
    if namespaces and not all_namespaces:
        return Scope(sorted(set(namespaces)), "namespace(s) " + ", ".join(sorted(set(namespaces))))
    try:
        allowed, reason = cluster.can_i("list", "", "secrets", None)
    except ClusterError as exc:
        if exc.kind != "forbidden":
            raise
        allowed, reason = False, exc.message
    if allowed or allowed is None:  # None: the server cannot say; helm's own list will
        return Scope(None, "all namespaces")
    why = f"context {cluster.context} may not list secrets in all namespaces" + (f" ({reason})" if reason else "")
    if all_namespaces:
        raise UserError(why, "name the namespaces instead (--namespace NS, repeatable), or use a context that "
                             "may list secrets cluster-wide")
    own = cluster.namespace or "default"
    return Scope([own], f"namespace {own} ({why})")


def _health(cluster, rel: Release) -> str | None:
    """Look at one release's EPP and pool; returns a problem when the cluster would not say."""
    from .kube import ClusterError
    ns = quote(rel.namespace)
    try:
        dep = cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{quote(rel.epp)}",
                          what=f"get deployment {rel.epp}")
        pool = None
        for base in POOL_PATHS:
            pool = cluster.get(f"{base}/namespaces/{ns}/inferencepools/{quote(rel.name)}",
                               what=f"get inferencepool {rel.name}")
            if pool is not None:
                break
        selector = pool_match_labels(pool)
        pods = cluster.list(f"/api/v1/namespaces/{ns}/pods",
                            label_selector=",".join(f"{k}={v}" for k, v in sorted(selector.items())),
                            what="list pods") if selector else []
        key = "llm-d-router-gateway" if rel.chart == "llm-d-router-gateway" else "inferencepool"
        epp_pods = cluster.list(f"/api/v1/namespaces/{ns}/pods", label_selector=f"{key}={rel.epp}",
                                what="list pods") if dep is not None else []
    except ClusterError as exc:
        if exc.kind in ("unreachable", "unauthorized", "timeout", "config"):
            raise
        rel.health, rel.health_note = SKIP, f"not looked at: {exc.message}"
        return f"{rel.namespace}/{rel.name}: {exc.message}"
    judge_health(rel, dep, pool, pods, epp_pods)
    return None


def list_releases(cluster, helm: str, *, namespaces: list[str] | None = None, all_namespaces: bool | None = None,
                  scope: Scope | None = None, production_patterns: Iterable[str] = (), health: bool = True,
                  families: Iterable[str] = FAMILY_NAMES, workers: int = 4) -> Listing:
    """Every release of our chart families in the namespaces the user may list, with health."""
    from ..production import production_reason
    scope = scope or release_scope(cluster, namespaces, all_namespaces)
    kube_args = cluster.helm_args()
    rows: list[dict] = []
    for ns in scope.namespaces or [None]:
        rows += helm_mod.query_json(helm_mod.list_argv(helm, namespace=ns, kube_args=kube_args)) or []
    releases = from_helm_rows(rows, families)
    patterns = list(production_patterns)
    for rel in releases:
        rel.production = production_reason(cluster.context, rel.namespace, patterns)
    listing = Listing(releases, scope, cluster.context, datetime.now(UTC))
    if health and releases:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(releases)))) as pool:
            problems = list(pool.map(lambda r: _health(cluster, r), releases))
        listing.problems = [p for p in problems if p]
    return listing


def refresh(listing: Listing, cluster, helm: str, *, production_patterns: Iterable[str] = (),
            lister: Callable[..., Listing] | None = None) -> Changes:
    """Look again and update `listing` in place: a release that is still there keeps its object
    (only its changed fields are written), new ones are added, gone ones removed. Returns what
    changed, field by field, so a screen repaints only those cells."""
    fresh = (lister or list_releases)(cluster, helm, scope=listing.scope, production_patterns=production_patterns)
    changes = Changes()
    old = {r.key: r for r in listing.releases}
    merged: list[Release] = []
    for new in fresh.releases:
        cur = old.pop(new.key, None)
        if cur is None:
            changes.added.append(new)
            merged.append(new)
            continue
        diff = set()
        for f in fields(Release):
            value = getattr(new, f.name)
            if getattr(cur, f.name) != value:
                setattr(cur, f.name, value)
                diff.add(f.name)
        if diff:
            changes.changed[cur.key] = diff
        merged.append(cur)
    changes.removed = list(old.values())
    listing.releases[:] = merged
    listing.problems, listing.taken = fresh.problems, fresh.taken
    return changes
