"""Day two against the emulator with the real helm: the releases already in the cluster (both chart
families, several namespaces, a stuck one, a hand-edited one), their history, rollback, recovery of
stuck releases and uninstall — each run leaving a record, and the release state the emulator then
holds asserted."""
from __future__ import annotations

import json

import pytest
from kubernetes import client
from releases_kit import READY, api, by_id, chart, connect, deploy, kube_args, live, release_secrets, values_for

from gaie_tui.core.cluster import releases
from gaie_tui.core.cluster.checks import FAIL, PASS
from gaie_tui.core.deploy import actions
from gaie_tui.core.errors import UserError
from gaie_tui.sim import scenarios
from gaie_tui.sim.demo import simulated_cluster

SCHEDULER, ROUTER_EPP, GAIE_EPP = scenarios.SCHEDULER, scenarios.ROUTER_EPP, scenarios.GAIE_EPP


@pytest.fixture
def day_two():
    with simulated_cluster("existing-releases", ready_delay=READY) as sc:
        cluster = connect(sc)
        try:
            yield sc, cluster
        finally:
            cluster.close()


def test_every_release_in_every_namespace(day_two, helm_bin):
    sc, cluster = day_two
    listing = releases.list_releases(cluster, helm_bin)
    assert listing.scope.all_namespaces and listing.context == sc.context
    got = {(r.namespace, r.name): r for r in listing.releases}
    assert list(got) == [("inference-prod", "edited"), ("llm-d", "gaie"), ("team-router", "router"),
                         ("team-stuck", "stuck")]
    gaie, router, stuck, edited = got["llm-d", "gaie"], got["team-router", "router"], got["team-stuck", "stuck"], \
        got["inference-prod", "edited"]
    assert (gaie.chart, gaie.chart_version, gaie.revision, gaie.status) == ("inferencepool", "v1.5.0", 2, "deployed")
    assert (router.chart, router.chart_version, router.status) == ("llm-d-router-gateway", "v0.10.0", "deployed")
    assert (stuck.status, stuck.revision, stuck.stuck) == ("pending-upgrade", 2, True)
    # the image the live Deployment runs, not the one the release asked for
    assert gaie.image == f"{SCHEDULER}:v0.8.0" and router.image == f"{ROUTER_EPP}:v0.10.0"
    assert edited.image == scenarios.EDITED_IMAGE and stuck.image == f"{SCHEDULER}:v0.8.0"  # rev 2 never applied
    for r in (gaie, router, stuck):
        assert r.health == PASS and r.health_note == "EPP 1/1 Ready · 2/2 endpoints Ready", r
    assert edited.epp_replicas == edited.epp_ready == 2
    assert edited.production == "the namespace name inference-prod looks like production"
    assert gaie.production is None
    assert gaie.age().endswith("d") and stuck.age() == "2h"
    as_json = json.loads(json.dumps(listing.to_dict()))
    assert [r["name"] for r in as_json["releases"]] == ["edited", "gaie", "router", "stuck"]


def test_refresh_keeps_the_objects_and_names_the_changed_fields(day_two, helm_bin):
    sc, cluster = day_two
    listing = releases.list_releases(cluster, helm_bin)
    before = {r.key: r for r in listing.releases}
    assert not releases.refresh(listing, cluster, helm_bin).any
    # the model servers of team-router go away; the EPP of llm-d is scaled to 0
    apps = client.AppsV1Api(api(sc))
    apps.patch_namespaced_deployment("vllm-llama", "team-router", {"spec": {"replicas": 0}})
    apps.patch_namespaced_deployment("gaie-epp", "llm-d", {"spec": {"replicas": 0}})
    sc.server.controllers.settle()
    changes = releases.refresh(listing, cluster, helm_bin)
    assert all(listing.releases[i] is before[r.key] for i, r in enumerate(listing.releases))
    assert set(changes.changed) == {("team-router", "router"), ("llm-d", "gaie")}
    assert {"endpoints", "endpoints_ready", "health", "health_note"} <= changes.changed["team-router", "router"]
    assert "image" not in changes.changed["team-router", "router"]
    router, gaie = before["team-router", "router"], before["llm-d", "gaie"]
    assert router.health == FAIL and "no model-server pod matches the pool" in router.health_note
    assert gaie.health == FAIL and gaie.health_note.startswith("EPP scaled to 0")
    # a release that goes away is reported as removed
    actions.ActionRun(actions.plan_uninstall("edited", None, kube_args(sc)), cluster=cluster,
                      record_parent=sc.kubeconfig.parent / "records").run()
    changes = releases.refresh(listing, cluster, helm_bin)
    assert [r.name for r in changes.removed] == ["edited"] and len(listing.releases) == 3


def test_named_namespaces_and_scope_when_listing_everything_is_forbidden(day_two, helm_bin):
    sc, cluster = day_two
    only = releases.list_releases(cluster, helm_bin, namespaces=["team-router", "team-stuck"])
    assert [r.name for r in only.releases] == ["router", "stuck"]
    assert not only.scope.all_namespaces and only.scope.note == "namespace(s) team-router, team-stuck"
    sc.server.scenario = scenarios.Scenario("no-cluster-secrets", "", forbidden=(scenarios.Rule("list", "secrets"),))
    scope = releases.release_scope(cluster, None, None)
    assert scope.namespaces == [cluster.namespace or "default"] and "may not list secrets" in scope.note
    with pytest.raises(UserError, match="may not list secrets in all namespaces"):
        releases.release_scope(cluster, None, True)


def test_history_shows_each_revisions_chart_image_and_values_diff(day_two, helm_bin):
    sc, _cluster = day_two
    hist = actions.history(helm_bin, "gaie", "llm-d", kube_args(sc))
    assert [(r.number, r.status, r.chart_version, r.image) for r in hist.revisions] == [
        (1, "superseded", "v1.4.0", f"{SCHEDULER}:v0.7.1"), (2, "deployed", "v1.5.0", f"{SCHEDULER}:v0.8.0")]
    diff = [c.describe() for c in hist.diff(2).changes]
    assert "inferenceExtension.flags.v: 1 → 2" in diff
    assert "inferenceExtension.image.tag: v0.7.1 → v0.8.0" in diff
    # v1.5.0 reads registry/repository; v1.4.0 read hub/name: the diff shows the move
    assert "inferenceExtension.image.hub: removed (was ghcr.io/llm-d)" in diff
    assert "inferenceExtension.image.registry: added ghcr.io/llm-d" in diff
    assert "+    v: 2" in hist.diff(2).lines and hist.last_good().number == 2


def test_rollback_to_revision_1_is_verified_and_recorded(day_two, helm_bin, tmp_path):
    sc, cluster = day_two
    plan = actions.plan_rollback("gaie", None, kube_args(sc), revision=1, context=cluster.context)
    assert plan.namespace == "llm-d" and plan.target == 1 and plan.target_chart == "inferencepool-v1.4.0"
    assert plan.target_image == f"{SCHEDULER}:v0.7.1" and plan.confirmation == "yes"
    assert "inferenceExtension.image.tag: v0.8.0 → v0.7.1" in " ".join(plan.summary())
    events = []
    out = actions.ActionRun(plan, cluster=cluster, record_parent=tmp_path, on_event=events.append).run()
    assert out.status == "rolled-back" and out.exit_code == 0, (out.explanation, out.verification)
    assert out.revision == 3 and out.release_status == "deployed"
    assert by_id(out.verification)["epp-image"].evidence == f"{SCHEDULER}:v0.7.1"
    assert by_id(out.verification)["drift"].status == PASS
    # the emulator's state: helm recorded revision 3, and the EPP runs revision 1's image
    assert release_secrets(sc, "gaie", "llm-d") == [(1, "superseded"), (2, "superseded"), (3, "deployed")]
    dep = live(sc, "apps", "deployments", "llm-d", "gaie-epp")
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == f"{SCHEDULER}:v0.7.1"
    record = json.loads((out.record_dir / "record.json").read_text())
    assert record["status"] == "rolled-back" and record["action"] == "rollback" and record["revision"] == 3
    assert record["helm_command"][1:4] == ["rollback", "gaie", "1"]
    assert "tag: v0.7.1" in (out.record_dir / "values.yaml").read_text()
    assert "Rollback was a success" in (out.record_dir / "helm.log").read_text()
    assert [e.kind for e in events][-1] == "done"


def test_the_pending_upgrade_is_explained_and_rolled_back(day_two, helm_bin, tmp_path):
    sc, cluster = day_two
    diag = actions.diagnose(helm_bin, "stuck", "team-stuck", kube_args(sc), cluster)
    assert diag.status == "pending-upgrade" and diag.revision == 2 and diag.description == "Preparing upgrade"
    text = " ".join(diag.explanation)
    assert "Revision 2 has been pending-upgrade since" in text and "(2 hours ago)" in text
    assert "never recorded how it ended" in text and "another operation" in text
    assert diag.recovery.action == "rollback" and diag.recovery.revision == 1
    assert [a.action for a in diag.alternatives] == ["uninstall"]
    plan = actions.plan_recovery(diag, kube_args(sc), context=cluster.context)
    assert plan.action == "rollback" and plan.target == 1 and any(w.startswith("Why: Revision 2") for w in plan.why)
    out = actions.ActionRun(plan, cluster=cluster, record_parent=tmp_path).run()
    assert out.status == "rolled-back", (out.explanation, out.verification)
    assert release_secrets(sc, "stuck", "team-stuck") == [(1, "superseded"), (2, "pending-upgrade"), (3, "deployed")]
    listing = releases.list_releases(cluster, helm_bin, namespaces=["team-stuck"])
    assert [(r.status, r.revision, r.stuck) for r in listing.releases] == [("deployed", 3, False)]
    md = (out.record_dir / "record.md").read_text()
    assert "pending-upgrade" in md and "Recovery chosen: rollback to revision 1" in md
    with pytest.raises(UserError, match="not stuck"):
        actions.diagnose(helm_bin, "stuck", "team-stuck", kube_args(sc), cluster)


def test_a_pending_install_has_nothing_to_roll_back_to_and_is_uninstalled(helm_bin, tmp_path):
    name = scenarios.PENDING_RELEASE
    with simulated_cluster("pending-release", ready_delay=READY) as sc:
        cluster = connect(sc)
        try:
            diag = actions.diagnose(helm_bin, name, "llm-d", kube_args(sc), cluster)
            assert diag.status == "pending-install" and diag.recovery.action == "uninstall"
            assert "No earlier revision deployed successfully" in " ".join(diag.explanation)
            assert "let it finish" in " ".join(diag.explanation)  # seeded just now: a helm may still be running
            with pytest.raises(UserError, match="nothing to roll back to") as err:
                actions.plan_rollback(name, "llm-d", kube_args(sc))
            assert "uninstall it" in err.value.hint
            plan = actions.plan_recovery(diag, kube_args(sc))
            assert plan.action == "uninstall" and plan.objects == []  # it never applied anything
            out = actions.ActionRun(plan, cluster=cluster, record_parent=tmp_path).run()
            assert out.status == "uninstalled" and out.exit_code == 0
            assert release_secrets(sc, name, "llm-d") == []
            assert releases.list_releases(cluster, helm_bin).releases == []
        finally:
            cluster.close()


def test_uninstall_lists_every_object_first_and_leaves_nothing(day_two, helm_bin, tmp_path):
    sc, cluster = day_two
    plan = actions.plan_uninstall("router", None, kube_args(sc), context=cluster.context)
    assert [str(o) for o in plan.objects] == [
        "ServiceAccount router-epp in team-router", "Role router-epp in team-router",
        "RoleBinding router-epp in team-router", "Service router-epp in team-router",
        "Deployment router-epp in team-router", "InferencePool router in team-router",
        "DestinationRule router-epp in team-router"]
    assert "helm deletes 7 object(s)" in plan.summary()[0]
    assert live(sc, "apps", "deployments", "team-router", "router-epp") is not None
    out = actions.ActionRun(plan, cluster=cluster, record_parent=tmp_path).run()
    assert out.status == "uninstalled" and out.remaining == [] and out.revision is None
    assert release_secrets(sc, "router", "team-router") == []
    for group, plural, name in (("apps", "deployments", "router-epp"), ("", "services", "router-epp"),
                                ("inference.networking.k8s.io", "inferencepools", "router"),
                                ("networking.istio.io", "destinationrules", "router-epp")):
        assert live(sc, group, plural, "team-router", name) is None, (plural, name)
    assert live(sc, "apps", "deployments", "team-router", "vllm-llama") is not None  # not the release's
    record = json.loads((out.record_dir / "record.json").read_text())
    assert record["status"] == "uninstalled" and len(record["plan"]["objects"]) == 7


def test_production_wants_the_release_name_typed(day_two):
    sc, cluster = day_two
    plan = actions.plan_uninstall("edited", None, kube_args(sc), context=cluster.context)
    assert plan.production and plan.confirmation == "edited"
    assert not actions.approved(plan, "yes") and actions.approved(plan, " edited ")
    assert "PRODUCTION" in actions.confirm_text(plan) and "Type the release name" in actions.confirm_text(plan)
    plain = actions.plan_uninstall("gaie", None, kube_args(sc), context=cluster.context)
    assert actions.approved(plain, "YES") and not actions.approved(plain, "gaie")


def test_a_refused_plan_leaves_a_record_and_changes_nothing(day_two, tmp_path):
    sc, cluster = day_two
    plan = actions.plan_uninstall("gaie", None, kube_args(sc))
    out = actions.ActionRun(plan, cluster=cluster, record_parent=tmp_path).refuse()
    assert out.status == "refused" and out.exit_code == 2
    assert json.loads((out.record_dir / "record.json").read_text())["status"] == "refused"
    assert release_secrets(sc, "gaie", "llm-d") == [(1, "superseded"), (2, "deployed")]


def test_a_rollback_helm_gives_up_on_is_a_failure_with_its_reason(day_two, tmp_path):
    from gaie_tui.sim.faults import Fault
    sc, cluster = day_two
    sc.server.set_faults((Fault("image-pull"),))
    plan = actions.plan_rollback("gaie", None, kube_args(sc), revision=1, wait_timeout="3s")
    out = actions.ActionRun(plan, cluster=cluster, record_parent=tmp_path).run()
    assert out.status == "failed" and out.exit_code == 1
    assert out.explanation is not None and out.explanation.kind == "timeout"
    assert json.loads((out.record_dir / "record.json").read_text())["status"] == "failed"


def test_unknown_release_and_revision_are_clear_errors(day_two):
    sc, _cluster = day_two
    with pytest.raises(UserError, match="no release nope in any namespace"):
        actions.plan_rollback("nope", None, kube_args(sc))
    with pytest.raises(UserError, match=r"has no revision 7 \(helm keeps: 1, 2\)"):
        actions.plan_rollback("gaie", "llm-d", kube_args(sc), revision=7)
    with pytest.raises(UserError, match="is the current revision"):
        actions.plan_rollback("gaie", "llm-d", kube_args(sc), revision=2)
    with pytest.raises(UserError, match="only one helm keeps"):
        actions.plan_rollback("router", None, kube_args(sc))


def test_upgrade_diff_of_a_real_release(helm_bin, tmp_path):
    """Deployed with the real chart, then a changed values file: the values diff names the keys, the
    manifest diff the objects helm would change (and nothing else)."""
    ip = chart("inferencepool@v1.5.0")
    with simulated_cluster("llm-d-ready", ready_delay=READY) as sc:
        values = values_for(ip)
        _plan, out = deploy(sc, ip, values, tmp_path / "records")
        assert out.status == "verified", out.explanation
        from gaie_tui.core.deploy.plan import make_plan
        same = actions.upgrade_diff(make_plan(ip, values, release="gaie", namespace="llm-d",
                                              kubeconfig=str(sc.kubeconfig), context=sc.context))
        assert same.values.empty and same.manifest.empty
        changed = values.replace("replicas: 1", "replicas: 2")
        assert changed != values
        diff = actions.upgrade_diff(make_plan(ip, changed, release="gaie", namespace="llm-d",
                                              kubeconfig=str(sc.kubeconfig), context=sc.context))
    assert [c.describe() for c in diff.values.changes] == ["inferenceExtension.replicas: 1 → 2"]
    assert diff.deployed_revision == 1 and diff.deployed_chart == diff.new_chart == "inferencepool-v1.5.0"
    assert "Deployment/gaie-epp" in diff.manifest.changed and not diff.manifest.removed
    assert any(ln == "+  replicas: 2" for ln in diff.manifest.lines)


def test_filter_words_match_name_namespace_chart_image_and_flags(day_two, helm_bin):
    _sc, cluster = day_two
    listing = releases.list_releases(cluster, helm_bin)

    def names(text):
        return [r.name for r in listing.releases if r.matches(text)]

    assert names("") == ["edited", "gaie", "router", "stuck"]
    assert names("router") == ["edited", "router"]  # edited runs the router EPP image by hand
    assert names("prod") == ["edited"] and names("stuck") == ["stuck"] and names("TEAM v1.5") == ["stuck"]


def test_deployed_values_are_the_upgrades_starting_point(day_two, helm_bin):
    import yaml

    from gaie_tui.core.values.generate import chart_from_header
    sc, _cluster = day_two
    text = actions.deployed_values_text(helm_bin, "gaie", "llm-d", kube_args(sc))
    assert chart_from_header(text) == "inferencepool@v1.5.0"
    assert "revision 2 (deployed)" in text.splitlines()[1]
    values = yaml.safe_load(text)
    assert values["inferenceExtension"]["image"] == {"registry": "ghcr.io/llm-d",
                                                     "repository": "llm-d-inference-scheduler", "tag": "v0.8.0"}
    old = actions.deployed_values_text(helm_bin, "gaie", "llm-d", kube_args(sc), revision=1)
    assert chart_from_header(old) == "inferencepool@v1.4.0" and "tag: v0.7.1" in old
    with pytest.raises(UserError, match="no revision 9"):
        actions.deployed_values_text(helm_bin, "gaie", "llm-d", kube_args(sc), revision=9)
