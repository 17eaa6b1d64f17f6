"""What the wizard knows across screens, and the draft saved continuously to the state folder."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..core.values.answers import Answers


@dataclass
class WizardState:
    answers: Answers = field(default_factory=Answers)
    chart_ref: str | None = None            # "inferencepool@v1.5.0" etc.; None = default
    context: str | None = None
    offline: bool = False
    values_text: str | None = None          # the editor's text once generated or loaded
    values_file: str | None = None          # where --values came from (ctrl+s writes back)
    generated_text: str | None = None       # what Setup generated last (unedited = may regenerate)
    diagnostics: list = field(default_factory=list)
    deep_diagnostics: list = field(default_factory=list)
    plan: object | None = None
    deploy_result: object | None = None
    checks: list = field(default_factory=list)
    record_path: Path | None = None
    steps: list[tuple[str, str]] = field(default_factory=list)
    deploy_running: bool = False
    said_offline: bool = False
    known_namespaces: list | None = None    # from the cluster; None offline
    observed: list = field(default_factory=list)   # checks seen while helm waited

    def step(self, text: str) -> None:
        self.steps.append((time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), text))

    @property
    def errors(self) -> int:
        return sum(1 for d in [*self.diagnostics, *self.deep_diagnostics] if d.severity == "error")


def draft_path() -> Path:
    from ..core.paths import state_dir
    return state_dir() / "draft.json"


def save_draft(state: WizardState) -> None:
    """Atomic write: a crash mid-write never leaves half a draft."""
    if state.values_text is None:
        return
    from ..core.safeio import write_text
    path = draft_path()
    data = {"saved": time.time(), "chart_ref": state.chart_ref, "values_file": state.values_file,
            "answers": asdict(state.answers), "values": state.values_text}
    import json
    write_text(path, json.dumps(data), private=True)


def load_draft() -> dict | None:
    try:
        text = draft_path().read_text(encoding="utf-8")
    except OSError:           # the usual start: no draft, and no json import for it
        return None
    import json
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("values"), str) else None


def discard_draft() -> None:
    try:
        draft_path().unlink()
    except OSError:
        pass


def answers_from(data: dict) -> Answers:
    known = {k: v for k, v in (data or {}).items() if k in Answers.__dataclass_fields__}
    return Answers(**known)
