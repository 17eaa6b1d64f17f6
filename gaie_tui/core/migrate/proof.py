"""The proof of a migration: render the old values with the old chart and the new values with the
new chart (the real helm), and compare what matters, object by object.

Compared: the endpoint picker's container (image, pull policy, each flag, each environment variable,
each port, resources) and replicas; the EPP Service's ports; the InferencePool's selector, target
ports, endpoint-picker port and failure mode; the DestinationRule's host and traffic policy; the
GKE policies; the monitoring objects; the HTTPRoute.

Each difference is then explained or not. Two more renders — each chart with only the settings it
cannot render without — show what the charts change by themselves: a difference the defaults
make in the same way is *intentionally different* (the chart's default changed); so is a setting
the old chart ignored and the new one reads. Anything else is *lost*.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

from ..charts.store import Chart
from ..check.deep import chart_dir
from ..check.render import BatchRenderer, Rendered
from ..redact import redact

RELEASE = "gaie-tui-migrate"
NAMESPACE = "gaie-tui-migrate"
EQUAL, DIFFERENT, LOST = "equal", "intentionally different", "lost"


@dataclass(frozen=True)
class Facet:
    thing: str          # "EPP container", "InferencePool" …
    aspect: str         # "image", "flag --v", "selector" …
    old: str | None     # JSON text, None when absent
    new: str | None
    verdict: str        # equal / intentionally different / lost
    why: str = ""

    def to_json(self) -> dict:
        return {"object": self.thing, "aspect": self.aspect, "old": self.old, "new": self.new,
                "verdict": self.verdict, "why": self.why}


@dataclass
class Proof:
    facets: list[Facet] = field(default_factory=list)
    error: str = ""                 # the proof could not be made (a render failed)

    @property
    def lost(self) -> list[Facet]:
        return [f for f in self.facets if f.verdict == LOST]

    @property
    def ok(self) -> bool:
        return not self.error and not self.lost

    def to_json(self) -> dict:
        return {"verdict": "nothing lost" if self.ok else ("could not prove" if self.error else "lost"),
                "error": self.error, "facets": [f.to_json() for f in self.facets]}


@dataclass
class Case:
    """One migration to prove: old values for `src`, new values for `dst`."""

    src: Chart
    old: dict
    dst: Chart
    new: dict
    explained: dict[tuple, str] = field(default_factory=dict)


def prove(src: Chart, old_values: dict, dst: Chart, new_values: dict, *, helm: str,
          explained: dict[tuple, str] | None = None) -> Proof:
    """`explained`: aspect keys → why the difference is intended (settings that only now take effect)."""
    return prove_many([Case(src, old_values, dst, new_values, explained or {})], helm=helm)[0]


def prove_many(cases: list[Case], *, helm: str) -> list[Proof]:
    """Proofs for many migrations, sharing helm runs: every render of one chart goes into the
    same batch (tests prove a whole matrix of versions and providers this way)."""
    from ..scratch import scratch
    with scratch() as tmp:   # both sets of values, rendered: private, swept after a kill
        jobs: dict[tuple, tuple[Chart, list[dict]]] = {}
        seen: dict[tuple, int] = {}
        slots: list[tuple[tuple, list[int], tuple, list[int]]] = []

        def add(chart: Chart, values: dict) -> int:
            key = (chart.name, chart.version, str(chart.archive))
            entry = jobs.setdefault(key, (chart, []))
            ident = (key, json.dumps(values, sort_keys=True))
            if ident not in seen:  # the same values for the same chart are rendered once
                entry[1].append(values)
                seen[ident] = len(entry[1]) - 1
            return seen[ident]

        def chart_key(chart: Chart) -> tuple:
            return (chart.name, chart.version, str(chart.archive))

        for c in cases:  # per chart: the values, the same choices alone, and the bare minimum
            olds = [add(c.src, v) for v in (c.old, baseline(c.src, c.old), baseline(c.src, c.old, switches=False))]
            news = [add(c.dst, v) for v in (c.new, baseline(c.dst, c.new), baseline(c.dst, c.new, switches=False))]
            slots.append((chart_key(c.src), olds, chart_key(c.dst), news))
        rendered: dict[tuple, list[Rendered]] = {}
        with ThreadPoolExecutor(2) as pool:
            futures = {k: pool.submit(BatchRenderer(ch, helm, tmp, folder=chart_dir(ch.archive), release=RELEASE,
                                                    namespace=NAMESPACE).render_many, vals, jobs=1)
                       for k, (ch, vals) in jobs.items()}
            for k, f in futures.items():
                rendered[k] = f.result()
    return [compare(rendered[ko][io[0]], [rendered[ko][i] for i in io[1:]], rendered[kn][i_n[0]],
                    [rendered[kn][i] for i in i_n[1:]], c.src, c.dst, c.explained)
            for c, (ko, io, kn, i_n) in zip(cases, slots, strict=True)]


def compare(old: Rendered, old_bases: list[Rendered], new: Rendered, new_bases: list[Rendered], src: Chart,
            dst: Chart, explained: dict[tuple, str]) -> Proof:
    if not old.ok:
        return Proof(error=f"the old values do not render with {src.name} {src.version}: {_last_line(old.stderr)}")
    if not new.ok:
        return Proof(error=f"the migrated values do not render with {dst.name} {dst.version}: "
                           f"{_last_line(new.stderr)}")
    a, b = facets(old.manifests), facets(new.manifests)
    # pairs of baselines that both rendered (the same switches, then the bare minimum)
    bases = [(facets(x.manifests), facets(y.manifests)) for x, y in zip(old_bases, new_bases, strict=True)
             if x.ok and y.ok]
    out: list[Facet] = []
    for key in sorted(set(a) | set(b)):
        o, n = a.get(key), b.get(key)
        if o == n:
            out.append(Facet(*key, o, n, EQUAL))
            continue
        if any(o == ba.get(key) and n == bb.get(key) for ba, bb in bases):
            why = (f"{dst.name} {dst.version} adds it by default" if o is None else
                   f"{dst.name} {dst.version} has no such default" if n is None else
                   f"the chart's default changed ({src.version} → {dst.name} {dst.version})")
            out.append(Facet(*key, o, n, DIFFERENT, why))
            continue
        why = next((w for k, w in explained.items() if k == key or (k[0] == key[0] and k[1] == "*")), "")
        out.append(Facet(*key, o, n, DIFFERENT if why else LOST, why))
    return Proof(out)


def baseline(chart: Chart, values: dict, *, switches: bool = True) -> dict:
    """The same choices with nothing else: the pool's selector (required), the router chart's EPP
    resource requests when set, the gateway provider, and every on/off switch the values set —
    so a difference the chart makes by itself shows up here too."""
    lay = chart.layout.layout
    out: dict = {}

    def copy_path(keys) -> None:
        cur = values
        for k in keys:
            cur = cur.get(k) if isinstance(cur, dict) else None
        if cur is not None:
            node = out
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = cur

    for dotted in (lay.match_labels, f"{lay.epp}.resources.requests", "provider.name"):
        copy_path(dotted.split("."))
    for keys in _switches(values) if switches else ():
        copy_path(keys)
    return out


def _switches(values, keys: tuple = ()):
    if isinstance(values, dict):
        for k, v in values.items():
            if k in ("enabled", "create") and isinstance(v, bool):
                yield keys + (k,)
            elif isinstance(v, dict):
                yield from _switches(v, keys + (k,))


# ----------------------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def facets(manifests: str) -> dict[tuple, str]:
    """(object, aspect) → the value as JSON text, for everything the proof compares (cached: many
    migrations share the same renders)."""
    import yaml
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs = [d for d in yaml.load_all(manifests, Loader=loader) if isinstance(d, dict)]
    out: dict[tuple, str] = {}

    def put(thing: str, aspect: str, value, flat: bool = False) -> None:
        if value is None:
            return
        if flat and isinstance(value, dict) and value:
            for k, v in value.items():  # one aspect per setting, so a default added beside is its own line
                put(thing, f"{aspect}.{k}", v, flat)
            return
        out[(thing, aspect)] = json.dumps(value, sort_keys=True)

    for d in docs:
        kind, name = d.get("kind"), (d.get("metadata") or {}).get("name", "")
        spec = d.get("spec") or {}
        if kind == "Deployment" and name == f"{RELEASE}-epp":
            pod = (spec.get("template") or {}).get("spec") or {}
            containers = pod.get("containers") or []
            c = next((x for x in containers if x.get("name") == "epp"), containers[0] if containers else {})
            put("EPP container", "image", c.get("image"))
            put("EPP container", "image pull policy", c.get("imagePullPolicy"))
            put("EPP container", "resources", c.get("resources") or None, flat=True)
            for flag, value in parse_args(c.get("args") or []).items():
                put("EPP container", f"flag --{flag}", value)
            for e in c.get("env") or []:
                put("EPP container", f"env {e.get('name')}", {k: v for k, v in e.items() if k != "name"})
            for p in c.get("ports") or []:
                put("EPP container", f"port {p.get('name') or p.get('containerPort')}",
                    {"containerPort": p.get("containerPort"), "protocol": p.get("protocol", "TCP")})
            put("EPP Deployment", "replicas", spec.get("replicas"))
            others = sorted(f"{x.get('name')} ({x.get('image')})" for x in containers + (pod.get("initContainers") or [])
                            if x is not c)
            put("EPP pod", "other containers", others or None)
        elif kind == "Service" and name == f"{RELEASE}-epp":
            for p in spec.get("ports") or []:
                put("EPP Service", f"port {p.get('name') or p.get('port')}",
                    {"port": p.get("port"), "targetPort": p.get("targetPort"), "protocol": p.get("protocol", "TCP")})
        elif kind == "InferencePool":
            sel = spec.get("selector") or {}
            put("InferencePool", "selector", sel.get("matchLabels", sel) or None)
            ports = spec.get("targetPorts") or ([{"number": spec["targetPortNumber"]}] if "targetPortNumber" in spec
                                                else None)
            put("InferencePool", "target ports", ports)
            ref = spec.get("endpointPickerRef") or spec.get("extensionRef") or {}
            port = ref.get("port") if isinstance(ref.get("port"), (int, dict)) else ref.get("portNumber")
            put("InferencePool", "endpoint-picker port", port.get("number") if isinstance(port, dict) else port)
            put("InferencePool", "failure mode", ref.get("failureMode"))
        elif kind == "DestinationRule":
            put("DestinationRule", "host", spec.get("host"))
            put("DestinationRule", "trafficPolicy", spec.get("trafficPolicy"), flat=True)
        elif kind in ("HealthCheckPolicy", "GCPBackendPolicy"):
            put(kind, "spec", _without_target(spec), flat=True)
        elif kind == "ServiceMonitor":
            put("ServiceMonitor", "endpoints", spec.get("endpoints"))
        elif kind == "Secret" and (d.get("type") == "kubernetes.io/service-account-token"):
            put("metrics-reader Secret", "name", name)
        elif kind == "HTTPRoute":
            put("HTTPRoute", "spec", spec, flat=True)
    return out


def parse_args(args: list) -> dict[str, str]:
    """Go-style flags as the EPP reads them: `--k=v`, `--k v`, and a bare `--k` (true)."""
    out: dict[str, str] = {}
    items = [str(a) for a in args]
    i = 0
    while i < len(items):
        a = items[i]
        if a.startswith("-"):
            name = a.lstrip("-")
            if "=" in name:
                k, _, v = name.partition("=")
                out[k] = v
            elif i + 1 < len(items) and not items[i + 1].startswith("-"):
                out[name] = items[i + 1]
                i += 1
            else:
                out[name] = "true"
        i += 1
    return out


def _without_target(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "targetRef"}


def _last_line(stderr: str) -> str:
    lines = [ln for ln in stderr.strip().splitlines()
             if ln.strip() and "level=INFO" not in ln and not ln.startswith("Use --debug")]
    return redact(lines[-1].removeprefix("Error: ")) if lines else "helm template failed"
