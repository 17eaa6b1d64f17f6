"""Records of release actions (rollback, uninstall) read as what they are: their own title and words
for every status core.deploy.actions gives a run — never "Deployment record" or "rolled-back — rolled-back"."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from gaie_tui.core.deploy import actions, record


def action_statuses() -> set[str]:
    """Every status an ActionRun can end with, read from the module's source: the literals handed
    to `_finish(…)`, and the reasons `cancel()` accepts (`_finish(self._reason)`)."""
    src = Path(actions.__file__).read_text()
    statuses = set()
    for call in re.findall(r"self\._finish\(([^()]*(?:\([^()]*\)[^()]*)*)\)", src):
        statuses |= set(re.findall(r'"([a-z][a-z-]*)"', call))
    cancel = re.search(r"def cancel\(self, reason[^\n]*\n(.*?)\n    def ", src, re.S)
    assert cancel, "ActionRun.cancel() not found"
    statuses |= set(re.findall(r'"([a-z][a-z-]*)"', cancel.group(1)))
    return statuses | {"in-progress"}


def test_the_statuses_are_found_where_actions_sets_them():
    found = action_statuses()
    # the ones this test was written against; more may come, and then they need words too
    assert {"rolled-back", "rollback-verify-failed", "uninstalled", "uninstall-incomplete", "failed", "refused",
            "cancelled", "interrupted", "error"} <= found


@pytest.mark.parametrize("action", ["rollback", "uninstall"])
def test_every_action_status_has_words_and_the_title_names_the_action(action):
    for status in sorted(action_statuses()):
        words = record.status_words(status, action)
        assert words and words != status and "{" not in words, (action, status, words)
        md = record.markdown({"action": action, "status": status, "release": "gaie", "namespace": "llm-d",
                              "status_words": actions.STATUS_WORDS.get(status)}, ["values.yaml"])
        title, _, outcome = md.splitlines()[:3]
        assert title == f"# {action.capitalize()} record: gaie in llm-d"
        assert outcome == f"**Outcome: {status}** — {words}"
        assert "Deployment record" not in md and "## Preflight" not in md
        assert "## Release after helm" not in md and "## Release afterwards" in md
    assert record.status_words("failed", action) == f"helm {action} failed"


def test_a_rollback_record_reads_as_a_rollback():
    md = record.markdown({"action": "rollback", "status": "rolled-back", "release": "gaie", "namespace": "llm-d",
                          "revision": 3, "release_status": "deployed", "helm": {"returncode": 0, "duration": 1.0}},
                         ["values.yaml"])
    assert "**Outcome: rolled-back** — rolled back and verified" in md
    assert "- `values.yaml`: the values the rollback restored" in md
    assert "## Release afterwards\n\ndeployed, revision 3\n" in md
    assert "Files: `values.yaml` (the values the rollback restored, secrets redacted)" in md
    gone = record.markdown({"action": "uninstall", "status": "uninstall-incomplete", "release": "gaie",
                            "namespace": "llm-d", "remaining": ["Deployment llm-d/gaie-epp"], "release_status": "",
                            "helm": {"returncode": 0, "duration": 1.0}}, [])
    assert "## Objects still there\n\n- Deployment llm-d/gaie-epp\n" in gone
    assert "## Release afterwards\n\nthe release no longer exists\n" in gone


def test_deploy_records_keep_their_title_and_words():
    md = record.markdown({"status": "verified", "release": "gaie", "namespace": "llm-d",
                          "values": [{"name": "v.yaml", "file": "values.yaml"}]})
    assert md.startswith("# Deployment record: gaie in llm-d\n\n**Outcome: verified** — deployed and verified")
    assert "## Preflight" in md and "## Release after helm" in md
    assert "- `values.yaml` from v.yaml" in md
