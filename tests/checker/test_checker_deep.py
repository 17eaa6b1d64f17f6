"""Layer 4 (--deep) with the real helm and the real chart archives."""
from __future__ import annotations

import pytest
from checker_testkit import CHART_IDS, PROVIDERS, chart, chart_dirs, check, generated, one  # noqa: F401

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
