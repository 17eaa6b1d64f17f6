"""The result of one preflight or verification check, as plain data the UI renders and the CLI prints."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"
STATUSES = (PASS, WARN, FAIL, SKIP)
_RANK = {PASS: 0, SKIP: 0, WARN: 1, FAIL: 2}


@dataclass
class Check:
    """`evidence` says what was seen; `looked_at` what was queried; `remedy` what to do about a
    warn/fail; `details` extra lines (matching pods, log lines); `actions` ids of actions the UI
    can offer (e.g. "rollback"). `wizard_remedy` is the same advice in the wizard's own terms
    (screens and keys), for a `remedy` that names a command line: the wizard never tells its
    user to run a gaie-tui command or to pass a flag (`remedy_for`)."""

    id: str
    title: str
    status: str
    evidence: str = ""
    remedy: str = ""
    looked_at: str = ""
    details: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    wizard_remedy: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown check status {self.status!r}")

    @property
    def ok(self) -> bool:
        return self.status in (PASS, SKIP, WARN)

    def remedy_for(self, *, wizard: bool = False) -> str:
        """What to do, in the words of the front end that shows it."""
        return (self.wizard_remedy or self.remedy) if wizard else self.remedy

    def to_dict(self) -> dict:
        d = asdict(self)
        if not d["wizard_remedy"]:      # most checks have one remedy: records and JSON stay as they were
            del d["wizard_remedy"]
        return d

    @classmethod
    def from_dict(cls, data: dict) -> Check:
        return cls(**data)


def worst(checks: list[Check]) -> str:
    """pass, warn or fail: the worst status among the checks (skips count as pass)."""
    rank = max((_RANK[c.status] for c in checks), default=0)
    return {0: PASS, 1: WARN, 2: FAIL}[rank]


def failed(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == FAIL]


def table(checks: list[Check], *, color: bool = False) -> str:
    """A plain-text table: status, title, evidence; remedy and details indented underneath.

    Evidence and details quote the cluster (annotations, images, log lines) and helm: every cell
    is redacted and shown with its control characters made visible, on one line, so an
    annotation holding an escape sequence cannot clear the screen, set the clipboard or plant a
    link, and a newline cannot forge a row. The only escapes in the output are our own colours."""
    marks = {PASS: "ok  ", WARN: "warn", FAIL: "FAIL", SKIP: "skip"}
    colors = {PASS: "\033[32m", WARN: "\033[33m", FAIL: "\033[31m", SKIP: "\033[2m"}
    lines = []
    for c in checks:
        mark = marks[c.status]
        if color:
            mark = f"{colors[c.status]}{mark}\033[0m"
        title, evidence = cell(c.title), cell(c.evidence)
        lines.append(f"[{mark}] {title}: {evidence}" if evidence else f"[{mark}] {title}")
        if c.status in (WARN, FAIL) and c.remedy:
            lines.append(f"        → {cell(c.remedy)}")
        for d in c.details[:12]:
            lines.append(f"        | {cell(d)}")
        if len(c.details) > 12:
            lines.append(f"        | … {len(c.details) - 12} more")
    return "\n".join(lines)


def cell(text: object) -> str:
    """Outside text for one line of terminal output: redacted, control characters visible."""
    from ..redact import redact
    from ..textsafe import visible
    s = text if isinstance(text, str) else str(text)
    # tabs (zap's console log format) read better as spaces than as `\t`; they are harmless either way
    return visible(redact(s.replace("\t", "  ")), one_line=True)
