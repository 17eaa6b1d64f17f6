"""`gaie-tui versions`: newest endpoint-picker release and the chart versions, with their source."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from ..core.chartref import FAMILIES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chart-family", choices=list(FAMILIES), default=None,
                        help="show only this chart family's versions (default: all)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--offline", action="store_true",
                        help="use no network: the cache, then the knowledge bundled with gaie-tui")


def run(args: argparse.Namespace) -> int:
    from ..core.upstream.session import Upstream
    from ..core.upstream.versions_report import build_report

    families = [args.chart_family] if args.chart_family else None
    with Upstream.from_env(offline=args.offline) as session:
        report = build_report(session, families)
    if args.format == "json":
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        # Notes still reach a person watching a pipeline, without breaking the JSON.
        for line in _status_lines(report):
            print(f"gaie-tui: {line}", file=sys.stderr)
        return 0
    print(render_text(report))
    return 0


def _when(at: datetime) -> str:
    at = at.astimezone(timezone.utc)
    if at.hour == at.minute == at.second == 0:
        return f"{at:%Y-%m-%d}"
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _where(answer) -> str:
    if answer.source == "bundled":
        return f"bundled with gaie-tui (data of {_when(answer.fetched_at)})"
    if answer.source == "cache":
        return f"cache (fetched {_when(answer.fetched_at)})"
    return f"{answer.source} ({_when(answer.fetched_at)})"


def _status_lines(report) -> list[str]:
    lines: list[str] = []
    if report.offline:
        # Said once, whatever the number of lookups that could not use the network.
        answers = [report.endpoint_picker, *report.charts.values()]
        parts = []
        cached = [a.fetched_at for a in answers if a.source == "cache"]
        if cached:
            parts.append(f"the cache (fetched {_when(min(cached))})" if len(set(cached)) == 1 else
                         f"the cache (fetched {_when(min(cached))} to {_when(max(cached))})")
        if any(a.source == "bundled" for a in answers):
            parts.append(f"the knowledge bundled with gaie-tui (data of {report.bundled_date})")
        why = "--offline" if report.forced_offline else "no upstream could be reached"
        lines.append(f"offline ({why}): versions come from {' and '.join(parts)}.")
    lines.extend(report.notes)
    return lines


def render_text(report) -> str:
    epp = report.endpoint_picker
    out = [
        "Endpoint picker",
        f"  image           {report.image}",
        f"  newest release  {epp.newest or 'none found'}",
        f"  release tags    {', '.join(epp.versions) or '-'}",
        f"  source          {_where(epp)}",
        "",
        "Charts",
    ]
    width = max(len(n) for n in report.charts)
    for name, answer in report.charts.items():
        out.append(f"  {name:<{width}}  newest {answer.newest or '-'}  ({len(answer.versions)} releases)")
        out.append(f"  {'':<{width}}  versions {', '.join(answer.versions) or '-'}")
        out.append(f"  {'':<{width}}  source {_where(answer)}")
    status = _status_lines(report)
    if status:
        out.append("")
        out.extend(f"Note: {line}" for line in status)
    return "\n".join(out)
