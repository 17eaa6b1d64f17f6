"""What the wizard knows across screens. The deploy itself — plan, checks, helm, record — lives in
the core engine (`run`), which every screen after Review presents."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..core.values.answers import Answers


@dataclass
class WizardState:
    answers: Answers = field(default_factory=Answers)
    chart_ref: str | None = None            # "inferencepool@v1.5.0" etc.; None = default
    context: str | None = None
    offline: bool = False                   # no cluster: values and review only
    probe: str = "pending"                  # the cluster probe: pending, connected, failed
    values_text: str | None = None          # the editor's text once generated or loaded
    values_file: str | None = None          # the file opened or last written (ctrl+s writes there)
    values_file_text: str | None = None     # what that file held then: never replaced unasked
    generated_text: str | None = None       # what Setup generated last (unedited = may regenerate)
    diagnostics: list = field(default_factory=list)        # core Diagnostics, layers 1-3
    deep_diagnostics: list = field(default_factory=list)   # layer 4 (helm template)
    said_offline: bool = False
    known_namespaces: list | None = None    # from the cluster; None offline
    run: object | None = None               # the core DeployEngine of the approved (or reviewed) plan
    migration: object | None = None

    @property
    def errors(self) -> int:
        return sum(1 for d in [*self.diagnostics, *self.deep_diagnostics] if d.severity == "error")


def save_draft(state: WizardState) -> None:
    """The editor's text (redacted), its chart, answers and file, and the running deploy's record."""
    if state.values_text is None:
        return
    from ..core.draft import discard_draft
    from ..core.draft import save_draft as save
    run = state.run
    deployed = run is not None and run.approved_by and run.outcome.finished and \
        state.values_text == run.plan.values_text
    if deployed or state.values_text == state.values_file_text:
        discard_draft()     # nothing to resume: exactly what was deployed, or the file as opened
        return
    deploy = None
    if run is not None and getattr(run, "record", None) is not None and not run.outcome.finished:
        deploy = {"record": str(run.record.path), "release": run.plan.release, "namespace": run.plan.namespace}
    save(state.values_text, chart_ref=state.chart_ref, values_file=state.values_file,
         answers=asdict(state.answers), deploy=deploy)


def answers_from(data: dict) -> Answers:
    known = {k: v for k, v in (data or {}).items() if k in Answers.__dataclass_fields__}
    return Answers(**known)
