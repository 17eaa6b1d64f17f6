"""Layer 1: YAML problems with positions; absurd inputs refused fast; the position map and path_at."""
from __future__ import annotations

import time

import pytest
from checker_testkit import chart, chart_dirs, check, codes, one  # noqa: F401

from gaie_tui.core.check.checker import path_at
from gaie_tui.core.values import source as yamlsource
from gaie_tui.core.values.diagnostics import Fix

IP = "inferencepool-v1.4.0"


def test_syntax_error_position():
    d = one(check("inferencePool:\n  targetPorts: [8000\n", IP), "yaml-syntax")
    assert d.severity == "error" and d.line >= 2 and d.column >= 1


def test_tab_indentation():
    diags = check("inferencePool:\n\tmodelServerType: vllm\n", IP)
    d = one(diags, "yaml-tab")
    assert (d.line, d.column) == (2, 1)


def test_tab_inside_block_scalar_content_is_fine():
    text = ("inferenceExtension:\n  pluginsCustomConfig:\n    a.yaml: |\n      x:\n      \ty: 1\n"
            "inferencePool:\n  modelServers:\n    matchLabels: {a: b}\n")
    assert "yaml-tab" not in codes(check(text, IP))


def test_duplicate_key_points_at_second_occurrence():
    text = "inferencePool:\n  modelServers:\n    matchLabels: {a: b}\n  targetPorts: []\n  targetPorts:\n    - number: 8000\n"
    d = one(check(text, IP), "duplicate-key")
    assert (d.path, d.line, d.column, d.severity) == ("inferencePool.targetPorts", 5, 3, "error")
    assert "line 4" in d.message


def test_duplicate_top_level_key():
    d = one(check("inferencePool: {}\ninferencePool:\n  modelServers:\n    matchLabels: {a: b}\n", IP), "duplicate-key")
    assert d.line == 2


@pytest.mark.parametrize("text,kind", [("- a\n- b\n", "a list"), ("just text\n", "a single value")])
def test_top_level_not_a_mapping(text, kind):
    d = one(check(text, IP), "yaml-not-mapping")
    assert kind in d.message


def test_empty_file_is_an_empty_mapping():
    assert "yaml-not-mapping" not in codes(check("# nothing\n", IP))
    assert one(check("", IP), "missing-required")


def test_multi_document():
    d = one(check("a: 1\n---\nb: 2\n", IP), "yaml-multi-document")
    assert d.line == 2


def test_five_megabytes_refused_fast():
    big = "a: " + "x" * (5 * 1024 * 1024) + "\n"
    t = time.perf_counter()
    d = one(check(big, IP), "yaml-too-large")
    assert time.perf_counter() - t < 0.5
    assert "MB" in d.message
    _, d2 = yamlsource.decode(big.encode())
    assert d2.code == "yaml-too-large"


def test_billion_laughs_refused_fast():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for n in "bcdefghi":
        lines.append(f"{n}: &{n} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = n
    t = time.perf_counter()
    d = one(check("\n".join(lines) + "\n", IP), "yaml-alias-bomb")
    assert time.perf_counter() - t < 0.5
    assert d.severity == "error"


def test_small_aliases_are_fine():
    text = ("ports: &p\n  - number: 8000\ninferencePool:\n  targetPorts: *p\n  modelServers:\n"
            "    matchLabels: {a: b}\n")
    src = yamlsource.parse(text)
    assert src.ok and src.values["inferencePool"]["targetPorts"] == [{"number": 8000}]


def test_too_deep():
    text = "a: " + "[" * 300 + "]" * 300 + "\n"
    assert codes(check(text, IP))[0] == "yaml-too-deep"


def test_non_utf8():
    text, d = yamlsource.decode(b"inferencePool:\n  x: caf\xe9\n")
    assert text is None and d.code == "yaml-encoding" and (d.line, d.column) == (2, 9)


def test_bom_and_crlf():
    text, d = yamlsource.decode(b"\xef\xbb\xbfinferencePool:\r\n  modelServers:\r\n    matchLabels: {a: b}\r\n")
    assert d is None
    assert "yaml-syntax" not in codes(check(text, IP))


def test_positions_are_key_positions():
    text = "inferencePool:\n  targetPorts:\n    - number: 8000\n  modelServers:\n    matchLabels:\n      app: vllm\n"
    src = yamlsource.parse(text)
    assert src.where(("inferencePool", "targetPorts", 0, "number")) == (3, 7)
    assert src.where(("inferencePool", "modelServers", "matchLabels", "app")) == (6, 7)
    assert src.where(("inferencePool", "nope", "deeper")) == (1, 1)


def test_path_at():
    text = ("inferenceExtension:\n  extraContainerPorts:\n    - name: zmq\n      containerPort: 5557\n"
            "  flags:\n    v: 1\n")
    assert path_at(text, 1, 1) == "inferenceExtension"
    assert path_at(text, 2, 5) == "inferenceExtension.extraContainerPorts"
    assert path_at(text, 3, 9) == "inferenceExtension.extraContainerPorts[0].name"
    assert path_at(text, 4, 20) == "inferenceExtension.extraContainerPorts[0].containerPort"
    assert path_at(text, 6, 5) == "inferenceExtension.flags.v"
    assert path_at("a: [\n", 1, 1) is None


def test_keys_with_dots_are_bracketed():
    text = "inferencePool:\n  modelServers:\n    matchLabels:\n      llm-d.ai/guide: x\n"
    assert path_at(text, 4, 7) == 'inferencePool.modelServers.matchLabels["llm-d.ai/guide"]'


def test_fix_apply():
    assert Fix("t", 1, 4, 1, 9, "istio").apply("a: Istio\nb: 1\n") == "a: istio\nb: 1\n"
    assert Fix("t", 2, 1, 2, 2, "c").apply("a: 1\nb: 2\n") == "a: 1\nc: 2\n"


def test_header():
    assert yamlsource.header_of("# gaie-tui: chart=inferencepool@v1.4.0\n# gaie-tui: zmq=off  (why)\na: 1\n") == \
        {"chart": "inferencepool@v1.4.0", "zmq": "off"}
