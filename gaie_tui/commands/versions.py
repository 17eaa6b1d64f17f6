"""`gaie-tui versions`: newest endpoint-picker release and the chart versions, with their source."""
from __future__ import annotations

import argparse
import json
import sys

from ..core.charts.refs import FAMILIES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chart-family", choices=list(FAMILIES), default=None,
                        help="show only this chart family's versions (default: all)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--offline", action="store_true",
                        help="use no network: the cache, then the knowledge bundled with gaie-tui")


def run(args: argparse.Namespace) -> int:
    # Imported here: `gaie-tui --help` must not pay for the upstream modules.
    from ..core.upstream.session import Upstream
    from ..core.upstream.versions_report import build_report

    families = [args.chart_family] if args.chart_family else None
    with Upstream.from_env(offline=args.offline) as session:
        report = build_report(session, families)
    if args.format == "json":
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        # Notes still reach a person watching a pipeline, without breaking the JSON on stdout.
        from ..core.textsafe import visible
        for line in report.status_lines():
            print(f"gaie-tui: {visible(line, one_line=True)}", file=sys.stderr)
        return 0
    from ..core.textsafe import visible
    print(visible(render_text(report)))  # tags and notes come from registries and GitHub
    return 0


def render_text(report) -> str:
    epp = report.endpoint_picker
    out = [
        "Endpoint picker",
        f"  image           {report.image}",
        f"  newest release  {epp.newest or 'none found'}",
        f"  release tags    {', '.join(epp.versions) or '-'}",
        f"  source          {epp.describe_source()}",
        "",
        "Charts",
    ]
    width = max(len(n) for n in report.charts)
    for name, answer in report.charts.items():
        pad = " " * width
        out.append(f"  {name:<{width}}  newest {answer.newest or '-'}  ({len(answer.versions)} releases)")
        out.append(f"  {pad}  versions {', '.join(answer.versions) or '-'}")
        out.append(f"  {pad}  source {answer.describe_source()}")
    if status := report.status_lines():
        out.append("")
        out.extend(f"Note: {line}" for line in status)
    return "\n".join(out)
