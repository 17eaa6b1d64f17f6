"""One or more tests per diagnostic code of layers 2 and 3, with positions, hints and fixes."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from checker_testkit import chart, chart_dirs, check, codes, line_of, one  # noqa: F401

from gaie_tui.core.values.diagnostics import CODES, Fix

IP14 = "inferencepool-v1.4.0"
IP15 = "inferencepool-v1.5.0"
IP11 = "inferencepool-v1.1.0"
RG = "llm-d-router-gateway-v0.10.0"
POOL = "inferencePool:\n  modelServers:\n    matchLabels: {app: vllm}\n"
RPOOL = "router:\n  modelServers:\n    matchLabels: {app: vllm}\n"


def fixed(text: str, fix: Fix) -> str:
    return fix.apply(textwrap.dedent(text))


def test_every_code_is_tested():
    here = Path(__file__).parent
    text = "".join(p.read_text() for p in here.glob("test_checker_*.py"))
    text += "".join(p.read_text() for p in here.parent.glob("values/test_*.py"))  # layering codes
    untested = [c for c in CODES if f'"{c}"' not in text.replace(f'"{c}": ', "")]
    assert untested == []


def test_unknown_key_typo_top_level_with_fix():
    text = "inferenceExtenson:\n  replicas: 1\n" + POOL
    d = one(check(text, IP14), "unknown-key")
    assert (d.path, d.line, d.column, d.severity) == ("inferenceExtenson", 1, 1, "error")
    assert "inferenceExtension" in d.hint
    assert fixed(text, d.fix).startswith("inferenceExtension:\n")


def test_unknown_key_typo_sibling():
    text = "inferencePool:\n  modelServer:\n    matchLabels: {app: vllm}\n"
    diags = check(text, IP14)
    d = one(diags, "unknown-key")
    assert (d.path, d.line, d.column) == ("inferencePool.modelServer", 2, 3)
    assert "inferencePool.modelServers" in d.hint
    assert one(diags, "missing-required").path == "inferencePool.modelServers.matchLabels"


def test_unknown_key_suggestion_from_whole_tree():
    text = POOL + "inferenceExtension:\n  pluginsConfigFle: x.yaml\n"
    d = one(check(text, IP14), "unknown-key")
    assert "pluginsConfigFile" in d.hint


def test_misplaced_key_elsewhere_in_tree():
    text = POOL + "inferenceExtension:\n  matchLabels: {app: vllm}\n"
    d = one(check(text, IP14), "misplaced-key")
    assert d.path == "inferenceExtension.matchLabels" and d.line == 5
    assert "inferencePool.modelServers.matchLabels" in d.hint


def test_misplaced_provider_under_epp_seed_mistake():
    text = POOL + "inferenceExtension:\n  provider:\n    name: istio\n"
    d = one(check(text, IP14), "misplaced-key")
    assert (d.path, d.line, d.column) == ("inferenceExtension.provider", 5, 3)
    assert "top-level" in d.hint


def test_not_in_version_with_range():
    text = POOL + "inferenceExtension:\n  latencyPredictor:\n    enabled: true\n"
    d = one(check(text, "inferencepool-v1.2.0"), "not-in-version")
    assert d.path == "inferenceExtension.latencyPredictor"
    assert "v1.3.0–v1.5.0" in d.hint


def test_epp_resources_before_v140():
    text = POOL + "inferenceExtension:\n  resources:\n    requests: {cpu: '1'}\n"
    d = one(check(text, "inferencepool-v1.3.1"), "not-in-version")
    assert "v1.4.0–v1.5.0" in d.hint
    assert "not-in-version" not in codes(check(text, IP14))


def test_not_read_api_version_v150():
    text = POOL + "  apiVersion: inference.networking.x-k8s.io/v1alpha2\n"
    d = one(check(text, IP15), "not-read")
    assert (d.severity, d.line) == ("warning", 4)
    assert "v1.0.0–v1.4.0" in d.hint
    same = POOL + "  apiVersion: inference.networking.k8s.io/v1\n"
    assert one(check(same, IP15), "not-read").severity == "info"


@pytest.mark.parametrize("snippet,severity", [
    ("inferenceExtension:\n  replicas: two\n", "error"),
    ("inferenceExtension:\n  replicas: '2'\n", "warning"),
    ("inferenceExtension:\n  replicas: true\n", "error"),
    ("inferenceExtension:\n  image: ghcr.io/x/y:v1\n", "error"),
    ("inferenceExtension:\n  extraContainerPorts: '5557'\n", "error"),
    ("inferenceExtension:\n  monitoring:\n    prometheus:\n      enabled: 'false'\n", "error"),
])
def test_wrong_type(snippet, severity):
    d = one(check(POOL + snippet, IP14), "wrong-type")
    assert d.severity == severity
    assert d.line == len(POOL.splitlines()) + len(snippet.splitlines())


def test_wrong_type_quoted_number_fix():
    text = POOL + "inferenceExtension:\n  replicas: '2'\n"
    d = one(check(text, IP14), "wrong-type")
    assert "replicas: 2\n" in fixed(text, d.fix)


def test_missing_required_router():
    d = one(check("router:\n  epp:\n    replicas: 1\n", RG), "missing-required")
    assert d.path == "router.modelServers.matchLabels" and d.line == 1


def test_missing_required_skipped_for_v1alpha2_before_v150():
    text = "inferencePool:\n  apiVersion: inference.networking.x-k8s.io/v1alpha2\n"
    assert "missing-required" not in codes(check(text, IP14))


def test_deprecated_top_level_router_with_mapping_hint():
    text = RPOOL + "inferenceExtension:\n  extraServicePorts: []\n  replicas: 2\n"
    d = one(check(text, RG), "deprecated-top-level")
    assert (d.path, d.line, d.severity) == ("inferenceExtension", 4, "error")
    assert "router.extraServicePorts" in d.hint and "router.epp.replicas" in d.hint


@pytest.mark.parametrize("cid,key,new", [(IP15, "hub", "registry"), (IP15, "name", "repository"),
                                         (RG, "hub", "registry"), (IP14, "registry", "hub")])
def test_ignored_image_key_with_rename_fix(cid, key, new):
    epp = "router:\n  epp:\n    image:\n      " if cid == RG else "inferenceExtension:\n  image:\n    "
    text = (RPOOL if cid == RG else POOL) + epp + f"{key}: ghcr.io/llm-d\n"
    if cid == RG:
        text = "router:\n  modelServers:\n    matchLabels: {app: vllm}\n  epp:\n    image:\n      " + f"{key}: x\n"
    d = one(check(text, cid), "ignored-image-key")
    assert d.line == len(text.splitlines())
    out = fixed(text, d.fix)
    assert f"{new}:" in out and f" {key}:" not in out
    assert "ignored-image-key" not in codes(check(out, cid))


def test_istio_location_both_directions():
    top = POOL + "provider:\n  name: istio\nistio:\n  destinationRule:\n    host: h\n"
    under = POOL + "provider:\n  name: istio\n  istio:\n    destinationRule:\n      host: h\n"
    d = one(check(top, "inferencepool-v1.3.1"), "istio-location")   # legacy block still read, never wins
    assert (d.path, d.line) == ("istio", 6) and "provider.istio" in d.hint
    d = one(check(under, "inferencepool-v1.0.2"), "istio-location")
    assert (d.path, d.line) == ("provider.istio", 6) and "top-level `istio`" in d.hint
    assert "istio-location" not in codes(check(top, "inferencepool-v1.0.2"))
    assert "istio-location" not in codes(check(under, "inferencepool-v1.3.1"))


def test_no_istio_support_v100():
    text = POOL + "provider:\n  name: istio\n"
    d = one(check(text, "inferencepool-v1.0.0"), "no-istio-support")
    assert (d.path, d.line) == ("provider.name", 5)


def test_flags_shape_list_on_map_layout_with_fix():
    text = POOL + "inferenceExtension:\n  flags:\n    - name: v\n      value: 1\n"
    d = one(check(text, IP14), "flags-shape")
    assert (d.path, d.line) == ("inferenceExtension.flags", 5)
    out = fixed(text, d.fix)
    assert "flags-shape" not in codes(check(out, IP14)), out


def test_flags_shape_map_on_list_layout_with_fix():
    text = POOL + "inferenceExtension:\n  flags:\n    v: 1\n  replicas: 1\n"
    d = one(check(text, IP11), "flags-shape")
    out = fixed(text, d.fix)
    assert "- name: v" in out and "  replicas: 1" in out
    assert "flags-shape" not in codes(check(out, IP11)), out


def test_flag_false_and_verbose():
    text = POOL + "inferenceExtension:\n  flags:\n    v: 4\n    enable-pprof: false\n"
    diags = check(text, IP14)
    assert (one(diags, "flag-false").line, one(diags, "flag-false").path) == (7, "inferenceExtension.flags.enable-pprof")
    v = one(diags, "flags-verbose")
    assert (v.line, v.severity) == (6, "info")  # advice: llm-d's own guides choose v: 4 on purpose
    assert "v: 1" in fixed(text, v.fix)
    router = RPOOL + "  epp:\n    flags:\n      enable-pprof: false\n"
    assert "flag-false" not in codes(check(router, RG))   # rendered --k=v there


def test_env_map_with_fix():
    text = POOL + "inferenceExtension:\n  env:\n    LOG_LEVEL: debug\n  replicas: 1\n"
    d = one(check(text, IP14), "env-map")
    assert (d.line, d.severity) == (5, "error")
    out = fixed(text, d.fix)
    assert "- name: LOG_LEVEL" in out and "  replicas: 1" in out
    assert "env-map" not in codes(check(out, IP14)), out


SECRET = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123"


def test_hf_token_literal_is_an_error_and_never_echoed():
    text = POOL + f"inferenceExtension:\n  env:\n    - name: HF_TOKEN\n      value: {SECRET}\n"
    diags = check(text, IP14)
    d = one(diags, "hf-token-literal")
    assert (d.path, d.line, d.severity) == ("inferenceExtension.env[0].value", 7, "error")
    assert all(SECRET not in (x.message + x.hint) for x in diags)
    out = fixed(text, d.fix)
    assert SECRET not in out and "secretKeyRef" in out
    assert "hf-token-literal" not in codes(check(out, IP14)), out


def test_hf_token_anywhere_and_in_env_map():
    text = POOL + f"inferenceExtension:\n  pluginsCustomConfig:\n    x.yaml: 'token: {SECRET}'\n"
    d = one(check(text, IP14), "hf-token-literal")
    assert SECRET not in d.message + d.hint
    text = POOL + f"inferenceExtension:\n  env:\n    HF_TOKEN: {SECRET}\n"
    diags = check(text, IP14)
    assert "env-map" in codes(diags) and one(diags, "hf-token-literal").line == 6
    assert all(SECRET not in x.message + x.hint + (x.fix.text if x.fix else "") for x in diags)


def test_ext_proc_port():
    text = POOL + "inferenceExtension:\n  extProcPort: 9001\n"
    d = one(check(text, IP14), "ext-proc-port")
    assert (d.line, d.severity) == (5, "error")
    assert "9002" in fixed(text, d.fix)
    assert "ext-proc-port" not in codes(check(POOL + "inferenceExtension:\n  extProcPort: 9002\n", IP14))


def test_provider_case_fix_and_provider_name():
    text = POOL + "provider:\n  name: Istio\n"
    d = one(check(text, IP14), "provider-case")
    assert "name: istio" in fixed(text, d.fix)
    d = one(check(POOL + "provider:\n  name: kgateway\n", IP14), "provider-name")
    assert d.severity == "info"


def test_provider_profile_named_one_by_one():
    text = POOL + textwrap.dedent("""\
        inferenceExtension:
          flags:
            v: 1
        provider:
          name: istio
          istio:
            destinationRule:
              trafficPolicy:
                connectionPool:
                  http:
                    http1MaxPendingRequests: 1024
                    maxRequestsPerConnection: 256000
                    http2MaxRequests: 256000
                  tcp:
                    maxConnections: 256000
        """)
    diags = check(text, IP14)
    changed = one(diags, "provider-changed")
    assert changed.path.endswith("http.http1MaxPendingRequests") and changed.line == line_of(text, "http1Max")
    missing = sorted(d.path.rsplit(".", 1)[-1] for d in diags if d.code == "provider-incomplete")
    assert missing == ["connectTimeout", "idleTimeout", "maxConnectionDuration"]
    assert all(d.severity == "warning" for d in diags if d.code == "provider-incomplete")


def test_provider_profile_flag_v_missing_is_info():
    text = POOL + "provider:\n  name: istio\n"
    flagged = [d for d in check(text, IP14) if d.code == "provider-incomplete" and d.path == "inferenceExtension.flags"]
    assert flagged and flagged[0].severity == "info"


def test_traffic_policy_dropped():
    text = POOL + "provider:\n  name: istio\n  istio:\n    destinationRule:\n      trafficPolicy:\n" \
                  "        outlierDetection: {consecutive5xxErrors: 3}\n"
    d = one(check(text, IP14), "traffic-policy-dropped")
    assert (d.line, d.severity) == (9, "warning")


def test_model_server_type():
    text = "inferencePool:\n  modelServerType: sglang\n  modelServers:\n    matchLabels: {a: b}\n"
    d = one(check(text, "inferencepool-v1.3.1"), "model-server-type")
    assert d.line == 2 and "v1.4.0" in d.hint
    assert "model-server-type" not in codes(check(text, IP14))


def test_zmq_port_missing_info_warning_and_opt_out():
    d = one(check(POOL, IP14), "zmq-port-missing")
    assert d.severity == "info"
    half = POOL + "inferenceExtension:\n  extraContainerPorts:\n    - {name: zmq, containerPort: 5557}\n"
    d = one(check(half, IP14), "zmq-port-missing")
    assert d.severity == "warning" and d.path == "inferenceExtension.extraContainerPorts" and d.line == 5
    assert "zmq-port-missing" not in codes(check("# gaie-tui: zmq=off\n" + POOL, IP14))


def test_monitoring_enabled_info():
    text = POOL + "inferenceExtension:\n  monitoring:\n    prometheus:\n      enabled: true\n"
    d = one(check(text, IP14), "monitoring-enabled")
    assert (d.severity, d.line) == ("info", 7)


def test_images():
    text = POOL + "inferenceExtension:\n  image:\n    hub: ghcr.io/llm-d\n    name: llm-d-inference-scheduler\n    tag: latest\n"
    diags = check(text, IP14)
    assert (one(diags, "image-unpinned").line, one(diags, "image-unpinned").severity) == (8, "warning")
    assert one(diags, "image-renamed").severity == "info"
    old = text.replace("latest", "v0.3.1")
    u = one(check(old, IP14), "image-unpaired")
    assert (u.severity, u.line) == ("info", 8) and "v0.7.1" in u.hint
    assert "image-unpaired" not in codes(check(text.replace("latest", "v0.7.0"), IP14))
    gaie = POOL + "inferenceExtension:\n  image:\n    registry: registry.k8s.io/gateway-api-inference-extension\n" \
                  "    repository: epp\n    tag: v1.4.0\n"
    assert one(check(gaie, IP15), "image-unpaired").severity == "info"
    assert "image-unpaired" not in codes(check(gaie.replace("v1.4.0", "v1.5.0"), IP15))


def test_chart_bug_tracing_once():
    diags = check(POOL + "provider:\n  name: istio\n", IP11)
    d = one(diags, "chart-bug-tracing")
    assert (d.line, d.path, d.severity) == (1, "", "warning")


def test_chart_bug_objectives():
    text = POOL + "inferenceObjectives:\n  - name: a\n    priority: 1\n"
    d = one(check(text, IP15), "chart-bug-objectives")
    assert (d.line, d.severity) == (4, "error")


def test_chart_version_unknown():
    import copy
    from dataclasses import replace

    from gaie_tui.core.charts.layouts import layout_for
    from gaie_tui.core.charts.store import Chart
    from gaie_tui.core.check.checker import check_text
    base = chart(IP15)
    k = replace(copy.deepcopy(base.knowledge), version="v1.5.7")
    c = Chart(ref=base.ref, knowledge=k, archive=None, source="test", layout=layout_for("inferencepool", "v1.5.7", k))
    d = one(check_text(POOL, c), "chart-version-unknown")
    assert d.severity == "info" and "layout C" in d.message


def test_diagnostics_are_sorted_and_positioned():
    text = POOL + "inferenceExtension:\n  replicas: two\n  extProcPort: 9001\nprovider:\n  name: Istio\n"
    diags = check(text, IP14)
    assert diags == sorted(diags)
    for d in diags:
        assert d.line >= 1 and d.column >= 1
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", d.code) and d.code in CODES
