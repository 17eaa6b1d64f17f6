"""`gaie-tui validate FILE [--chart REF] [--deep] [--format text|json]`: check a values file
against the exact chart version. Exit 0 without errors, 1 with at least one, 2 when it cannot run."""
from __future__ import annotations

import json
import sys

from ..core.redact import redact
from ..core.textsafe import json_text, visible
from .common import add_chart_argument, chart_ref, knowledge_store, read_input, shown, use_color


def add_arguments(p) -> None:
    p.add_argument("file", metavar="FILE", help="values file to check (- for standard input)")
    add_chart_argument(p, "chart to check against (default: the file's `# gaie-tui: chart=` line, "
                          "else the newest inferencepool)")
    p.add_argument("--deep", action="store_true",
                   help="also render with helm and the real chart: render errors and settings with no effect")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def run(args) -> int:
    from ..core.check.checker import check_source
    from ..core.values import source as yamlsource
    from ..core.values.diagnostics import has_errors, sort_diagnostics, summary
    from ..core.values.generate import chart_from_header

    data = read_input(args.file)
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
    # Messages quote the values text and helm's errors: secrets are redacted in both formats;
    # JSON keeps every other character as data, the text output makes control characters visible.
    if args.format == "json":
        doc = {"file": label, "chart": {"name": chart.name, "version": chart.version},
               "diagnostics": [_redacted(d.to_json()) for d in diags]}
        sys.stdout.write(json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n")
    else:
        color = use_color(sys.stdout)
        out = []
        name = shown(label)
        for d in diags:
            sev = _paint(d.severity, d.severity, color)
            out.append(f"{name}:{d.line}:{d.column}: {sev}[{d.code}] {_line(d.message)}")
            if d.hint:
                out.append(f"    hint: {_line(d.hint)}")
        out.append(f"{name}: {shown(chart.name)} {shown(chart.version)}: {summary(diags)}")
        sys.stdout.write("\n".join(out) + "\n")
    return 1 if has_errors(diags) else 0


def _line(text: str) -> str:
    return visible(redact(text), one_line=True)


def _redacted(doc: dict) -> dict:
    return {k: redact(v) if isinstance(v, str) else v for k, v in doc.items()}


_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;36m"}


def _paint(text: str, severity: str, color: bool) -> str:
    return f"{_COLORS[severity]}{text}\x1b[0m" if color else text
