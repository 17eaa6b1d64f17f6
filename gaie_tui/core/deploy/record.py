"""The record of a run: `<parent>/<release>-<UTC timestamp>/` with values.yaml (what was deployed;
with several layers values-1.yaml, values-2.yaml … in helm's order plus values-merged.yaml, what the
chart receives from them), record.md (for people), record.json (for programs) and helm.log. Secrets
are redacted. The folder is 0700 and every file 0600.

The engine writes it, for `gaie-tui deploy` and the wizard alike: created at approval, rewritten
after every phase, helm.log appended line by line — so a deploy that is cancelled, quit, killed or
crashes still leaves a record that says how far it got and why it stopped. Release actions
(`core.deploy.actions`: rollback, uninstall) write the same kind of record, titled and worded for
the action (its data carries `action`).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..cluster.checks import Check, worst
from ..errors import UserError
from ..redact import redact
from ..safeio import ensure_private_dir, open_append, write_text

DEFAULT_PARENT = "gaie-records"
STATUS_WORDS = {
    "in-progress": "NOT FINISHED — the process was killed or crashed before it could finish this record; "
                   "the steps below are how far it got",
    "verified": "deployed and verified",
    "preflight-failed": "stopped at preflight: nothing was changed in the cluster",
    "refused": "not approved: nothing was changed in the cluster",
    "deploy-failed": "helm failed",
    "verify-failed": "deployed, but verification failed",
    "cancelled": "CANCELLED by the user while running",
    "interrupted": "NOT FINISHED — INTERRUPTED while running",
    "quit": "NOT FINISHED — the wizard was quit while running",
    "crashed": "NOT FINISHED — gaie-tui stopped on an unexpected error",
    "error": "stopped by an error",
}
# A release action's record (data["action"]): its own title, and words for every status
# core.deploy.actions gives a run (tests/engine/test_engine_record_words.py reads them from its source).
ACTION_TITLES = {"rollback": "Rollback record", "uninstall": "Uninstall record", "verify": "Verification record"}
ACTION_STATUS_WORDS = {
    "rolled-back": "rolled back and verified",
    "rollback-verify-failed": "rolled back, but verification failed",
    "verified": "every check passed; nothing in the cluster was changed (a verification only reads)",
    "verify-failed": "a check failed; nothing in the cluster was changed (a verification only reads)",
    "uninstalled": "uninstalled: the release and its objects are gone",
    "uninstall-incomplete": "helm finished, but the release or some of its objects are still there",
    "failed": "helm {action} failed",
    "refused": "not approved: nothing was changed in the cluster",
    "cancelled": "CANCELLED by the user (the steps say whether helm had started)",
    "interrupted": "NOT FINISHED — INTERRUPTED by a signal (the steps say whether helm had started)",
    "error": "stopped by an error",
    "in-progress": "NOT FINISHED — the process was killed or crashed before it could finish this record; "
                   "the steps below are how far it got",
}


def status_words(status: str, action: str | None = None, fallback: str | None = None) -> str:
    """The outcome in words: a deploy's, or a release action's (`action`: rollback, uninstall)."""
    if action:
        words = ACTION_STATUS_WORDS.get(status)
        if words:
            return words.format(action=action)
    return STATUS_WORDS.get(status) or fallback or status


def utc_stamp(ts: float | None = None) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts if ts is not None else time.time()))


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1000):03d}Z"


@dataclass
class Step:
    ts: float
    phase: str
    message: str
    status: str = ""

    def to_dict(self) -> dict:
        return {"time": iso(self.ts), "phase": self.phase, "message": self.message, "status": self.status}


@dataclass
class Record:
    parent: Path
    release: str
    path: Path = field(init=False)
    steps: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.parent = Path(self.parent)
        base = f"{self.release}-{utc_stamp()}"
        try:
            ensure_private_dir(self.parent)
            for n in range(100):
                candidate = self.parent / (base if n == 0 else f"{base}-{n}")
                try:
                    candidate.mkdir(mode=0o700)
                    self.path = candidate
                    break
                except FileExistsError:
                    continue
            else:  # pragma: no cover
                raise UserError(f"cannot find a free record folder under {self.parent}", "clean it up")
        except OSError as exc:
            raise UserError(f"cannot create the record folder under {self.parent}: {exc.strerror}",
                            "choose a writable folder with --record-dir") from None
        self._log = open_append(self.path / "helm.log")
        self.values_files: list[str] = []   # in the order written

    def write_values(self, text: str, name: str = "values.yaml") -> Path:
        path = _atomic(self.path / name, redact(text))
        if name not in self.values_files:
            self.values_files.append(name)
        return path

    def log(self, stamp: str, stream: str, text: str) -> None:
        try:
            self._log.write(f"{stamp} {stream}: {redact(text)}\n")
            self._log.flush()
        except ValueError:  # closed
            pass

    def step(self, phase: str, message: str, status: str = "", ts: float | None = None) -> Step:
        """A timestamped step; `ts` keeps the time of a step taken before the record existed."""
        s = Step(time.time() if ts is None else ts, phase, redact(message), status)
        self.steps.append(s)
        return s

    def save(self, data: dict) -> None:
        data = {**data, "steps": [s.to_dict() for s in self.steps], "record_dir": str(self.path)}
        clean = _redact_tree(json.loads(json.dumps(data, default=str)))
        _atomic(self.path / "record.json", json.dumps(clean, indent=2) + "\n")
        _atomic(self.path / "record.md", redact(markdown(clean, self.values_files)))

    def close(self) -> None:
        try:
            self._log.close()
        except OSError:
            pass

    def reopen_log(self) -> None:
        """Append to helm.log again (an action on the release after the run was recorded)."""
        if self._log.closed:
            self._log = open_append(self.path / "helm.log")


def _redact_tree(node):
    """Redact every string in a JSON tree (redacting the serialised text could break the JSON)."""
    if isinstance(node, str):
        return redact(node)
    if isinstance(node, list):
        return [_redact_tree(n) for n in node]
    if isinstance(node, dict):
        return {k: _redact_tree(v) for k, v in node.items()}
    return node


def _atomic(path: Path, text: str) -> Path:
    return write_text(path, text, private=True)


def _table(rows: list[dict]) -> list[str]:
    if not rows:
        return ["(none)", ""]
    out = ["| status | check | evidence | what to do |", "|---|---|---|---|"]
    for r in rows:
        cells = [r.get("status", ""), r.get("title", ""), r.get("evidence", ""), r.get("remedy", "")]
        out.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    details = [(r["title"], r["details"]) for r in rows if r.get("details") and r.get("status") in ("fail", "warn")]
    out.append("")
    for title, lines in details:
        out += [f"{title}:", "", "```", *lines[:30], "```", ""]
    return out


def markdown(d: dict, values_files: list[str] | None = None) -> str:
    """record.md from the record's data; `values_files`: the values files in the folder."""
    chart = d.get("chart") or {}
    status = d.get("status", "in-progress")
    action = d.get("action") if d.get("action") in ACTION_TITLES else None
    words = status_words(status, action, d.get("status_words"))
    if d.get("reason"):
        words += f": {d['reason']}"
    title = ACTION_TITLES[action] if action else "Deployment record"
    lines = [f"# {title}: {d.get('release', '?')} in {d.get('namespace', '?')}", "",
             f"**Outcome: {status}** — {words}", ""]
    if d.get("explanation"):
        e = d["explanation"]
        lines += [f"**Why:** {e.get('message', '')}", "", f"**What to do:** {e.get('hint', '')}", ""]
    lines += [
        "| | |", "|---|---|",
        f"| Chart | {chart.get('name', '?')} {chart.get('version', '?')} ({chart.get('source', '')}) |",
        f"| Chart reference | `{chart.get('ref', '')}` |",
        f"| Release | {d.get('release', '')} |",
        f"| Namespace | {d.get('namespace', '')} |",
        f"| Revision | {d.get('revision') if d.get('revision') is not None else '—'} |",
        f"| Cluster context | {d.get('context', '')} ({d.get('server', '')}) |",
        f"| Approved | {d.get('approved_by') or '—'} |",
        f"| Started | {d.get('started', '')} |",
        f"| Ended | {d.get('ended') or '— (not finished)'} |", "",
        "## Helm command", "", "```", " ".join(d.get("helm_command") or []), "```", "",
    ]
    if d.get("summary"):
        lines += ["## Configuration in plain words", ""] + [f"- {s}" for s in d["summary"]] + [""]
    lines += ["## Values", ""] + _values_section(d, action, values_files or [])
    if action:
        lines += ["## Release afterwards", "", _action_release_line(d), ""]
    else:
        rel = d.get("release_state")
        lines += ["## Release after helm", "",
                  _release_line(rel, d.get("actions") or []) if rel else "(helm did not run)", ""]
    lines += ["## Steps", "", "| time (UTC) | phase | step | status |", "|---|---|---|---|"]
    lines += [f"| {s['time']} | {s['phase']} | {s['message'].replace('|', '/').replace(chr(10), ' ')} | {s['status']} |"
              for s in d.get("steps") or []]
    lines.append("")
    if not action:
        lines += ["## Preflight", ""] + _table(d.get("preflight") or [])
        # every record has the same sections, whatever happened: "(none)" says a phase found nothing
        lines += ["## What the verifier saw while helm was waiting", ""] + _table(d.get("observed_during_wait") or [])
    lines += ["## Verification", ""] + _table(d.get("verification") or [])
    if action == "uninstall":
        lines += ["## Objects still there", ""] + ([f"- {o}" for o in d.get("remaining") or []] or ["(none)"]) + [""]
    helm = d.get("helm") or {}
    lines += ["## Helm", ""]
    if helm:
        lines += [f"exit code {helm.get('returncode')}, {helm.get('duration', 0):.1f}s"
                  + (", cancelled" if helm.get("cancelled") else "") + (", timed out" if helm.get("timed_out") else "")
                  + " — full output in `helm.log`", ""]
    else:
        lines += ["(helm did not run)", ""]
    lines += [f"Files: {', '.join(_files(d, action, values_files or []))}, `record.json`, `helm.log`.", ""]
    return "\n".join(lines)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


ACTION_VALUES = {"rollback": "the values the rollback restored", "uninstall": "the values of the release uninstalled",
                 "verify": "the values of the release verified"}


def _values_section(d: dict, action: str | None, written: list[str]) -> list[str]:
    if action:
        return ([f"- `{f}`: {ACTION_VALUES[action]}" for f in written] or ["(none)"]) + [""]
    layers = d.get("values") or []
    merged = d.get("values_merged")
    if not layers:
        return ["(none)", ""]
    if not merged:
        return [f"- `{v.get('file', '')}` from {v.get('name', '')}" for v in layers] + [""]
    out = [f"helm read {len(layers)} files, one `-f` each in this order (later files win):", ""]
    out += [f"{i}. `{v.get('file', '')}` from {v.get('name', '')}" for i, v in enumerate(layers, 1)]
    out += ["", f"`{merged.get('file', '')}`: what the chart receives from them, merged as helm merges them "
            "(maps key by key, lists replaced whole, null deletes the chart's default).", ""]
    set_by = d.get("values_set_by") or []
    if set_by:
        out += ["Which file set each value:", "", "| value | set by |", "|---|---|"]
        out += [f"| `{_cell(r.get('path', ''))}` | {_cell(r.get('file', ''))}:{r.get('line', '')} |"
                for r in set_by[:400]]
        if len(set_by) > 400:
            out.append(f"| … {len(set_by) - 400} more | see record.json `values_set_by` |")
        out.append("")
    return out


def _files(d: dict, action: str | None, written: list[str]) -> list[str]:
    if action:
        return [f"`{f}` ({ACTION_VALUES[action]}, secrets redacted)" for f in written]
    layers = [v.get("file", "") for v in d.get("values") or []]
    merged = (d.get("values_merged") or {}).get("file")
    if merged:
        return [f"`{f}`" for f in layers] + [f"`{merged}` (the values deployed, one file per layer and merged; "
                                             "secrets redacted)"]
    return [f"`{f}` (the values deployed, secrets redacted)" for f in layers or ["values.yaml"]]


def _action_release_line(d: dict) -> str:
    status = d.get("release_status") or ""
    if not d.get("helm"):
        return "(helm did not run)"
    if not status:
        return "the release no longer exists"
    return status + (f", revision {d['revision']}" if d.get("revision") is not None else "")


def _release_line(rel: dict, actions: list[str]) -> str:
    status = rel.get("status", "?")
    if status == "absent":
        text = "the release does not exist"
    elif status == "unknown":
        text = f"UNKNOWN: {rel.get('error') or 'nobody could be asked'}"
    else:
        text = f"{status}" + (f", revision {rel['revision']}" if rel.get("revision") else "")
    return text + (f" — can be: {', '.join(actions)}" if actions else "")


def checks_dicts(checks: list[Check] | None) -> list[dict]:
    return [c.to_dict() for c in checks or []]


def overall(checks: list[Check]) -> str:
    return worst(checks)
