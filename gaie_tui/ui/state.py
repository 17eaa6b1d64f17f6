"""What the wizard knows across screens. The deploy itself — plan, checks, helm, record — lives in
the core engine (`run`), which every screen after Review presents.

The values are a list of layers, as helm's `-f a.yaml -f b.yaml` takes them (one layer in the
usual case): the editor shows one of them (`current`); `values_text`, `values_file` and
`values_file_text` are that layer's, so a screen that knows one file needs nothing else. Checks,
the plan and drafts take every layer, in order.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..core.values.answers import Answers

EDITOR = "the wizard's editor"


@dataclass
class Layer:
    """One values file of the set: its text in the wizard, the file it came from (None: written
    here) and what that file held when it was opened or last written (never replaced unasked)."""
    text: str
    file: str | None = None
    file_text: str | None = None

    @property
    def name(self) -> str:
        """How the plan, the record and the problems list name it."""
        if self.file and self.text == self.file_text:
            return self.file
        return EDITOR + (f" (edited from {self.file})" if self.file else "")

    @property
    def short(self) -> str:
        """The file's own name, for the layer bar and the problems list."""
        from pathlib import Path
        return Path(self.file).name if self.file else "editor"


@dataclass
class WizardState:
    answers: Answers = field(default_factory=Answers)
    chart_ref: str | None = None            # "inferencepool@v1.5.0" etc.; None = default
    context: str | None = None
    offline: bool = False                   # no cluster: values and review only
    probe: str = "pending"                  # the cluster probe: pending, connected, failed
    layers: list[Layer] = field(default_factory=list)   # the values, in helm's order (later wins)
    current: int = 0                        # the layer in the editor
    generated_text: str | None = None       # what Setup generated last (unedited = may regenerate)
    diagnostics: list = field(default_factory=list)        # core Diagnostics, layers 1-3
    deep_diagnostics: list = field(default_factory=list)   # layer 4 (helm template)
    said_offline: bool = False
    known_namespaces: list | None = None    # from the cluster; None offline
    run: object | None = None               # the core DeployEngine of the approved (or reviewed) plan
    migration: object | None = None         # core.migrate.Migration the user accepted (Review shows its proof)
    draft_owned: bool = False               # the draft on disk is this session's (saved or resumed here)

    # ---- the layer in the editor ------------------------------------------------------------------
    def _layer(self) -> Layer:
        if not self.layers:
            self.layers.append(Layer(""))
            self.current = 0
        self.current = max(0, min(self.current, len(self.layers) - 1))
        return self.layers[self.current]

    @property
    def values_text(self) -> str | None:
        """The editor's text once generated or loaded (None before)."""
        if not self.layers:
            return None
        return self._layer().text

    @values_text.setter
    def values_text(self, text: str | None) -> None:
        if text is None:
            self.layers, self.current = [], 0
        else:
            self._layer().text = text

    @property
    def values_file(self) -> str | None:
        """The file the editor's layer was opened from or last written to (ctrl+s writes there)."""
        return self._layer().file if self.layers else None

    @values_file.setter
    def values_file(self, path: str | None) -> None:
        self._layer().file = path

    @property
    def values_file_text(self) -> str | None:
        """What that file held then: never replaced unasked."""
        return self._layer().file_text if self.layers else None

    @values_file_text.setter
    def values_file_text(self, text: str | None) -> None:
        self._layer().file_text = text

    @property
    def layered(self) -> bool:
        return len(self.layers) > 1

    # ---- every layer ------------------------------------------------------------------------------
    def layer_texts(self) -> tuple[str, ...]:
        return tuple(layer.text for layer in self.layers)

    def named_texts(self) -> list[tuple[str, str]]:
        """(name, text) per layer for core's layered checker: names are unique and say the file."""
        names = _unique([layer.file or EDITOR for layer in self.layers])
        return list(zip(names, self.layer_texts(), strict=True))

    def plan_layers(self) -> list:
        """The layers as the plan takes them (core.deploy.plan.ValuesLayer), in helm's order."""
        from ..core.deploy.plan import ValuesLayer
        return [ValuesLayer(layer.name, layer.text) for layer in self.layers] or [ValuesLayer(EDITOR, "")]

    def check(self, chart) -> list:
        """The fast checker (layers 1–3) on every layer: one file as it is, several merged as helm
        merges them, each finding in the file and line that set the value."""
        from ..core.check.checker import check_layers, check_text
        if self.layered:
            return check_layers(self.named_texts(), chart)
        return check_text(self.values_text or "", chart)

    def merged(self):
        """core.values.layers.Layered over every layer (parsed under the values file limits)."""
        from ..core.values.layers import merge_layers
        return merge_layers(self.named_texts() or [(EDITOR, "")])

    def merged_values(self) -> dict:
        """The values helm's chart coalescing starts from ({} when a layer does not parse)."""
        values = self.merged().values
        return values if isinstance(values, dict) else {}

    def effective_text(self) -> str:
        """The values as one YAML text: the layer itself, or the merged layers."""
        if not self.layered:
            return self.values_text or ""
        import yaml
        return yaml.safe_dump(self.merged_values(), sort_keys=False)

    def changed_since_opened(self) -> bool:
        """Whether any layer differs from the file it came from (a layer made here always does)."""
        return any(layer.file_text is None or layer.text != layer.file_text for layer in self.layers)

    @property
    def errors(self) -> int:
        return sum(1 for d in [*self.diagnostics, *self.deep_diagnostics] if d.severity == "error")


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def deployed_now(state: WizardState) -> bool:
    """The editor holds exactly what the approved run took to helm (every layer): the run's record
    keeps it, so there is nothing to resume."""
    run = state.run
    if run is None or not run.approved_by or not run.outcome.finished:
        return False
    return [v.text for v in run.plan.values] == list(state.layer_texts())


def save_draft(state: WizardState) -> None:
    """Every layer's text (redacted), its file, the chart, the answers, and the running deploy's
    record. Nothing to resume — exactly what was deployed, or the files as opened — removes it."""
    if not state.layers:
        return
    from ..core.draft import save_draft as save
    run = state.run
    if deployed_now(state) or not state.changed_since_opened():
        discard_own_draft(state)
        return
    deploy = None
    if run is not None and getattr(run, "record", None) is not None and not run.outcome.finished:
        deploy = {"record": str(run.record.path), "release": run.plan.release, "namespace": run.plan.namespace}
    state.draft_owned = True
    save(state.values_text or "", chart_ref=state.chart_ref, values_file=state.values_file,
         answers=asdict(state.answers), deploy=deploy,
         layers=[{"file": layer.file, "text": layer.text} for layer in state.layers], current=state.current)


def discard_own_draft(state: WizardState) -> None:
    """Remove the draft when it is this session's: a draft of other files, not offered at this
    start, stays for the start that opens them (until this session saves its own)."""
    if state.draft_owned:
        from ..core.draft import discard_draft
        discard_draft()
        state.draft_owned = False


def answers_from(data: dict) -> Answers:
    known = {k: v for k, v in (data or {}).items() if k in Answers.__dataclass_fields__}
    return Answers(**known)


def layers_from(draft: dict) -> tuple[list[Layer], int]:
    """The layers a draft kept (a draft of one file, from before layers, is one layer)."""
    kept = draft.get("layers")
    if isinstance(kept, list) and kept and all(isinstance(x, dict) and isinstance(x.get("text"), str) for x in kept):
        layers = [Layer(x["text"], x.get("file") if isinstance(x.get("file"), str) else None) for x in kept]
        current = draft.get("current") if isinstance(draft.get("current"), int) else len(layers) - 1
        return layers, max(0, min(current, len(layers) - 1))
    return [Layer(draft["values"], draft.get("values_file"))], 0
