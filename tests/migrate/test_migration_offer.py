"""The migration the wizard offers when it opens values written for another chart: from the
file's own chart line when it names an earlier chart, else from the layout its keys have — the
newest earlier chart that reads them without the findings a migration fixes."""
from __future__ import annotations

import pytest

from gaie_tui.core.charts.refs import parse_ref
from gaie_tui.core.charts.store import KnowledgeStore
from gaie_tui.core.migrate.offer import migration_offer
from gaie_tui.core.values.generate import Answers, generate


@pytest.fixture(scope="module")
def load():
    store = KnowledgeStore()     # bundled knowledge: checking needs no archive
    return lambda ref: store.get(parse_ref(ref))


def _body(load, ref: str) -> str:
    text = generate(load(ref), Answers()).text
    return "\n".join(ln for ln in text.splitlines() if not ln.startswith("# gaie-tui: chart="))


@pytest.mark.parametrize("src, dst, said, span", [
    ("inferencepool@v1.1.0", "inferencepool@v1.5.0", "inferencepool@v1.1.0", "v1.0.1–v1.1.0"),
    ("inferencepool@v1.3.0", "inferencepool@v1.5.0", "inferencepool@v1.4.0", "v1.2.0–v1.4.0"),
    ("inferencepool@v1.5.0", "llm-d-router-gateway@v0.10.0", "inferencepool@v1.5.0", "v1.5.0 "),
])
def test_the_layout_of_the_keys_says_what_the_file_was_written_for(load, src, dst, said, span):
    offer = migration_offer([("v.yaml", _body(load, src))], load(dst), load)
    assert offer is not None and (offer.src, offer.dst) == (said, dst)
    assert span in offer.why and offer.findings


def test_values_that_fit_the_chart_get_no_offer(load):
    assert migration_offer([("v.yaml", _body(load, "inferencepool@v1.5.0"))], load("inferencepool@v1.5.0"),
                           load) is None


def test_the_chart_line_names_an_earlier_chart(load):
    # the same layout, but the file says it was written for v1.2.0: that is what it migrates from
    text = f"# gaie-tui: chart=inferencepool@v1.2.0\n{_body(load, 'inferencepool@v1.4.0')}"
    offer = migration_offer([("a.yaml", text)], load("inferencepool@v1.5.0"), load,
                            header_ref="inferencepool@v1.2.0")
    assert (offer.src, offer.dst) == ("inferencepool@v1.2.0", "inferencepool@v1.5.0")
    assert "a.yaml says it was written for inferencepool v1.2.0" in offer.why


def test_a_later_chart_line_is_no_migration(load):
    text = _body(load, "inferencepool@v1.5.0")
    assert migration_offer([("a.yaml", text)], load("inferencepool@v1.4.0"), load,
                           header_ref="inferencepool@v1.5.0") is None


def test_layers_are_judged_together(load):
    base = "inferencePool:\n  modelServers:\n    matchLabels: {app: vllm}\n"
    overlay = "inferenceExtension:\n  image:\n    hub: ghcr.io/llm-d\n    name: llm-d-inference-scheduler\n    tag: v0.7.1\n"
    offer = migration_offer([("base.yaml", base), ("overlay.yaml", overlay)], load("inferencepool@v1.5.0"), load)
    assert offer is not None and offer.src == "inferencepool@v1.4.0"
    assert {d.file for d in offer.findings} == {"overlay.yaml"}
