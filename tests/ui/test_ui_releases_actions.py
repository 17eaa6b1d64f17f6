"""Actions on existing releases, driven through the Releases screen against the emulator's
existing-releases scenario with the real helm and charts: verify on the dashboard, upgrade with the
values and manifest diff on Review, migrate with the proof on Review, roll back to revision 1,
recover the pending release, uninstall (production wants the name typed). Each leaves a record, and
the release state the emulator then holds is asserted."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from releases_uikit import (
    act,
    action_ready,
    approve_action,
    epp_container,
    live,
    release_secrets,
    releases_listed,
    screen_name,
    shown,
)
from uihelp import text_of, wait_until

pytestmark = [pytest.mark.xdist_group("ui-releases-actions"),
              pytest.mark.parametrize("sim", ["existing-releases"], indirect=True)]


def record(outcome_dir) -> dict:
    return json.loads((Path(outcome_dir) / "record.json").read_text())


async def test_verify_a_release_on_the_dashboard_leaves_a_record(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await act(pilot, app, "edited", "enter", "ReleaseMenu")
        await pilot.press("v")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "verify" and app.screen.settled, 60)
        rows = app.screen.rows
        drift = [c for c in rows.values() if c.id.startswith("drift-")]
        assert {c.status for c in drift} == {"warn", "fail"}            # scaled by hand, re-imaged by hand
        assert any("the release has 1, the cluster has 2" in c.evidence for c in drift)
        assert "PROD" in str(app.screen.query_one("#title-bar").content)  # inference-prod: production
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "record" and app.screen.shown, 30)
        out = app.state.run.outcome
        data = record(out.record_dir)
        assert data["status"] == "verify-failed" and data["action"] == "verify"
        assert data["release"] == "edited" and data["namespace"] == "inference-prod"
        assert {c["id"] for c in data["verification"]} >= {"epp-image", "drift-deployment-spec.replicas"}
        assert "read-only" in (out.record_dir / "record.md").read_text()
        assert str(out.record_dir) in text_of(app, "#record-where")
        # the dashboard keeps looking after the record: esc back to it, then to the releases
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "verify", 5)
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleasesScreen", 5)


async def test_upgrade_shows_the_values_and_manifest_diff_then_deploys(app_factory, sim):
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await act(pilot, app, "gaie", "u", "values")
        editor = app.screen.query_one("#editor")
        assert editor.text.startswith("# gaie-tui: chart=inferencepool@v1.5.0\n# the values of release gaie in llm-d")
        assert "tag: v0.8.0" in editor.text and "v: 2" in editor.text
        editor.load_text(editor.text.replace("v: 2", "v: 4"))
        await pilot.pause(0.2)
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "review"
                                and "MANIFEST DIFF" in text_of(app, "#diff"), 60), text_of(app, "#diff")
        diff = text_of(app, "#diff")
        assert diff.startswith("UPGRADE of release gaie in llm-d: revision 2 (inferencepool-v1.5.0, deployed)")
        assert "· inferenceExtension.flags.v: 2 → 4" in diff                          # the values diff
        assert "· changed: Deployment/gaie-epp" in diff                               # the manifest diff …
        assert "  -        - '2'" in diff and "  +        - '4'" in diff              # … line by line
        assert await wait_until(pilot, lambda: "Ready to approve" in text_of(app, "#approval"), 60), \
            text_of(app, "#approval")
        await pilot.press("a")
        assert await wait_until(pilot, lambda: screen_name(app) == "Confirm", 5)
        assert "Upgrade release gaie in namespace llm-d" in str(app.screen.query_one("#question").content)
        await pilot.press("y")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "deploy"
                                and app.screen.finished is not None, 90)
        assert app.state.run.outcome.revision == 3
    assert release_secrets(sc, "gaie", "llm-d")[-1] == (3, "deployed")
    args = epp_container(sc, "gaie", "llm-d")["args"]
    assert args[args.index("--v") + 1] == "4"
    assert (app.state.run.outcome.record_dir / "record.json").exists()


async def test_migrate_to_the_successor_shows_the_proof_and_a_loss_wants_the_name(app_factory, sim):
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await act(pilot, app, "gaie", "m", "MigrateTargets")
        assert app.screen.targets == ["llm-d-router-gateway@v0.10.0"]
        await pilot.press("enter")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "values"
                                and bool(app.screen.query("#editor")), 60)
        text = app.screen.query_one("#editor").text
        assert text.startswith("# gaie-tui: chart=llm-d-router-gateway@v0.10.0\n# Migrated from inferencepool v1.5.0")
        assert "router:\n  epp:" in text and app.state.migration is not None
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "review"
                                and "nothing lost" in text_of(app, "#migration"), 60), text_of(app, "#migration")
        proof = text_of(app, "#migration")
        assert proof.startswith("MIGRATION PROOF: inferencepool v1.5.0 → llm-d-router-gateway v0.10.0")
        assert "moved inferenceExtension → router.epp" in proof and "= equal: " in proof
        assert await wait_until(pilot, lambda: "Ready to approve (a)." == text_of(app, "#approval"), 60), \
            text_of(app, "#approval")
        # an edit that changes what the old values did is LOST: proven again, approval wants the name
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "values", 5)
        editor = app.screen.query_one("#editor")
        editor.load_text(editor.text.replace("v: 2", "v: 3"))
        await pilot.pause(0.2)
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "review"
                                and "LOST" in text_of(app, "#migration"), 60), text_of(app, "#migration")
        assert '✗ lost  EPP container flag --v: "2" → "3"' in text_of(app, "#migration")
        assert await wait_until(pilot, lambda: "THE MIGRATION LOSES 1 SETTING(S)" in text_of(app, "#approval"), 60)
        await pilot.press("a")
        assert await wait_until(pilot, lambda: screen_name(app) == "Confirm", 5)
        assert app.screen.typed == "gaie"
        assert "THE MIGRATION LOSES: EPP container flag --v" in str(app.screen.query_one("#question").content)
        await pilot.press("y")                        # a typed confirmation is never a key
        await pilot.pause(0.2)
        assert screen_name(app) == "Confirm"
        await pilot.press("escape")
        assert app.state.run.approved_by is None


async def test_rollback_to_revision_1_from_the_history(app_factory, sim):
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await act(pilot, app, "gaie", "h", "HistoryScreen")
        assert await wait_until(pilot, lambda: app.screen.history is not None, 30)
        await pilot.press("down", "enter")                     # revision 1
        await action_ready(pilot, app)
        plan = text_of(app, "#action-plan")
        assert "to revision 1: chart inferencepool-v1.4.0, EPP image ghcr.io/llm-d/llm-d-inference-scheduler:v0.7.1" \
            in plan
        assert "helm rollback gaie 1 --namespace llm-d --wait" in text_of(app, "#action-command")
        assert "inferenceExtension.image.tag: v0.8.0 → v0.7.1" in text_of(app, "#action-values")
        out = await approve_action(pilot, app)
        assert out.status == "rolled-back" and out.revision == 3
        assert "OUTCOME: rolled-back — rolled back and verified" in text_of(app, "#action-outcome")
        assert str(out.record_dir) in text_of(app, "#action-outcome")
        data = record(out.record_dir)
        assert data["status"] == "rolled-back" and data["plan"]["target"] == 1
        # v: the dashboard on the rolled-back release
        await pilot.press("v")
        assert await wait_until(pilot, lambda: getattr(app.screen, "STEP", "") == "verify" and app.screen.rows, 30)
        assert app.screen.rows["release"].status == "pass"
        await pilot.press("escape")
        await pilot.press("escape")                            # back to the releases, which look again
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleasesScreen", 5)
        assert await wait_until(pilot, lambda: app.screen.listing.find("gaie").chart_version == "v1.4.0", 20)
    assert release_secrets(sc, "gaie", "llm-d") == [(1, "superseded"), (2, "superseded"), (3, "deployed")]
    assert epp_container(sc, "gaie", "llm-d")["image"] == "ghcr.io/llm-d/llm-d-inference-scheduler:v0.7.1"


async def test_recover_the_pending_release(app_factory, sim):
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await act(pilot, app, "stuck", "s", "StuckScreen")
        assert await wait_until(pilot, lambda: app.screen.diagnosis is not None, 30)
        what = text_of(app, "#stuck-what")
        assert "WHAT HAPPENED: stuck in team-stuck is pending-upgrade (revision 2)" in what
        assert 'helm\'s own words in the release record: "Preparing upgrade"' in what
        assert [o.action for o in app.screen.options] == ["rollback", "uninstall"]
        await pilot.press("enter")                              # the recommended recovery
        await action_ready(pilot, app)
        assert "Recovery chosen: rollback to revision 1" in text_of(app, "#action-plan")
        out = await approve_action(pilot, app)
        assert out.status == "rolled-back"
        assert any("Why: Revision 2 has been pending-upgrade" in s for s in record(out.record_dir)["summary"])
        await pilot.press("escape")                             # past the diagnosis, to the releases
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleasesScreen", 5)
        assert await wait_until(pilot, lambda: app.screen.listing.find("stuck").status == "deployed", 20)
    assert release_secrets(sc, "stuck", "team-stuck")[-1] == (3, "deployed")


async def test_uninstall_lists_every_object_first_and_removes_them(app_factory, sim):
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await act(pilot, app, "router", "d", "ActionScreen")
        plan = text_of(app, "#action-plan")
        assert "Uninstall release router in team-router" in plan
        for obj in ("Deployment router-epp in team-router", "Service router-epp in team-router",
                    "InferencePool router in team-router"):
            assert obj in plan
        assert live(sc, "apps", "deployments", "team-router", "router-epp") is not None
        out = await approve_action(pilot, app)
        assert out.status == "uninstalled" and not out.remaining
        assert record(out.record_dir)["status"] == "uninstalled"
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: "team-router/router" not in shown(app), 20)
    assert release_secrets(sc, "router", "team-router") == []
    assert live(sc, "apps", "deployments", "team-router", "router-epp") is None


async def test_production_wants_the_release_name_typed(app_factory, sim):
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await act(pilot, app, "edited", "d", "ActionScreen")
        assert "PRODUCTION (the namespace name inference-prod looks like production)" in text_of(app, "#action-approval")
        await pilot.press("a")
        assert await wait_until(pilot, lambda: screen_name(app) == "Confirm", 5)
        await pilot.press("y")                                   # not enough on production
        await pilot.pause(0.2)
        assert screen_name(app) == "Confirm" and app.screen.typed == "edited"
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert screen_name(app) == "ActionScreen" and app.screen.runner is None   # nothing ran
        assert release_secrets(sc, "edited", "inference-prod") == [(1, "deployed")]
        out = await approve_action(pilot, app, typed="edited")
        assert out.status == "uninstalled"
        assert record(out.record_dir)["plan"]["production"]
    assert release_secrets(sc, "edited", "inference-prod") == []


async def test_a_verification_still_settling_gives_way_to_another_action(app_factory, sim):
    """Verify only reads: leaving its dashboard while it settles and starting an upgrade is not
    refused; the verification ends there, and its record says why."""
    session, _sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await releases_listed(pilot, app)
        await act(pilot, app, "stuck", "v", "verify")           # pending-upgrade: it keeps settling
        verification = app.state.run
        assert await wait_until(pilot, lambda: verification.running, 10)
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: screen_name(app) == "ReleasesScreen", 5)
        await act(pilot, app, "gaie", "u", "values")
        assert app.state.run is None or app.state.run is not verification
        assert await wait_until(pilot, lambda: verification.outcome.finished, 30)
        assert verification.outcome.status == "cancelled"
        assert "another action on a release was started" in record(verification.outcome.record_dir)["reason"]
