"""Drift: fields of a release's own objects that were changed outside helm.

The release's manifest (what helm rendered and applied) is compared with the live EPP Deployment,
EPP Service, InferencePool and DestinationRule. Only what the manifest sets is compared (the API
server fills in defaults the manifest never mentions), except for maps that must match exactly
(selectors, the pool's matchLabels) and lists whose items are keyed by name (containers, env,
ports), where an added item is drift too. Each changed field is one check naming the field, the
release's value, the live value, and the remedy: upgrade to put the release's value back, or fold
the change into the values so helm owns it.

Also here: the DestinationRule's host must name the EPP Service that exists — values generated for
release `gaie` and deployed as `other` keep host `gaie-epp…`, which renders and applies without
complaint and routes nowhere.

This module never imports verify/checks.py (checks.py calls it): `exp` is an `Expected`, `snap`
a `Snapshot`, used by attribute.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote

from ..cluster.checks import FAIL, PASS, WARN, Check

KINDS = ("Deployment", "Service", "InferencePool", "DestinationRule")
# subtrees compared, per kind (dotted paths into the object)
COMPARED: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec.replicas", "spec.selector", "spec.template.metadata.labels",
                   "spec.template.spec.serviceAccountName", "spec.template.spec.containers"),
    "Service": ("spec.selector", "spec.ports", "spec.type"),
    "InferencePool": ("spec",),
    "DestinationRule": ("spec",),
}
# maps whose extra live keys are drift too (a selector patched with one more label matches other pods)
EXACT_MAPS = ("spec.selector.matchLabels", "spec.selector", "spec.template.metadata.labels")
# list fields whose items are matched by a key, not by position
KEYED_LISTS = {"containers": "name", "env": "name", "ports": "name", "volumeMounts": "name"}
# drift in these only warns: the release still works as deployed, but the next upgrade resets it
WARN_PATHS = (re.compile(r"^spec\.replicas$"), re.compile(r"\.resources\b"), re.compile(r"\.imagePullPolicy$"),
              re.compile(r"^spec\.template\.metadata\.labels\."))
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$")
_FACTORS = {"": 1, "m": 0.001, "k": 1e3, "Ki": 1024, "M": 1e6, "Mi": 1024 ** 2, "G": 1e9, "Gi": 1024 ** 3,
            "T": 1e12, "Ti": 1024 ** 4}
ABSENT = "(absent)"


@dataclass(frozen=True)
class Field:
    kind: str
    name: str
    path: str          # dotted, [key] for keyed list items: spec.template.spec.containers[epp].image
    release: object    # the manifest's value (ABSENT when helm never set it)
    live: object       # the live value (ABSENT when someone removed it)

    @property
    def status(self) -> str:
        return WARN if any(p.search(self.path) for p in WARN_PATHS) else FAIL


# ---- the manifest's objects that drift is judged on (called by expected_from_objects) -------------
def rendered_objects(objects: list[dict], epp: str, pool: str) -> dict[str, dict]:
    """kind → the manifest's EPP Deployment, EPP Service, InferencePool and DestinationRule (and the
    EPP's ServiceAccount, whose image pull secrets preflight uses)."""
    want = {"Deployment": epp, "Service": epp, "InferencePool": pool, "DestinationRule": None, "ServiceAccount": epp}
    out: dict[str, dict] = {}
    for obj in objects:
        kind = obj.get("kind")
        if kind in want and kind not in out:
            name = (obj.get("metadata") or {}).get("name")
            if want[kind] is None or name == want[kind]:
                out[kind] = obj
    return out


def host_service(host: str, namespace: str) -> tuple[str, str]:
    """(service, namespace) a DestinationRule host names: `svc`, `svc.ns`, `svc.ns.svc[.cluster.local]`."""
    parts = (host or "").split(".")
    return parts[0], (parts[1] if len(parts) > 1 and parts[1] else namespace)


def fetch(cluster, exp, snap, attempt) -> None:
    """What drift needs beyond verify's own reads: the EPP Service, and the Service the rendered
    DestinationRule host names when that is another one. `attempt(key, fn)` is fetch()'s wrapper."""
    ns = quote(exp.namespace)
    snap.service = attempt("service", lambda: cluster.get(f"/api/v1/namespaces/{ns}/services/{quote(exp.epp)}",
                                                          what=f"get service {exp.epp}"))
    if exp.destination_rule is not None:
        host = str(((exp.destination_rule.get("spec") or {}).get("host")) or "")
        name, hns = host_service(host, exp.namespace)
        if name and (name, hns) != (exp.epp, exp.namespace):
            snap.host_services[f"{hns}/{name}"] = attempt(f"service-{name}", lambda: cluster.get(
                f"/api/v1/namespaces/{quote(hns)}/services/{quote(name)}", what=f"get service {name}"))


# ---- comparing (pure) ----------------------------------------------------------------------------
def _get(obj, path: str):
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return ABSENT
        cur = cur[part]
    return cur


def _quantity(value) -> float | None:
    m = _QUANTITY.match(str(value)) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    return float(m[1]) * _FACTORS[m[2] or ""] if m else None


def same(want, got) -> bool:
    """Equal as the API server would store them: 8000 == "8000", "1000m" == "1", True == "true"."""
    if want == got:
        return True
    if isinstance(want, (dict, list)) or isinstance(got, (dict, list)):
        return False
    if str(want).lower() == str(got).lower() and (isinstance(want, bool) or isinstance(got, bool)):
        return True
    if str(want) == str(got):
        return True
    qa, qb = _quantity(want), _quantity(got)
    return qa is not None and qa == qb


def _key_of(field_name: str, items: list) -> str | None:
    key = KEYED_LISTS.get(field_name)
    if key and items and all(isinstance(i, dict) and key in i for i in items):
        return key
    if field_name == "ports" and items and all(isinstance(i, dict) and ("port" in i or "containerPort" in i)
                                               for i in items):
        return "port" if all("port" in i for i in items) else "containerPort"
    return None


def compare(want, got, path: str = "") -> list[tuple[str, object, object]]:
    """(path, release value, live value) for every difference where the manifest sets something."""
    out: list[tuple[str, object, object]] = []
    if got is ABSENT:
        return [(path, want, ABSENT)]
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [(path, want, got)]
        for k, v in want.items():
            out += compare(v, got.get(k, ABSENT), f"{path}.{k}" if path else k)
        if path in EXACT_MAPS or path.endswith(".matchLabels"):
            out += [(f"{path}.{k}", ABSENT, v) for k, v in got.items() if k not in want]
        return out
    if isinstance(want, list):
        leaf = path.rsplit(".", 1)[-1]
        key = _key_of(leaf, want)
        if key and isinstance(got, list) and all(isinstance(i, dict) for i in got):
            live = {str(i.get(key)): i for i in got}
            for item in want:
                k = str(item[key])
                out += compare(item, live.pop(k, ABSENT), f"{path}[{k}]")
            out += [(f"{path}[{k}]", ABSENT, v) for k, v in live.items()]
            return out
        if not isinstance(got, list) or len(got) != len(want) or not all(
                (same(a, b) if not isinstance(a, (dict, list)) else not compare(a, b)) for a, b in zip(want, got)):
            return [(path, want, got)]
        return out
    return [] if same(want, got) else [(path, want, got)]


def drifted(rendered: dict[str, dict], live: dict[str, dict | None]) -> list[Field]:
    """Every field of the rendered objects that differs in the live ones (missing objects skipped:
    verify's own checks say an object is missing)."""
    out: list[Field] = []
    for kind in KINDS:
        want, got = rendered.get(kind), live.get(kind)
        if want is None or got is None:
            continue
        name = str((want.get("metadata") or {}).get("name", ""))
        for sub in COMPARED[kind]:
            wv = _get(want, sub)
            if wv is ABSENT:
                continue
            for path, a, b in compare(wv, _get(got, sub), sub):
                out.append(Field(kind, name, path, a, b))
    return out


# ---- checks ----------------------------------------------------------------------------------------
def _show(value) -> str:
    if value is ABSENT:
        return ABSENT
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "…"


def values_key(exp, f: Field) -> str | None:
    """Where in the values this field comes from, for the chart family and version of the release;
    None when no values key sets it (the chart writes it itself: selectors, labels, names)."""
    from ..charts.layouts import LAYOUTS, expected_layout_id
    lay = LAYOUTS.get(expected_layout_id(exp.chart_name or "inferencepool", exp.chart_version or "v1.5.0") or "",
                      LAYOUTS["D" if exp.chart_name == "llm-d-router-gateway" else "C"])
    istio = lay.istio or "provider.istio"
    p = f.path
    if f.kind == "Deployment":
        for marker, key in (("spec.replicas", f"{lay.epp}.replicas"), (".imagePullPolicy", f"{lay.epp}.image.pullPolicy"),
                            (".image", f"{lay.epp}.image ({'/'.join(lay.image_keys)}/tag)"),
                            (".args", f"{lay.epp}.flags"), (".env", f"{lay.epp}.env"),
                            (".resources", f"{lay.epp}.resources"), (".ports", lay.extra_container_ports)):
            if marker in p:
                return key
        return None
    if f.kind == "Service":
        return lay.extra_service_ports if ".ports" in p else None
    if f.kind == "InferencePool":
        if ".selector" in p:
            return lay.match_labels
        return lay.target_ports if "targetPorts" in p else None
    if p.startswith("spec.host"):
        return f"{istio}.destinationRule.host"
    if ".connectionPool" in p:
        return f"{istio}.destinationRule.trafficPolicy.connectionPool"
    return None


def drift_checks(exp, snap) -> list[Check]:
    """One check per field changed outside helm, or one passing check when nothing was."""
    rendered = getattr(exp, "rendered", None) or {}
    if not rendered:  # no manifest objects known (a hand-made Expected): nothing to compare
        return []
    live = {"Deployment": snap.deployment, "Service": getattr(snap, "service", None), "InferencePool": snap.pool,
            "DestinationRule": snap.destination_rule}
    looked = (f"the live {', '.join(k for k in KINDS if k in rendered)} in {exp.namespace} against the release's "
              "manifest")
    fields_ = drifted(rendered, live)
    if not fields_:
        compared = [k for k in KINDS if k in rendered and live.get(k) is not None]
        return [Check("drift", "Changed outside helm", PASS,
                      "nothing: " + (", ".join(compared) if compared else "no object to compare yet") +
                      (" match the release's manifest" if compared else ""), "", looked)]
    out = []
    for f in fields_:
        slug = re.sub(r"[^a-z0-9.\[\]-]+", "-", f"{f.kind.lower()}-{f.path}".lower())
        what = ("removed by hand" if f.live is ABSENT else "added by hand" if f.release is ABSENT
                else "changed by hand")
        key = values_key(exp, f)
        back = (f"upgrade the release to put {_show(f.release)} back (gaie-tui deploy with the release's values, "
                f"or helm upgrade {exp.release} -n {exp.namespace} with them)")
        fold = (f", or, if the change is wanted, fold it into the values ({key}) and upgrade, so the next upgrade "
                "does not undo it" if key else "; no values key sets this field (the chart writes it itself), so "
                "a change made by hand is undone by the next upgrade")
        in_wizard = (f"deploy the release's values again to put {_show(f.release)} back (Values → Review → approve: "
                     "the upgrade restores it)")
        out.append(Check(
            f"drift-{slug}", f"Changed outside helm: {f.kind} {f.name} {f.path}", f.status,
            f"{what}: the release has {_show(f.release)}, the cluster has {_show(f.live)}", back + fold,
            f"{f.kind} {f.name} in {exp.namespace} against the release's manifest", wizard_remedy=in_wizard + fold))
    return out


def destination_rule_host_check(exp, snap) -> list[Check]:
    """The live DestinationRule's host must be the EPP Service that exists (not the rendered text)."""
    if exp.destination_rule is None or snap.destination_rule is None:
        return []
    host = str(((snap.destination_rule.get("spec") or {}).get("host")) or "")
    name, ns = host_service(host, exp.namespace)
    fqdn = f"{exp.epp}.{exp.namespace}.svc.cluster.local"
    looked = f"host of destinationrule {(snap.destination_rule.get('metadata') or {}).get('name', exp.epp)} " \
             f"vs service {exp.epp} in {exp.namespace}"
    title = "DestinationRule host is the EPP Service"
    service = getattr(snap, "service", None)
    key = values_key(exp, Field("DestinationRule", "", "spec.host", None, None))
    if (name, ns) == (exp.epp, exp.namespace):
        if service is None:
            return [Check("destination-rule-host", title, FAIL, f"host {host} names service {exp.epp}, which does "
                          f"not exist in {exp.namespace}", "the EPP Service is missing: upgrade the release to "
                          "re-create it", looked)]
        return [Check("destination-rule-host", title, PASS, f"{host} → service {exp.epp} (exists)", "", looked)]
    other = getattr(snap, "host_services", {}).get(f"{ns}/{name}", "unknown")
    exists = ("" if other == "unknown" else ", which does not exist" if other is None
              else ", which is not this release's EPP")
    return [Check("destination-rule-host", title, FAIL,
                  f"host {host} names service {name} in {ns}{exists}; the EPP Service of release {exp.release} is "
                  f"{fqdn}: Istio applies the rule (TLS to the EPP, connection limits) to the wrong host, so the "
                  "gateway's calls to this EPP get none of it",
                  f"set {key} to {fqdn} in the values (or remove it: the chart then uses the release's own EPP "
                  f"Service) and upgrade; values generated for another release name keep that release's host",
                  looked)]


def checks(exp, snap) -> list[Check]:
    """Everything this module adds to verify's checks."""
    return drift_checks(exp, snap) + destination_rule_host_check(exp, snap)
