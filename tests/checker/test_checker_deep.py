"""Layer 4 (--deep) with the real helm and the real chart archives."""
from __future__ import annotations

import pytest
from checker_testkit import CHART_IDS, HELM, PROVIDERS, chart, chart_dirs, check, generated, one  # noqa: F401

from gaie_tui.core.charts import layouts

CASES = [(cid, p) for cid in CHART_IDS for p in PROVIDERS
         if not (p == "istio" and not layouts.has_istio(*cid.rsplit("-", 1)))]


@pytest.mark.parametrize("cid,provider", CASES, ids=[f"{c}-{p}" for c, p in CASES])
def test_generated_files_are_clean_with_deep(cid, provider):
    text = generated(cid, provider, hf_secret="llm-d-hf-token")
    diags = check(text, cid, deep=True)
    bad = [(d.code, d.path, d.message) for d in diags if d.severity in ("error", "warning")]
    if cid == "inferencepool-v1.1.0":  # the documented exception: the chart bug, once, chart-level
        assert bad == [("chart-bug-tracing", "", bad[0][2])]
    else:
        assert bad == []
    assert not [d for d in diags if d.code in ("render-error", "render-unavailable")]


@pytest.mark.parametrize("cid", ["inferencepool-v1.5.0", "llm-d-router-gateway-v0.10.0"])
def test_generated_variants_are_clean(cid):
    text = generated(cid, "istio", zmq=False, monitoring=True, replicas=3, target_ports=[8000, 8001],
                     selector={"app": "vllm"})
    diags = check(text, cid, deep=True)
    assert [d for d in diags if d.severity in ("error", "warning")] == []
    assert "zmq-port-missing" not in [d.code for d in diags]      # the header's zmq=off opt-out


def test_render_error_maps_to_target_ports_line():
    text = """\
        inferencePool:
          modelServers:
            matchLabels: {app: vllm}
          targetPorts: 8000
        """
    import textwrap

    from gaie_tui.core.check.deep import deep_check_source
    from gaie_tui.core.values import source as yamlsource
    # the render layer alone (nothing known from layers 1-3): helm's error mapped to the setting
    diags = deep_check_source(yamlsource.parse(textwrap.dedent(text)), chart("inferencepool-v1.4.0"))
    d = one(diags, "render-error")
    assert (d.path, d.line, d.column, d.severity) == ("inferencePool.targetPorts", 4, 3, "error")
    assert "range can't iterate over 8000" in d.message


def test_render_failure_already_reported_is_not_repeated():
    # layers 1-3 say targetPorts must be a list; --deep adds no second error for the same line,
    # only a note that the dead-setting analysis could not run and why
    text = """\
        inferencePool:
          modelServers:
            matchLabels: {app: vllm}
          targetPorts: 8000
        """
    diags = check(text, "inferencepool-v1.4.0", deep=True)
    assert [d.code for d in diags if d.severity == "error"] == ["wrong-type"]
    note = one(diags, "deep-skipped")
    assert (note.line, note.severity) == (4, "info")
    assert "range can't iterate over 8000" in note.message and "skipped" in note.message


def test_unmapped_render_error_beside_wrong_type_is_not_a_line_1_error():
    # `extraContainerPorts: "5557"`: helm fails on its own rendered YAML, with no values path in
    # the message; the wrong-type finding is the explanation, nothing is pinned on line 1
    text = 'inferenceExtension:\n  extraContainerPorts: "5557"\n' + \
        "inferencePool:\n  modelServers:\n    matchLabels: {app: x}\n"
    diags = check(text, "inferencepool-v1.5.0", deep=True)
    assert [(d.code, d.line) for d in diags if d.severity == "error"] == [("wrong-type", 2)]
    assert "render-error" not in [d.code for d in diags]
    assert one(diags, "deep-skipped").line == 2


def test_render_error_router_deprecated_top_level():
    from gaie_tui.core.check.deep import deep_check_source
    from gaie_tui.core.values import source as yamlsource
    src = yamlsource.parse("router:\n  modelServers:\n    matchLabels: {a: b}\ninferencePool:\n  targetPorts: []\n")
    d = one(deep_check_source(src, chart("llm-d-router-gateway-v0.10.0")), "render-error")
    assert (d.path, d.line) == ("inferencePool", 4)


def test_no_effect_on_a_setting_no_rule_knows():
    # the OTel endpoint is read only when tracing is enabled: as written it changes nothing
    text = """\
        inferenceExtension:
          tracing:
            enabled: false
            otelExporterEndpoint: "http://collector:4317"
        inferencePool:
          modelServers:
            matchLabels: {app: vllm}
        """
    diags = check(text, "inferencepool-v1.4.0", deep=True)
    d = one(diags, "no-effect")
    assert (d.path, d.line, d.severity) == ("inferenceExtension.tracing.otelExporterEndpoint", 4, "warning")
    # the live settings around it are not flagged
    assert [x.path for x in diags if x.code == "no-effect"] == ["inferenceExtension.tracing.otelExporterEndpoint"]


def test_render_warning_from_helm_coalesce():
    from gaie_tui.core.check.deep import deep_check_source
    from gaie_tui.core.values import source as yamlsource
    src = yamlsource.parse("inferenceExtension:\n  flags:\n    - name: v\n      value: 1\n"
                           "inferencePool:\n  modelServers:\n    matchLabels: {a: b}\n")
    diags = deep_check_source(src, chart("inferencepool-v1.4.0"), known=[])
    d = one(diags, "render-warning")
    assert (d.path, d.line) == ("inferenceExtension.flags", 2)


def test_deep_without_archive_says_so():
    from gaie_tui.core.charts.layouts import layout_for
    from gaie_tui.core.charts.store import Chart, load_bundled
    from gaie_tui.core.check.checker import check_text
    k = load_bundled("inferencepool", "v1.4.0")
    c = Chart(ref=chart("inferencepool-v1.4.0").ref, knowledge=k, archive=None, source="bundled",
              layout=layout_for("inferencepool", "v1.4.0", k))
    diags = check_text("inferencePool:\n  modelServers:\n    matchLabels: {a: b}\n", c, deep=True)
    assert one(diags, "render-unavailable").severity == "info"


# --- gated settings: the finding names the switch -----------------------------------------------
def test_gated_settings_name_the_switch_and_defaults_are_not_worth_a_warning():
    text = """\
        inferenceExtension:
          monitoring:
            interval: 30s
            prometheus:
              enabled: false
          tracing:
            enabled: false
            otelExporterEndpoint: "http://x:4317"
            sampling:
              sampler: parentbased_traceidratio
        inferencePool:
          modelServers:
            matchLabels: {app: vllm}
        provider:
          name: gke
          istio:
            destinationRule:
              host: foo.bar
        """
    diags = check(text, "inferencepool-v1.5.0", deep=True)
    got = {d.path: d for d in diags if d.code == "no-effect"}
    assert set(got) == {"inferenceExtension.monitoring.interval", "inferenceExtension.tracing.otelExporterEndpoint",
                        "provider.istio.destinationRule.host"}   # sampler = the chart's default: nothing said
    assert "while `inferenceExtension.monitoring.prometheus.enabled` is false (line 5)" in \
        got["inferenceExtension.monitoring.interval"].message
    assert got["inferenceExtension.monitoring.interval"].hint.startswith(
        "set `inferenceExtension.monitoring.prometheus.enabled: true`")
    assert "while `provider.name` is gke (line 15)" in got["provider.istio.destinationRule.host"].message
    assert "`provider.name: istio`" in got["provider.istio.destinationRule.host"].hint


def test_switch_that_cannot_render_alone_is_proven_from_the_templates():
    # sidecar.enabled: true needs sidecar.configMap too, so that render fails; the templates' if-block
    # around every sidecar read is the proof
    text = "inferenceExtension:\n  sidecar:\n    args: [--log-level, warn]\n" \
           "inferencePool:\n  modelServers:\n    matchLabels: {app: vllm}\n"
    d = one(check(text, "inferencepool-v1.5.0", deep=True), "no-effect")
    assert (d.path, d.line) == ("inferenceExtension.sidecar.args", 3)
    assert "while `inferenceExtension.sidecar.enabled` is false (the chart's default)" in d.message


# --- many variants, one helm run ----------------------------------------------------------------
@pytest.mark.parametrize("cid", CHART_IDS)
def test_batched_renders_equal_single_renders(cid, tmp_path):
    """Each variant's manifests and coalesce warnings from one batched helm run equal a plain
    `helm template` of it — with null deletions, lists and a variant that fails."""
    import copy

    from gaie_tui.core.check.render import BatchRenderer
    from gaie_tui.core.values import source as yamlsource
    ch = chart(cid)
    base = yamlsource.parse(generated(cid, "gke", hf_secret="s")).values
    epp = base["router"]["epp"] if cid.startswith("llm-d") else base["inferenceExtension"]
    variants = [base]
    v = copy.deepcopy(base)
    (v["router"]["epp"] if cid.startswith("llm-d") else v["inferenceExtension"])["flags"] = None
    variants.append(v)
    v = copy.deepcopy(base)
    (v["router"]["epp"] if cid.startswith("llm-d") else v["inferenceExtension"])["replicas"] = 3
    variants.append(v)
    v = copy.deepcopy(base)
    (v["router"] if cid.startswith("llm-d") else v["inferencePool"])["modelServers"] = None  # fails: required
    variants.append(v)
    v = copy.deepcopy(base)
    (v["router"]["epp"] if cid.startswith("llm-d") else v["inferenceExtension"])["env"] = {"A": "b"}  # warning
    variants.append(v)
    assert epp  # the block exists in every layout
    from gaie_tui.core.check.deep import chart_dir
    r = BatchRenderer(ch, str(HELM), tmp_path, folder=chart_dir(ch.archive))
    many = r.render_many(variants)
    single = [r.render(x) for x in variants]
    assert [m.ok for m in many] == [s.ok for s in single] and not single[3].ok
    for m, s in zip(many, single, strict=True):
        assert m.manifests == s.manifests
        if m.ok:
            assert [ln for ln in m.stderr.splitlines() if "warning" in ln] == \
                [ln for ln in s.stderr.splitlines() if "warning" in ln]
    assert r.runs < 2 * len(variants)
