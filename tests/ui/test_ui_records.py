"""The wizard's record is the headless record, and no file gaie-tui writes — nor any screen — holds
a token typed into the editor."""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from uihelp import deployed, text_of, to_review, to_values, wait_until

pytestmark = pytest.mark.xdist_group("ui-records")


def _normal(text: str, *paths: Path) -> str:
    """Without what differs between two runs of the same plan: record folders, durations."""
    for p in paths:
        text = text.replace(str(p), "RECORD")
    return re.sub(r"\d+\.\d+s\b", "Ns", text)


async def test_the_wizards_record_is_the_headless_record_field_by_field(app_factory, sim, tmp_path, capsys):
    from gaie_tui.cli import main
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(120, 40), notifications=False) as pilot:
        await deployed(pilot, app)
        await pilot.press("ctrl+n")
        assert await wait_until(pilot, lambda: app.screen.STEP == "verify" and app.screen.settled, 60)
        wizard = app.state.run.outcome.record_dir
    values = tmp_path / "deployed-values.yaml"
    values.write_text((wizard / "values.yaml").read_text())
    sc.server.reset("llm-d-ready")           # the same cluster, as it was before the wizard's deploy
    rc = main(["deploy", "-f", str(values), "--release", "gaie-inference", "--namespace", "llm-d", "--yes",
               "--record-dir", str(tmp_path / "headless"), "--timeout", session.wait_timeout,
               "--kubeconfig", str(sc.kubeconfig), "--context", sc.context, "--format", "json"])
    assert rc == 0, capsys.readouterr()
    (headless,) = (tmp_path / "headless").iterdir()
    w = json.loads((wizard / "record.json").read_text())
    h = json.loads((headless / "record.json").read_text())
    assert set(w) == set(h), set(w) ^ set(h)
    for key in ("status", "exit_code", "reason", "release", "namespace", "revision", "chart", "explanation",
                "summary", "context", "server", "actions"):
        assert w[key] == h[key], key
    assert {k: v for k, v in w["release_state"].items() if k != "seen_at"} == \
        {k: v for k, v in h["release_state"].items() if k != "seen_at"}
    # the exact helm argv that ran, values read from each record's own folder
    assert _normal(" ".join(w["helm_command"]), wizard) == _normal(" ".join(h["helm_command"]), headless)
    assert w["helm_command"][w["helm_command"].index("-f") + 1] == str(wizard / "values.yaml")
    for wh, hh in ((w["helm"], h["helm"]),):
        assert _normal(" ".join(wh["argv"]), wizard) == _normal(" ".join(hh["argv"]), headless)
        assert {k: v for k, v in wh.items() if k not in ("duration", "argv")} == \
            {k: v for k, v in hh.items() if k not in ("duration", "argv")}
    # preflight and verification rows
    for section in ("preflight", "verification"):
        assert [(c["id"], c["title"], c["status"], c["evidence"]) for c in w[section]] == \
            [(c["id"], c["title"], c["status"], c["evidence"]) for c in h[section]], section
    # the steps: same phases, statuses and words, each with its own time, in order
    assert [(s["phase"], s["status"]) for s in w["steps"]] == [(s["phase"], s["status"]) for s in h["steps"]]
    for ws, hs in zip(w["steps"], h["steps"], strict=True):
        if ws["phase"] in ("plan", "approve"):   # where the values came from, who approved: said as such
            continue
        assert _normal(ws["message"], wizard) == _normal(hs["message"], headless), (ws, hs)
    for steps in (w["steps"], h["steps"]):
        times = [datetime.fromisoformat(s["time"].replace("Z", "+00:00")) for s in steps]
        assert times == sorted(times)
    assert w["approved_by"] == "in the wizard" and h["approved_by"] == "--yes"
    # the same files, the same sections
    assert sorted(p.name for p in wizard.iterdir()) == sorted(p.name for p in headless.iterdir())
    heads = [[line for line in (d / "record.md").read_text().splitlines() if line.startswith("#")]
             for d in (wizard, headless)]
    assert heads[0] == heads[1]
    assert (wizard / "values.yaml").read_text() == (headless / "values.yaml").read_text()


TOKEN = "hf_" + "Zq8" * 11                         # 36 characters, shaped like a Hugging Face token


def _screen_text(app) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


def _leaks(text: str) -> bool:
    return TOKEN in text or TOKEN[3:] in text or TOKEN[-12:] in text


async def test_a_typed_token_is_in_no_file_and_on_no_screen(app_factory, sim, monkeypatch):
    from gaie_tui.core.paths import state_dir
    session, _sc = sim
    app = app_factory(session)
    shown: list[str] = []
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await to_values(pilot, app)
        editor = app.screen.query_one("#editor")
        lines = editor.text.splitlines()
        row = next(i for i, line in enumerate(lines) if line.strip().startswith("replicas:"))
        # a token in a comment and one as the value of an env entry, typed key by key
        editor.move_cursor((row, len(lines[row])))
        await pilot.press(*f"  # mine: {TOKEN}")
        editor.move_cursor((0, 0))
        await pilot.press(*f"# {TOKEN}", "enter")
        editor.move_cursor((row + 1, len(editor.document.get_line(row + 1))))
        await pilot.pause(0.8)                       # the draft is saved
        assert TOKEN in editor.text                  # the document keeps what was typed …
        shown.append(_screen_text(app))               # … the screen does not show it
        editor.move_cursor((0, 5))
        await pilot.pause(0.2)
        shown.append(_screen_text(app))
        # an error whose message holds the token goes to the log redacted (the patch undone alone:
        # monkeypatch.undo() would also undo the isolated state folder of this test)
        with monkeypatch.context() as patch:
            patch.setattr(type(app.screen), "_check", lambda *a: (_ for _ in ()).throw(ValueError(f"bad {TOKEN}")))
            editor.move_cursor((editor.document.line_count - 1, 0))
            await pilot.press("space")
            await pilot.pause(0.3)
            shown.append(_screen_text(app))
        await pilot.press("backspace")
        await pilot.pause(0.7)
        await pilot.press("escape")                  # leave the editor
        await to_review_from_values(pilot, app)
        shown.append(_screen_text(app))
        review = app.screen
        review.query_one("#review-body").scroll_end(animate=False)
        await pilot.pause(0.2)
        shown.append(_screen_text(app))
        if "Ready to approve" in text_of(app, "#approval"):
            await deployed(pilot, app, from_review=True)   # a token in a comment does not stop a deploy (yet)
            shown.append(_screen_text(app))
            await pilot.press("ctrl+n")
            assert await wait_until(pilot, lambda: app.screen.STEP == "verify" and app.screen.settled, 60)
            shown.append(_screen_text(app))
            await pilot.press("ctrl+n")
            assert await wait_until(pilot, lambda: app.screen.STEP == "record" and app.screen.shown, 20)
            shown.append(_screen_text(app))
        else:
            assert "error(s) in the values" in text_of(app, "#approval")
        shown += [str(n.message) for n in app._notifications]
    assert not any(_leaks(s) for s in shown), [line for s in shown for line in s.splitlines() if _leaks(line)]
    folders = [state_dir(), session.record_dir]
    files = [p for f in folders if f.exists() for p in f.rglob("*") if p.is_file()]
    assert any(p.name == "gaie-tui.log" for p in files) and any(p.name == "draft.json" for p in files) or \
        any(p.name == "record.json" for p in files)
    for p in files:
        assert not _leaks(p.read_text(errors="replace")), p
        assert oct(p.stat().st_mode & 0o777) == "0o600", p
    for f in folders:
        for d in [f, *[p for p in f.rglob("*") if p.is_dir()]]:
            if d.exists():
                assert oct(d.stat().st_mode & 0o777) == "0o700", d


async def to_review_from_values(pilot, app) -> None:
    await pilot.press("ctrl+n")
    assert await wait_until(pilot, lambda: app.screen.STEP == "review", 10)
    assert await wait_until(pilot, lambda: "Ready to approve" in text_of(app, "#approval")
                            or "blocked" in text_of(app, "#approval"), 60)


__all__ = ["to_review"]
