"""Issue 13 #8: the explanation of a key inside a block the chart passes through as it is (the EPP's
`env`, the pool's `matchLabels`) names that block and the type of the value written there — never
the block's own type or default (`env[0].valueFrom.secretKeyRef` is not an array)."""
from __future__ import annotations

from gaie_tui.core.charts.keyinfo import key_info
from gaie_tui.core.charts.refs import parse_ref
from gaie_tui.core.charts.store import KnowledgeStore


def test_a_key_inside_a_pass_through_block():
    chart = KnowledgeStore().get(parse_ref("inferencepool@v1.5.0"))
    ref = key_info(chart, "inferenceExtension.env[0].valueFrom.secretKeyRef", {"name": "s", "key": "HF_TOKEN"})
    assert (ref.known, ref.type, ref.inside, ref.has_default) == (True, "object", "inferenceExtension.env", False)
    assert key_info(chart, "inferenceExtension.env[0].name", "HF_TOKEN").type == "string"
    assert key_info(chart, "inferencePool.modelServers.matchLabels.app", "vllm").inside == \
        "inferencePool.modelServers.matchLabels"
    # without the value the type is not guessed from the block
    assert key_info(chart, "inferenceExtension.env[0].valueFrom").type is None


def test_keys_of_their_own_are_unchanged():
    chart = KnowledgeStore().get(parse_ref("inferencepool@v1.5.0"))
    env = key_info(chart, "inferenceExtension.env")
    assert (env.type, env.inside, env.has_default) == ("array", "", True)
    v = key_info(chart, "inferenceExtension.flags.v")
    assert (v.type, v.default, v.inside) == ("integer", 1, "")
    assert not key_info(chart, "inferenceExtension.nosuch").known
