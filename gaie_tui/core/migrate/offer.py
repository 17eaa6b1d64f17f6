"""Whether values were written for another chart version or family than the one they are about to
be checked and deployed with — and so which migration would fit. The wizard asks this when it
opens values files (`gaie-tui --values …`) and offers `migrate()` when there is an answer.

    offer = migration_offer(files, chart, load, header_ref="inferencepool@v1.4.0")
    offer.src, offer.dst            chart references: from what the files were written for, to `chart`
    offer.why                       one sentence for the user
    offer.findings                  what the checker says that migrating fixes (may be empty)

Two ways to know: the files' own `# gaie-tui: chart=` line names an earlier chart than the one in
use, or the checker's findings against the chart in use are the kind a migration fixes (image keys
of another version, the istio block or the flags in their old shape, the old top-level blocks of
llm-d-router-gateway) and an earlier released chart reads the same files without them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..charts.store import Chart
from ..errors import UserError

# findings that say "this is the layout of another chart version", which a migration rewrites
MIGRATION_FIXES = ("ignored-image-key", "istio-location", "flags-shape", "deprecated-top-level", "not-in-version",
                   "no-istio-support")


@dataclass
class Offer:
    src: str                 # the chart the values were written for ("inferencepool@v1.4.0")
    dst: str                 # the chart the wizard will deploy
    why: str
    findings: list = field(default_factory=list)   # Diagnostics against dst that the migration fixes


def _ref(chart: Chart) -> str:
    return f"{chart.family}@{chart.version}"


def _later(src: Chart, dst: Chart) -> bool:
    from . import check_direction
    if (src.family, src.version) == (dst.family, dst.version):
        return False
    try:
        check_direction(src, dst)
    except UserError:
        return False
    return True


def _findings(files: list[tuple[str, str]], chart: Chart) -> list:
    from ..check.checker import check_layers
    return [d for d in check_layers(files, chart) if d.code in MIGRATION_FIXES and d.severity != "info"]


def migration_offer(files: list[tuple[str, str]], chart: Chart, load: Callable[[str], Chart], *,
                    header_ref: str | None = None) -> Offer | None:
    """The migration to offer for these (name, text) layers before using them with `chart`, or None.
    `load` turns a chart reference into a Chart (the session's store); `header_ref` is what the
    files' `# gaie-tui: chart=` line says, when it says something else than `chart`."""
    from ..charts.refs import FAMILIES
    found = _findings(files, chart)
    if header_ref:
        try:
            src = load(header_ref)
        except UserError:
            src = None
        if src is not None and _later(src, chart):
            return Offer(_ref(src), _ref(chart), f"{files[0][0]} says it was written for {src.name} {src.version}; "
                         f"the wizard checks and deploys {chart.name} {chart.version}", found)
    if not found:
        return None
    # which earlier chart reads these files without such findings: the newest one that does (and
    # the versions before it with the same layout, to say the span)
    for fam in ("llm-d-router-gateway", "inferencepool"):
        span: list[Chart] = []
        for version in reversed(FAMILIES[fam].released):
            try:
                src = load(f"{fam}@{version}")
            except UserError:
                continue
            if not _later(src, chart):
                continue
            if _findings(files, src):
                if span:
                    break
                continue
            span.append(src)
        if span:
            newest, oldest = span[0], span[-1]
            versions = newest.version if newest is oldest else f"{oldest.version}–{newest.version}"
            codes = ", ".join(sorted({d.code for d in found}))
            return Offer(_ref(newest), _ref(chart), f"these values are laid out for {newest.name} {versions} "
                         f"({len(found)} finding(s) against {chart.name} {chart.version} that a migration fixes: "
                         f"{codes})", found)
    return None
