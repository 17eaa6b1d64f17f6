"""Issue 11 leftover: advice shown inside the wizard names the wizard's own actions. A check can
carry a command-line remedy and one in the wizard's terms (`Check.remedy_for`); the preflight
checks the wizard shows on Review, and the drift checks on Verify, never tell the wizard's user to
run a gaie-tui command or to pass a flag — and nothing claims the user agreed before approval."""
from __future__ import annotations

import re

import pytest
from support import CHARTS

from gaie_tui.core.charts.refs import parse_ref
from gaie_tui.core.charts.store import KnowledgeStore
from gaie_tui.core.cluster.checks import FAIL, Check
from gaie_tui.core.cluster.kube import Cluster
from gaie_tui.core.cluster.preflight import run_preflight, values_check
from gaie_tui.core.verify.expected import Expected
from gaie_tui.sim.demo import simulated_cluster

COMMAND_LINE = re.compile(r"gaie-tui [a-z]+|(^|\s)--[a-z]")


def _chart():
    return KnowledgeStore().get(parse_ref(str(CHARTS / "inferencepool-v1.5.0.tgz")))


def test_a_check_with_one_remedy_is_unchanged_and_round_trips():
    c = Check("x", "X", FAIL, "seen", "do this")
    assert c.remedy_for(wizard=True) == c.remedy_for() == "do this"
    assert "wizard_remedy" not in c.to_dict() and Check.from_dict(c.to_dict()) == c
    two = Check("y", "Y", FAIL, "seen", "run `gaie-tui validate`", wizard_remedy="see Values")
    assert two.remedy_for() == "run `gaie-tui validate`" and two.remedy_for(wizard=True) == "see Values"
    assert Check.from_dict(two.to_dict()) == two


def test_the_values_check_says_where_in_the_wizard(monkeypatch):
    c = values_check("inferencePool:\n  modelServers:\n    matchLabels: {app: x}\ninferenceExtension:\n  replicas: [1]\n",
                     _chart())
    assert c.status == FAIL
    assert "gaie-tui validate" in c.remedy_for()                  # the command line keeps its advice
    assert not COMMAND_LINE.search(c.remedy_for(wizard=True)) and "Values" in c.remedy_for(wizard=True)
    from gaie_tui.core.check import checker
    monkeypatch.setattr(checker, "check_source", lambda *a, **k: 1 / 0)
    crashed = values_check("a: 1\n", _chart())
    assert crashed.status == FAIL and not COMMAND_LINE.search(crashed.remedy_for(wizard=True))


@pytest.mark.parametrize("create", [False, True])
def test_a_missing_namespace_is_said_without_flags_or_a_claimed_agreement(create, helm_bin):
    with simulated_cluster("llm-d-ready", ready_delay=0.1) as sc:
        cluster = Cluster.connect(str(sc.kubeconfig), sc.context)
        try:
            exp = Expected(release="gaie", namespace="brand-new", pool_selector={"app": "vllm"})
            checks = run_preflight(cluster, exp, create_namespace=create, release_state=lambda: None,
                                   image_session=None)
        finally:
            cluster.close()
    ns = next(c for c in checks if c.id == "namespace")
    assert "agreed" not in ns.evidence
    if create:
        assert ns.status == "pass" and "will create it" in ns.evidence
    else:
        assert ns.status == FAIL and "--create-namespace" in ns.remedy_for()
        assert not COMMAND_LINE.search(ns.remedy_for(wizard=True)) and "Setup" in ns.remedy_for(wizard=True)


def test_drift_checks_say_what_to_do_in_the_wizard():
    from types import SimpleNamespace

    from gaie_tui.core.verify import drift
    exp = Expected(release="gaie", namespace="llm-d", epp="gaie-epp", chart_name="inferencepool",
                   chart_version="v1.5.0")
    exp.rendered = {"Deployment": {"kind": "Deployment", "metadata": {"name": "gaie-epp"}, "spec": {"replicas": 1}}}
    snap = SimpleNamespace(deployment={"kind": "Deployment", "metadata": {"name": "gaie-epp"}, "spec": {"replicas": 3}},
                           service=None, pool=None, destination_rule=None)
    checks = [c for c in drift.drift_checks(exp, snap) if c.status != "pass"]
    assert checks
    for c in checks:
        assert "gaie-tui deploy" in c.remedy_for()
        assert not COMMAND_LINE.search(c.remedy_for(wizard=True)), c.remedy_for(wizard=True)
        assert "Review" in c.remedy_for(wizard=True)
