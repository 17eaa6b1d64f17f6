"""`gaie-tui validate FILE [--chart REF] [--deep] [--format text|json]`: check a values file
against the exact chart version. Exit 0 without errors, 1 with at least one, 2 when it cannot run."""
from __future__ import annotations

import json
import sys

from ..core.errors import UserError
from .common import add_chart_argument, chart_ref, knowledge_store, use_color


def add_arguments(p) -> None:
    p.add_argument("file", metavar="FILE", help="values file to check (- for standard input)")
    add_chart_argument(p, "chart to check against (default: the file's `# gaie-tui: chart=` line, "
                          "else the newest inferencepool)")
    p.add_argument("--deep", action="store_true",
                   help="also render with helm and the real chart: render errors and settings with no effect")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _read(path: str) -> bytes:
    if path == "-":
        from ..core.values.source import MAX_BYTES
        return sys.stdin.buffer.read(MAX_BYTES + 1)
    try:
        with open(path, "rb") as fh:
            from ..core.values.source import MAX_BYTES
            return fh.read(MAX_BYTES + 1)
    except FileNotFoundError as exc:
        raise UserError(f"{path} does not exist", "check the file name") from exc
    except IsADirectoryError as exc:
        raise UserError(f"{path} is a folder", "give a values file") from exc
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}", "check the path and permissions") from exc


def run(args) -> int:
    from ..core.check.checker import check_source
    from ..core.values import source as yamlsource
    from ..core.values.diagnostics import has_errors, sort_diagnostics, summary
    from ..core.values.generate import chart_from_header

    data = _read(args.file)
    label = "<stdin>" if args.file == "-" else args.file
    text, problem = yamlsource.decode(data)
    header_ref = chart_from_header(text) if text is not None else None
    chart = knowledge_store().get(chart_ref(args.chart, header_ref))
    if problem is not None:
        diags = [problem]
    else:
        src = yamlsource.parse(text)
        diags = check_source(src, chart)
        if args.deep and src.ok:
            from ..core.check.deep import deep_check_source
            diags = sort_diagnostics(diags + deep_check_source(src, chart, known=diags))
    if args.format == "json":
        doc = {"file": label, "chart": {"name": chart.name, "version": chart.version},
               "diagnostics": [d.to_json() for d in diags]}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    else:
        color = use_color(sys.stdout)
        out = []
        for d in diags:
            sev = _paint(d.severity, d.severity, color)
            out.append(f"{label}:{d.line}:{d.column}: {sev}[{d.code}] {d.message}")
            if d.hint:
                out.append(f"    hint: {d.hint}")
        out.append(f"{label}: {chart.name} {chart.version}: {summary(diags)}")
        sys.stdout.write("\n".join(out) + "\n")
    return 1 if has_errors(diags) else 0


_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;36m"}


def _paint(text: str, severity: str, color: bool) -> str:
    return f"{_COLORS[severity]}{text}\x1b[0m" if color else text
