"""`gaie-tui validate FILE… | -f FILE -f FILE… [--chart REF] [--deep] [--format text|json]`: check
values files against the exact chart version. Several files are layered as `helm -f a -f b`
merges them (later files win); every diagnostic names the file and line that set the value.
Exit 0 without errors, 1 with at least one, 2 when it cannot run."""
from __future__ import annotations

import json
import os
import stat
import sys

from ..core.errors import UserError
from ..core.redact import redact
from ..core.textsafe import json_text, visible
from .common import add_chart_argument, chart_ref, knowledge_store, read_input, shown, use_color


def add_arguments(p) -> None:
    p.add_argument("file", metavar="FILE", nargs="*",
                   help="values file(s) to check (- for standard input); several are layered in order")
    p.add_argument("-f", "--values", metavar="FILE", action="append", default=[],
                   help="a values layer, as with helm: repeat it, later files win")
    add_chart_argument(p, "chart to check against (default: the first file's `# gaie-tui: chart=` line, "
                          "else the newest inferencepool)")
    p.add_argument("--deep", action="store_true",
                   help="also render with helm and the real chart: render errors and settings with no effect")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def read_values_file(path: str) -> tuple[bytes, int]:
    """The first MAX_BYTES + 1 bytes of a values file (a bounded read: `/dev/zero` costs 2 MB) and
    its real size (-1 when unknown: standard input, a pipe, a device)."""
    from ..core.values.source import MAX_BYTES
    data = read_input(path)
    size = -1
    if path != "-":
        try:
            st = os.stat(path)
            if stat.S_ISREG(st.st_mode):
                size = max(st.st_size, len(data))
        except OSError:
            pass
    elif len(data) <= MAX_BYTES:
        size = len(data)
    return data, size


def load_chart(store, ref):
    """The chart for a reference; a chart archive whose own YAML is broken is one line, not a
    traceback (until chart reading itself says so)."""
    import yaml
    try:
        return store.get(ref)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UserError(f"chart {ref}: its values.yaml or Chart.yaml is not valid YAML{where}",
                        "use an intact archive of the chart") from None


def files_of(args) -> list[str]:
    if args.file and args.values:
        raise UserError("give the values files either as arguments or with -f, not both",
                        "e.g. gaie-tui validate -f base.yaml -f overlay.yaml (the order decides which wins)")
    files = list(args.file or args.values)
    if not files:
        raise UserError("no values file given", "e.g. gaie-tui validate values.yaml, or -f base.yaml -f overlay.yaml")
    if files.count("-") > 1:
        raise UserError("standard input (-) can be only one of the layers", "give the other layers as files")
    return files


def run(args) -> int:
    from ..core.check.checker import check_layered
    from ..core.values import source as yamlsource
    from ..core.values.diagnostics import has_errors, sort_diagnostics, summary
    from ..core.values.generate import chart_from_header
    from ..core.values.layers import merge_sources

    files = files_of(args)
    labels = ["<stdin>" if f == "-" else f for f in files]
    sources, problems = [], []
    for path, label in zip(files, labels, strict=True):
        data, size = read_values_file(path)
        text, problem = yamlsource.decode(data, size if size >= 0 else None)
        if problem is not None:
            from dataclasses import replace
            problems.append(replace(problem, file=label))
            text = ""
        sources.append(yamlsource.parse(text, label))
    header_ref = next((r for r in (chart_from_header(s.text) for s in sources) if r), None)
    chart = load_chart(knowledge_store(), chart_ref(args.chart, header_ref))
    if problems:
        diags = sort_diagnostics(problems, files=labels)
    else:
        layered = merge_sources(sources)
        diags = check_layered(layered, chart, deep=args.deep)
        if args.deep and len(files) == 1 and files[0] != "-":
            diags = _suggest_layers(diags, files[0], labels[0])
    from dataclasses import replace
    diags = [d if d.file else replace(d, file=labels[-1]) for d in diags]
    # Messages quote the values text and helm's errors: secrets are redacted in both formats;
    # JSON keeps every other character as data, the text output makes control characters visible.
    if args.format == "json":
        doc = {"file": " + ".join(labels), "files": labels,
               "chart": {"name": chart.name, "version": chart.version},
               "diagnostics": [_redacted(d.to_json()) for d in diags]}
        sys.stdout.write(json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n")
    else:
        color = use_color(sys.stdout)
        out = []
        for d in diags:
            sev = _paint(d.severity, d.severity, color)
            out.append(f"{shown(d.file)}:{d.line}:{d.column}: {sev}[{d.code}] {_line(d.message)}")
            if d.hint:
                out.append(f"    hint: {_line(d.hint)}")
        names = " + ".join(shown(x) for x in labels)
        out.append(f"{names}: {shown(chart.name)} {shown(chart.version)}: {summary(diags)}")
        sys.stdout.write("\n".join(out) + "\n")
    return 1 if has_errors(diags) else 0


def _line(text: str) -> str:
    return visible(redact(text), one_line=True)


def _redacted(doc: dict) -> dict:
    return {k: redact(v) if isinstance(v, str) else v for k, v in doc.items()}


def _suggest_layers(diags, path: str, label: str):
    """A file that does not render alone: name the files it says it sits on, and the files near it
    that set what it lacks."""
    from dataclasses import replace

    from ..core.values.layers import declared_base_layers, find_base_layers
    out = []
    for d in diags:
        if d.code == "deep-skipped" and "is required" in d.message:
            missing = [x.path for x in diags if x.code == "missing-required"]
            declared = [os.path.relpath(b) for b in declared_base_layers(path)]
            setting = [os.path.relpath(b) for b in find_base_layers(path, missing)][:3]
            parts = []
            if declared:
                parts.append(f"it says it is layered on {', '.join(declared)}")
            if setting:
                parts.append(f"files near it that set {', '.join(f'`{m}`' for m in missing)}: {', '.join(setting)}")
            if parts:
                first = (declared or setting)[0]
                d = replace(d, hint="; ".join(parts) + f" — e.g. gaie-tui validate --deep -f {first} -f {label}")
        out.append(d)
    return out


_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;36m"}


def _paint(text: str, severity: str, color: bool) -> str:
    return f"{_COLORS[severity]}{text}\x1b[0m" if color else text
