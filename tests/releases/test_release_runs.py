"""What the wizard's day-two screens need from core, against the emulator with the real helm: the
verification of an existing release as a recorded run (nothing to approve), an approved rollback or
uninstall with the engine's control surface (never run unapproved, cancellable, recorded), the
migration of a deployed release's values with a proof that follows later edits, and the EPP image
Setup proposes before and after registries answer."""
from __future__ import annotations

import json
import threading

import pytest
from releases_kit import READY, connect, kube_args, release_secrets

from gaie_tui.core.charts import images as chart_images
from gaie_tui.core.deploy import actions
from gaie_tui.core.deploy.release_runs import ReleaseAction, ReleaseVerification
from gaie_tui.core.migrate.release import migrate_release, proof_for, targets
from gaie_tui.core.session import Session
from gaie_tui.core.upstream import images
from gaie_tui.sim.demo import simulated_cluster

GAIE_EPP = "registry.k8s.io/gateway-api-inference-extension/epp"


@pytest.fixture
def day_two():
    with simulated_cluster("existing-releases", ready_delay=READY) as sc:
        cluster = connect(sc)
        try:
            yield sc, cluster
        finally:
            cluster.close()


def test_verification_of_an_existing_release_is_a_recorded_run(day_two, helm_bin, tmp_path):
    sc, cluster = day_two
    seen = []
    run = ReleaseVerification("edited", "inference-prod", cluster=cluster, helm=helm_bin, kube_args=kube_args(sc),
                              context=sc.context, record_parent=tmp_path, verify_wait=10, interval=0.2,
                              on_event=seen.append)
    assert run.approved_by.startswith("nothing to approve") and not run.outcome.finished
    out = run.run()
    assert out.status == "verify-failed" and out.finished and run.done == ["verify", "record"]
    assert (out.plan.chart_name, out.plan.chart_version, out.revision) == ("inferencepool", "v1.5.0", 1)
    failing = {c.id for c in out.verification if c.status == "fail"}
    assert "drift-deployment-spec.template.spec.containers[epp].image" in failing
    data = json.loads((out.record_dir / "record.json").read_text())
    assert data["action"] == "verify" and data["status"] == "verify-failed" and data["helm_command"] == []
    assert "registry: registry.k8s.io" in (out.record_dir / "values.yaml").read_text()   # what was verified
    md = (out.record_dir / "record.md").read_text()
    assert md.startswith("# Verification record: edited in inference-prod\n\n**Outcome: verify-failed** — a check "
                         "failed; nothing in the cluster was changed")
    assert [e.kind for e in seen][-1] == "done" and any(e.kind == "checks" and e.final for e in seen)
    assert run.run() is out                                     # once
    assert {c.id for c in run.look()} >= {"release", "epp-image"}   # the dashboard keeps looking
    assert release_secrets(sc, "edited", "inference-prod") == [(1, "deployed")]   # nothing changed


def test_verification_quit_while_settling_says_so(day_two, helm_bin, tmp_path):
    sc, cluster = day_two
    run = ReleaseVerification("gaie", "llm-d", cluster=cluster, helm=helm_bin, kube_args=kube_args(sc),
                              record_parent=tmp_path, verify_wait=30, interval=0.2)
    run.cancel("quit")
    out = run.run()
    assert out.status == "quit" and json.loads((out.record_dir / "record.json").read_text())["status"] == "quit"


def test_verification_of_a_release_that_is_not_there(day_two, helm_bin, tmp_path):
    sc, cluster = day_two
    out = ReleaseVerification("nope", "llm-d", cluster=cluster, helm=helm_bin, kube_args=kube_args(sc),
                              record_parent=tmp_path).run()
    assert out.status == "error" and "no helm release 'nope'" in out.explanation.message


def test_an_action_runs_only_once_approved_and_is_recorded(day_two, helm_bin, tmp_path):
    sc, cluster = day_two
    plan = actions.plan_rollback("gaie", "llm-d", kube_args(sc), revision=1, helm=helm_bin, context=sc.context,
                                 wait_timeout="30s")
    run = ReleaseAction(plan, cluster=cluster, record_parent=tmp_path, verify_wait=15, interval=0.2)
    assert run.waiting_for_approval and run.run().status == "awaiting-approval"   # not approved: nothing ran
    assert release_secrets(sc, "gaie", "llm-d") == [(1, "superseded"), (2, "deployed")]
    assert (run.plan.chart_name, run.plan.chart_version) == ("inferencepool", "v1.4.0")
    run.approve("in the wizard")
    out = run.run()
    assert out.status == "rolled-back" and out.revision == 3 and not run.running and not run.helm_running
    assert run.action_outcome.release_status == "deployed"
    assert json.loads((out.record_dir / "record.json").read_text())["status"] == "rolled-back"
    assert {c.id for c in run.look()} >= {"release", "epp-image"}
    assert run.run() is out                                    # never twice


def test_an_action_cancelled_while_helm_runs(day_two, helm_bin, tmp_path):
    sc, cluster = day_two
    plan = actions.plan_uninstall("router", "team-router", kube_args(sc), helm=helm_bin, context=sc.context)
    run = ReleaseAction(plan, cluster=cluster, record_parent=tmp_path)
    run.approve("in the wizard")
    run.cancel("quit", "the wizard was quit")                  # before helm ran: helm never starts
    out = run.run()
    assert out.status == "quit" and run.action_outcome.status == "cancelled"
    assert release_secrets(sc, "router", "team-router") == [(1, "deployed")]


def test_migrating_a_deployed_release_and_proving_edited_values(day_two, helm_bin, monkeypatch):
    sc, _cluster = day_two
    monkeypatch.setenv("GAIE_TUI_HELM", helm_bin)
    assert targets("inferencepool", "v1.4.0") == ["inferencepool@v1.5.0", "llm-d-router-gateway@v0.10.0"]
    assert targets("inferencepool", "v1.5.0") == ["llm-d-router-gateway@v0.10.0"]
    assert targets("llm-d-router-gateway", "v0.10.0") == []
    session = Session(kubeconfig=str(sc.kubeconfig), context=sc.context)
    try:
        m = migrate_release(session, "gaie", "llm-d", "llm-d-router-gateway@v0.10.0")
    finally:
        session.close()
    text = m.files[0].text
    # the header stays the file's (not moved under the first key), pointing at the new chart
    assert text.startswith("# gaie-tui: chart=llm-d-router-gateway@v0.10.0\n# Migrated from inferencepool v1.5.0")
    assert "\nrouter:\n  epp:\n    flags:\n      v: 2\n" in text
    assert m.ok and proof_for(m, text, helm_bin) is m.proof
    edited = proof_for(m, text.replace("v: 2", "v: 3"), helm_bin)
    assert [(f.thing, f.aspect, f.old, f.new) for f in edited.lost] == [("EPP container", "flag --v", '"2"', '"3"')]
    assert proof_for(m, "router: [", helm_bin).error


def test_the_proposed_image_never_is_the_renamed_repository():
    for version in ("v1.0.1", "v1.2.0", "v1.4.0", "v1.5.0"):
        paired, _ = chart_images.default_image("inferencepool", version)
        assert paired.repo == chart_images.RENAMED_REPO
        assert chart_images.proposed_image("inferencepool", version).ref == f"{GAIE_EPP}:{version}"
    assert chart_images.proposed_image("llm-d-router-gateway", "v0.10.0").ref == \
        "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0"
    unchecked = images.image_choices("inferencepool", "v1.5.0", None, check=False)
    assert images.proposed(unchecked).image == f"{GAIE_EPP}:v1.5.0"      # not the unchecked first choice


def test_the_proposal_follows_what_the_registries_said():
    def choice(image, state, recommended=False):
        pull = images.PullStatus(image, state, "") if state else None
        return images.ImageChoice(image, "", "", pull, recommended)
    paired, own, newest = (f"{chart_images.RENAMED_REPO}:v0.8.0", f"{GAIE_EPP}:v1.5.0",
                           f"{chart_images.CURRENT_REPO}:v0.10.0")
    answered = images.ImageChoices("inferencepool", "v1.5.0", [
        choice(paired, images.DENIED), choice(own, images.MISSING_TAG), choice(newest, images.OK, True)])
    assert images.proposed(answered).image == newest             # the one that pulls
    offline = images.ImageChoices("inferencepool", "v1.5.0", [
        choice(paired, images.OFFLINE), choice(own, images.OFFLINE), choice(newest, images.OFFLINE)])
    assert images.proposed(offline).image == own
    nothing = images.ImageChoices("inferencepool", "v1.5.0", [choice(paired, images.DENIED)])
    assert images.proposed(nothing) is None


def test_a_thread_can_cancel_a_running_verification(day_two, helm_bin, tmp_path):
    sc, cluster = day_two
    run = ReleaseVerification("stuck", "team-stuck", cluster=cluster, helm=helm_bin, kube_args=kube_args(sc),
                              record_parent=tmp_path, verify_wait=60, interval=0.2)
    t = threading.Thread(target=run.run)
    t.start()
    import time
    deadline = time.monotonic() + 10
    while not run.running and time.monotonic() < deadline:
        time.sleep(0.02)
    run.cancel("interrupted", "SIGTERM")
    t.join(20)
    assert not t.is_alive() and run.outcome.status == "interrupted" and "SIGTERM" in run.outcome.reason
