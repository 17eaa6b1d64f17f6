"""Every silent trap of facts/charts.md, on every chart archive: a values file with that one trap
gets a diagnostic (severity >= warning) at the trap's own key and line where the trap applies, and
none on versions where the same setting is correct."""
from __future__ import annotations

import pytest
import yaml
from checker_testkit import CHART_IDS, chart, chart_dirs, chart_id_parts  # noqa: F401

from gaie_tui.core.charts import versions
from gaie_tui.core.check.checker import check_text
from gaie_tui.core.values.diagnostics import format_path


def _split(dotted):
    return tuple(dotted.split("."))


def nest(dotted: str, value) -> dict:
    out = value
    for k in reversed(_split(dotted)):
        out = {k: out}
    return out


def merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def key_line(text: str, keys) -> int:
    """Line of a key path, found with plain PyYAML (independent of the checker's own position map)."""
    node = yaml.compose(text)
    line = 1
    for k in keys:
        if isinstance(k, int):
            node = node.value[k]
            line = node.start_mark.line + 1
            continue
        for kn, vn in node.value:
            if kn.value == k:
                line, node = kn.start_mark.line + 1, vn
                break
        else:
            raise AssertionError(f"{k} not found")
    return line


def base(lay) -> dict:
    return nest(lay.match_labels, {"app": "vllm"})


def ip(fam):
    return fam == "inferencepool"


# (id, build(lay, fam, ver) -> (values dict, path tuple) or None when not applicable here,
#  applies(lay, fam, ver) -> bool)
def _flag_false(lay, fam, ver):
    f = lay.epp + ".flags"
    if lay.flags_shape == "list":
        return nest(f, [{"name": "enable-pprof", "value": False}]), _split(f) + (0, "value")
    return nest(f, {"enable-pprof": False}), _split(f) + ("enable-pprof",)


def _istio_block(lay):
    return lay.istio or "provider.istio"


TRAPS = [
    ("seed-provider-under-epp", lambda l, f, v: (nest(l.epp + ".provider.name", "istio"), _split(l.epp + ".provider")),
     lambda l, f, v: True),
    ("epp-service", lambda l, f, v: (nest(l.epp + ".service.port", 80), _split(l.epp + ".service")),
     lambda l, f, v: True),
    ("routing-block", lambda l, f, v: ({"routing": {"proxy": {"enabled": False}}}, ("routing",)), lambda l, f, v: True),
    ("gateway-block", lambda l, f, v: ({"gateway": {"className": "istio"}}, ("gateway",)), lambda l, f, v: True),
    ("plugins-under-pool", lambda l, f, v: (nest(l.pool + ".pluginsConfigFile", "x.yaml"),
                                            _split(l.pool + ".pluginsConfigFile")), lambda l, f, v: True),
    ("epp-resources", lambda l, f, v: (nest("inferenceExtension.resources.requests.cpu", "1"),
                                       ("inferenceExtension", "resources")) if ip(f) else None,
     lambda l, f, v: versions.key(v) < (1, 4, 0)),
    ("image-hub", lambda l, f, v: (nest(l.epp + ".image.hub", "ghcr.io/llm-d"), _split(l.epp + ".image.hub")),
     lambda l, f, v: l.image_keys[0] == "registry"),
    ("image-name", lambda l, f, v: (nest(l.epp + ".image.name", "epp"), _split(l.epp + ".image.name")),
     lambda l, f, v: l.image_keys[0] == "registry"),
    ("image-registry-too-early", lambda l, f, v: (nest(l.epp + ".image.registry", "ghcr.io/llm-d"),
                                                  _split(l.epp + ".image.registry")),
     lambda l, f, v: l.image_keys[0] == "hub"),
    ("istio-under-provider", lambda l, f, v: (merge(nest("provider.name", "istio"),
                                                    nest("provider.istio.destinationRule.host", "h")),
                                              ("provider", "istio")),
     lambda l, f, v: ip(f) and versions.key(v) < (1, 2, 0)),
    ("istio-top-level", lambda l, f, v: (merge(nest("provider.name", "istio") if versions.key(v) >= (1, 0, 1) or not ip(f)
                                               else {}, nest("istio.destinationRule.host", "h")), ("istio",)),
     lambda l, f, v: not (ip(f) and (1, 0, 1) <= versions.key(v) < (1, 2, 0))),
    ("flags-list", lambda l, f, v: (nest(l.epp + ".flags", [{"name": "v", "value": 1}]), _split(l.epp + ".flags")),
     lambda l, f, v: l.flags_shape == "map"),
    ("flags-map", lambda l, f, v: (nest(l.epp + ".flags", {"v": 1}), _split(l.epp + ".flags")),
     lambda l, f, v: l.flags_shape == "list"),
    ("flag-false", _flag_false, lambda l, f, v: ip(f)),
    ("env-map", lambda l, f, v: (nest(l.epp + ".env", {"LOG_LEVEL": "debug"}), _split(l.epp + ".env")),
     lambda l, f, v: True),
    ("ext-proc-port", lambda l, f, v: (nest(l.epp + ".extProcPort", 9001), _split(l.epp + ".extProcPort")),
     lambda l, f, v: True),
    ("traffic-policy-load-balancer",
     lambda l, f, v: (merge(nest("provider.name", "istio"),
                            nest(l.istio + ".destinationRule.trafficPolicy", {"loadBalancer": {"simple": "LEAST_REQUEST"}})),
                      _split(l.istio + ".destinationRule.trafficPolicy.loadBalancer")) if l.istio else None,
     lambda l, f, v: True),
    ("traffic-policy-tls",
     lambda l, f, v: (merge(nest("provider.name", "istio"),
                            nest(l.istio + ".destinationRule.trafficPolicy", {"tls": {"mode": "DISABLE"}})),
                      _split(l.istio + ".destinationRule.trafficPolicy.tls")) if l.istio else None,
     lambda l, f, v: True),
    ("provider-name-capitalised", lambda l, f, v: (nest("provider.name", "Istio"), ("provider", "name")),
     lambda l, f, v: True),
    ("chart-bug-tracing-v1.1.0", lambda l, f, v: ({}, ()), lambda l, f, v: ip(f) and v == "v1.1.0"),
    ("replicas-text", lambda l, f, v: (nest(l.epp + ".replicas", "two"), _split(l.epp + ".replicas")),
     lambda l, f, v: True),
    ("target-ports-scalar", lambda l, f, v: (nest(l.target_ports, "8000"), _split(l.target_ports)),
     lambda l, f, v: True),
    ("extra-container-ports-scalar", lambda l, f, v: (nest(l.extra_container_ports, "5557"),
                                                      _split(l.extra_container_ports)), lambda l, f, v: True),
    ("api-version-unread", lambda l, f, v: (nest("inferencePool.apiVersion", "inference.networking.x-k8s.io/v1alpha2"),
                                            ("inferencePool", "apiVersion")) if ip(f) else None,
     lambda l, f, v: versions.key(v) >= (1, 5, 0)),
    ("router-deprecated-top-level", lambda l, f, v: ({"inferenceExtension": {"replicas": 1}}, ("inferenceExtension",))
     if not ip(f) else None, lambda l, f, v: True),
    ("model-server-type-too-new", lambda l, f, v: (nest(l.model_server_type, "trtllm-serve"),
                                                   _split(l.model_server_type)),
     lambda l, f, v: not (not ip(f) or versions.key(v) >= (1, 5, 0))),
]


def _meaningful(trap, cid) -> bool:
    """Whether the trap can be written at all on this chart (e.g. no istio block on v1.0.0): known
    from the layout of the released version, so the cases that cannot exist are never collected."""
    from gaie_tui.core.charts.layouts import layout_for
    fam, ver = chart_id_parts(cid)
    build = next(b for t, b, _a in TRAPS if t == trap)
    return build(layout_for(fam, ver).layout, fam, ver) is not None


CASES = [(t[0], cid) for t in TRAPS for cid in CHART_IDS if _meaningful(t[0], cid)]


@pytest.mark.parametrize("trap,cid", CASES, ids=[f"{t}-{c}" for t, c in CASES])
def test_trap(trap, cid):
    c = chart(cid)
    fam, ver = chart_id_parts(cid)
    lay = c.layout.layout
    build, applies = next((b, a) for t, b, a in TRAPS if t == trap)
    built = build(lay, fam, ver)
    assert built is not None, f"{trap} on {cid}: the archive's layout differs from the released one's"
    values, keys = built
    text = yaml.safe_dump(merge(base(lay), values), sort_keys=False)
    diags = check_text(text, c)
    path = format_path(keys)
    hits = [d for d in diags if d.severity in ("error", "warning") and d.code not in ("provider-incomplete", "provider-changed")
            and (d.path == path or (path and d.path.startswith(path + ".")))]
    if applies(lay, fam, ver):
        exact = [d for d in hits if d.path == path]
        assert exact, f"{trap} on {cid}: nothing at {path}; got {[(d.code, d.path) for d in diags]}"
        d = exact[0]
        assert d.line == (key_line(text, keys) if keys else 1), (d, text)
        assert d.column >= 1
    else:
        assert not hits, f"{trap} on {cid} is correct here, yet: {[(d.code, d.path, d.message) for d in hits]}"
