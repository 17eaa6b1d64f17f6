"""llm-d's own values files, checked against the chart their era pinned: nothing correct is flagged,
and the findings we call real mistakes are exactly those (README: "Validating values files")."""
from __future__ import annotations

import pytest
from checker_testkit import SHARED, chart, chart_dirs, check  # noqa: F401

GUIDES = SHARED / "upstream" / "llm-d" / "guides"
HISTORY = SHARED / "upstream" / "llm-d" / "history"

# guide file → chart its era pinned, and the complete list of (code, severity) we expect: all info
GUIDE_CASES = [
    ("inference-scheduling.gaie-values.yaml", "inferencepool-v1.4.0",
     {("zmq-port-missing", "info"), ("image-renamed", "info"), ("monitoring-enabled", "info")}),
    ("pd-disaggregation.gaie-values.yaml", "inferencepool-v1.4.0",
     {("zmq-port-missing", "info"), ("image-renamed", "info"), ("monitoring-enabled", "info")}),
    ("optimized-baseline.router-values.yaml", "llm-d-router-gateway-v0.10.0", {("zmq-port-missing", "info")}),
]


@pytest.mark.parametrize("name,cid,expected", GUIDE_CASES, ids=[c[0] for c in GUIDE_CASES])
def test_guide_values_nothing_correct_is_flagged(name, cid, expected):
    text = (GUIDES / name).read_text()
    diags = check(text, cid, deep=True)
    assert {(d.code, d.severity) for d in diags} == expected


# A sample of historic llm-d values files (history/MANIFEST.tsv), each checked against the chart
# version llm-d used at that date. Every finding >= warning listed here was reviewed and is a real
# mistake in the file (or, for `missing-required`, an overlay meant to be layered on a base file).
HISTORY_CASES = [
    ("guides/recipes/inferencepool/values.yaml", "inferencepool-v1.4.0",
     {("unknown-key", "inferenceExtension.monitoring.prometheus.enable")}),           # typo of `enabled`
    ("guides/wide-ep-lws/inferencepool.values.yaml", "inferencepool-v1.2.0",
     {("misplaced-key", "inferencePool.provider"),                                      # provider is top-level
      ("not-in-version", "inferenceExtension.monitoring.secret"),                       # v1.0.1-v1.0.2 only
      ("unknown-key", "inferenceExtension.monitoring.gke.enable")}),                    # typo of `enabled`
    ("guides/wide-ep-lws/manifests/inferencepool.values.yaml", "inferencepool-v1.5.0",
     {("ignored-image-key", "inferenceExtension.image.hub"),                            # v1.5.0: registry/repository
      ("ignored-image-key", "inferenceExtension.image.name"),
      ("traffic-policy-dropped", "provider.istio.destinationRule.trafficPolicy.tls")}),  # chart writes its own tls
    # v: 4 is llm-d's deliberate choice here: flags-verbose is an info note, not listed
    ("guides/precise-prefix-cache-aware/gaie-kv-events/values.yaml", "inferencepool-v1.4.0", set()),
    ("_history/1b687d8/guides/precise-prefix-cache-aware/gaie-kv-events/values.yaml", "inferencepool-v1.2.0",
     {("duplicate-key", "inferenceExtension.flags")}),
    ("_history/e52045b/guides/precise-prefix-cache-aware/gaie-kv-events/values.yaml", "inferencepool-v1.0.1",
     {("unknown-key", "inferenceExtension.logVerbosity")}),                            # no such key: use flags v
    ("_history/a576104/guides/inference-scheduling/gaie-inference-scheduling/values_sglang.yaml",
     "inferencepool-v1.3.1",
     {("model-server-type", "inferencePool.modelServerType"),                          # sglang from v1.4.0
      ("not-in-version", "inferenceExtension.monitoring.secret")}),
    ("guides/recipes/scheduler/features/monitoring.values.yaml", "inferencepool-v1.5.0",
     {("missing-required", "inferencePool.modelServers.matchLabels")}),                # an overlay, alone
    ("guides/recipes/router/base.values.yaml", "llm-d-router-gateway-v0.10.0",
     {("missing-required", "router.modelServers.matchLabels")}),
    # clean ones (router.proxy.* is honoured through a helper the template analysis cannot follow)
    ("guides/optimized-baseline/router/optimized-baseline.values.yaml", "llm-d-router-gateway-v0.9.0", set()),
    ("guides/pd-disaggregation/router/pd-disaggregation.values.yaml", "llm-d-router-gateway-v0.9.0", set()),
    ("guides/predicted-latency-routing/router/predicted-latency-slo.values.yaml", "llm-d-router-gateway-v0.9.0", set()),
    ("guides/pd-disaggregation/gaie-pd/values.yaml", "inferencepool-v1.4.0", set()),
    ("guides/tiered-prefix-cache/cpu/scheduler/tiered-prefix-cache-cpu.values.yaml", "inferencepool-v1.5.0", set()),
    ("_history/e52045b/guides/inference-scheduling/gaie-inference-scheduling/values.yaml", "inferencepool-v1.0.1", set()),
    ("_history/0331ce3/guides/pd-disaggregation/gaie-pd/values.yaml", "inferencepool-v1.4.0", set()),
]


@pytest.mark.parametrize("rel,cid,expected", HISTORY_CASES, ids=[f"{c[0]}@{c[1]}" for c in HISTORY_CASES])
def test_history_sample(rel, cid, expected):
    path = HISTORY / rel
    if not path.is_file():
        pytest.skip(f"{rel} not in this copy of ../shared")
    diags = check(path.read_text(), cid)
    assert {(d.code, d.path) for d in diags if d.severity in ("error", "warning")} == expected
