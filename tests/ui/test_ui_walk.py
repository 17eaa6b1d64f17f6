"""Issue 13, the wizard walked as a new user walks it, against the emulator with the real helm:
Verify's table and summary (every check name whole at 120 columns; passes, skips and warnings
counted as such; the title bar keeps the context and [SIMULATED]), the Record screen's note about
the demo's temporary folder only when it is temporary, no draft offered after a deploy, the
wording on every screen, and the Deploy screen showing a crash loop while helm still waits."""
from __future__ import annotations

import re

import pytest
from uihelp import approve, deployed, screen_text, text_of, to_values, wait_until

from gaie_tui.core.session import Session

pytestmark = pytest.mark.xdist_group("ui-walk")

# wording that must appear on no screen (issue 13 #9)
BAD_WORDING = [
    (re.compile(r"\ba Inference"), "an article before a vowel"),
    (re.compile(r"\{'[^']*': '"), "a selector printed as a Python dict"),
    (re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception): "), "a class name in a message"),
    (re.compile(r"question_mark|\bcolon\b"), "a key name instead of the key"),
    (re.compile(r"\b1 (errors|warnings|notes|infos|checks)\b"), "a plural after 1"),
    (re.compile(r"\(agreed\)"), "an agreement nobody gave"),
    # (the generated values file's own header comment says how to check it from a shell: file content)
    (re.compile(r"(?<!Check it with: )gaie-tui (validate|deploy|preflight) |agree to --"),
     "command-line advice inside the wizard"),
]


def bad_wording(text: str) -> list[str]:
    return [f"{why}: {line.strip()}" for line in text.splitlines() for rx, why in BAD_WORDING if rx.search(line)]


async def test_a_demo_walk_says_things_right_from_setup_to_record(app_factory, sim):
    session, _sc = sim
    session.record_dir_is_temporary = True           # as `gaie-tui demo` without --record-dir
    app = app_factory(session, simulated_banner="SIMULATED CLUSTER — demo")
    seen: list[str] = []
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await to_values(pilot, app)
        seen.append(screen_text(app))
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "review" and
                                "Ready to approve" in text_of(app, "#approval"), 60), text_of(app, "#approval")
        seen.append(screen_text(app))
        app.screen.query_one("#review-body").scroll_end(animate=False)
        await pilot.pause(0.2)
        seen.append(screen_text(app))
        await deployed(pilot, app, from_review=True)
        seen.append(screen_text(app))
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "verify" and app.screen.settled, 60)
        await pilot.pause(0.3)
        shown = screen_text(app)
        seen.append(shown)
        scr = app.screen
        # every check's name whole at 120 columns
        for check in scr.rows.values():
            assert check.title in shown, check.title
        # the summary counts what the rows show, by their names
        status = text_of(app, "#status")
        statuses = [c.status for c in scr.rows.values()]
        passes, skips = statuses.count("pass"), statuses.count("skip")
        assert f"✓ {passes} pass" in status
        assert (f"- {skips} skipped" in status) if skips else ("skipped" not in status)
        assert f"{len(statuses)}/{len(statuses)}" not in status
        # the title bar keeps the context and says the cluster is simulated
        title = text_of(app, "#title-bar")
        assert "gaie-sim / llm-d / gaie-inference" in title and "[SIMULATED]" in title
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "record" and app.screen.shown, 30)
        seen.append(screen_text(app))
        assert "removed when the demo exits" in text_of(app, "#record-where")
        session.record_dir_is_temporary = False      # --record-dir: the folder survives, no such note
        app.screen._show()
        assert "removed when the demo exits" not in text_of(app, "#record-where")
        seen += [str(n.message) for n in app._notifications]
        # a context that does not exist: said without the error's class name
        app.run_command(":setup")
        await pilot.pause(0.3)
        app.run_command(":ctx nosuch")
        await pilot.pause(1.0)
        seen.append(screen_text(app))
        seen += [str(n.message) for n in app._notifications]
    assert not [w for text in seen for w in bad_wording(text)], [w for text in seen for w in bad_wording(text)]
    # deployed, recorded: the next start offers nothing to resume
    from gaie_tui.core.draft import load_draft
    assert load_draft() is None
    app2 = app_factory(Session(offline=True), resume=None)
    async with app2.run_test(size=(100, 30), notifications=False) as pilot:
        await pilot.pause(1.0)
        assert getattr(app2.screen, "STEP", "") == "setup"


def test_the_wording_check_catches_what_it_looks_for():
    assert bad_wording("the chart renders a InferencePool") and bad_wording("selector {'app': 'x'}")
    assert bad_wording("ClusterError: context 'nosuch'") and bad_wording("keys f1,question_mark")
    assert bad_wording("✗ 1 errors") and bad_wording("created (agreed)")
    assert not bad_wording("✗ 1 error  ⚠ 2 warnings · an InferencePool · app=vllm · F1, ?")


@pytest.mark.parametrize("sim", ["epp-crashloop"], indirect=True)
async def test_a_crash_loop_is_on_the_deploy_screen_while_helm_still_waits(app_factory, sim):
    session, _sc = sim
    session.wait_timeout = "90s"            # helm would wait this long: the evidence must come before
    app = app_factory(session)
    async with app.run_test(size=(100, 30), notifications=False) as pilot:
        await approve(pilot, app)
        run = app.state.run
        seen = lambda: "CrashLoopBackOff" in text_of(app, "#observed")    # noqa: E731
        assert await wait_until(pilot, lambda: seen() and "│" in text_of(app, "#observed"), 60), \
            text_of(app, "#observed")
        assert run.helm_running and app.screen.finished is None         # helm has not returned
        observed = text_of(app, "#observed")
        assert "plugins" in observed.split("│", 1)[1]                  # the EPP's own log line
        assert "CrashLoopBackOff" in screen_text(app)                  # on the screen, not only in the widget
        await pilot.press("x")
        assert await wait_until(pilot, lambda: type(app.screen).__name__ == "Confirm", 5)
        await pilot.press("y")
        assert await wait_until(pilot, lambda: app.screen.finished is not None, 60)


__all__ = ["deployed"]
