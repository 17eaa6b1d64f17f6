"""EPP log findings against the emulator: a chart/EPP skew that RBAC forbids shows in the
verification with the log line and a remedy; Secrets are listed without their data."""
from __future__ import annotations

from enginehelp import FAIL, READY_DELAY, by_id, chart_for, deploy, values_for

from gaie_tui.core.cluster.kube import Cluster
from gaie_tui.sim.demo import simulated_cluster
from gaie_tui.sim.faults import Fault

REF = "inferencepool@v1.5.0"


def test_forbidden_in_epp_logs_is_a_failing_check_with_a_remedy(tmp_path):
    chart = chart_for(REF)
    faults = (Fault("never-ready", reason="forbidden"),)  # runs, but RBAC denies its reads
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY, faults=faults) as sc:
        _, out = deploy(sc, chart, values_for(chart), tmp_path, wait_timeout="6s")
    assert out.status == "deploy-failed"
    logs = by_id(out.observed)["epp-logs"]
    assert logs.status == FAIL
    assert "forbidden" in logs.evidence.lower() or any("forbidden" in d for d in logs.details)
    assert "RBAC" in logs.evidence or "RBAC" in logs.remedy


def test_secrets_are_listed_as_metadata_and_their_keys_learnt_without_data():
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY) as sc:
        cluster = Cluster.connect(str(sc.kubeconfig), sc.context)
        found = cluster.hf_token_candidates("llm-d")
        log = list(sc.server.request_log)
    assert cluster.metadata_only_honoured is True
    assert [(s.name, s.keys) for s in found] == [("llm-d-hf-token", ("HF_TOKEN",))]
    secret_reads = [r for r in log if "/secrets" in str(r)]
    assert secret_reads, "the candidates must come from a secrets list"


def test_a_server_without_access_review_skips_the_permission_check_with_a_note(tmp_path):
    from gaie_tui.core.cluster.checks import SKIP
    chart = chart_for(REF)
    with simulated_cluster("no-access-review", ready_delay=READY_DELAY) as sc:
        _, out = deploy(sc, chart, values_for(chart), tmp_path)
    rbac = by_id(out.preflight)["rbac"]
    assert rbac.status == SKIP and "SelfSubjectAccessReview" in rbac.evidence
    assert out.status == "verified"
