"""`gaie-tui migrate FILE… --to CHART_REF [--from CHART_REF] [-o OUT]`: rewrite values for another
chart version or family, keeping comments and key order, listing what has no equivalent, and
proving the result with the real helm (old values + old chart vs new values + new chart).

Exit codes: 0 nothing lost; 1 something is lost (or the proof could not be made); 2 could not run.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..core.errors import UserError
from .common import knowledge_store, use_color


def add_arguments(p) -> None:
    p.add_argument("files", metavar="FILE", nargs="+",
                   help="values file(s) to migrate; several are layers (as helm -f) and are proven together")
    p.add_argument("--to", metavar="REF", required=True,
                   help="the chart to migrate to: inferencepool@v1.5.0, llm-d-router-gateway@v0.10.0, a .tgz …")
    p.add_argument("--from", dest="source", metavar="REF",
                   help="the chart the values were written for (default: the first file's `# gaie-tui: chart=` line)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="where to write: a file for one input, a folder for several (default: standard output "
                        "for one file)")
    p.add_argument("--no-proof", action="store_true", help="rewrite only; do not render to prove the result")
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format (default: text)")


def run(args) -> int:
    from ..core.charts.refs import parse_ref
    from ..core.check.deep import find_helm
    from ..core.migrate import migrate
    from ..core.values.generate import chart_from_header
    from .validate import load_chart, read_values_file

    texts = []
    for path in args.files:
        if path == "-":
            raise UserError("migrate reads files, not standard input", "give the values file's path")
        data, _size = read_values_file(path)
        try:
            texts.append((path, data.decode("utf-8-sig")))
        except UnicodeDecodeError:
            raise UserError(f"{_shown(path)} is not UTF-8", "save it as UTF-8") from None
    src_ref = args.source or chart_from_header(texts[0][1])
    if not src_ref:
        raise UserError(f"{_shown(args.files[0])} does not say which chart it was written for",
                        "give it with --from, e.g. --from inferencepool@v1.4.0")
    store = knowledge_store()
    src, dst = load_chart(store, parse_ref(src_ref)), load_chart(store, parse_ref(args.to))
    outputs = _outputs(args)
    helm = None
    if not args.no_proof:
        for chart in (src, dst):
            if store.ensure_archive(chart) is None:
                raise UserError(f"no chart archive for {chart.name} {chart.version}: the proof renders both charts",
                                "give archives with GAIE_TUI_CHART_DIRS (or --from/--to PATH.tgz), or use --no-proof")
        helm = find_helm()
        if helm is None:
            raise UserError("no helm binary found: the proof renders both charts with helm",
                            "install helm (or set GAIE_TUI_HELM), or use --no-proof")
    result = migrate(texts, src, dst, helm=helm, prove_it=not args.no_proof)
    for f, out in zip(result.files, outputs, strict=True):
        if out is not None:
            from ..core.safeio import write_text
            write_text(Path(out), f.text)
    report_to = sys.stdout
    if outputs == [None]:
        if args.format == "text":
            sys.stdout.write(result.files[0].text)
            report_to = sys.stderr
    if args.format == "json":
        doc = result.to_json()
        if outputs == [None]:
            doc["files"][0]["text"] = result.files[0].text
        for entry, out in zip(doc["files"], outputs, strict=True):
            entry["output"] = out
        json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        report_to.write(report(result, outputs, color=use_color(report_to)))
    if args.no_proof:
        return 0
    return 0 if result.ok else 1


def _outputs(args) -> list[str | None]:
    if len(args.files) == 1:
        if args.output and Path(args.output).is_dir():
            return [str(Path(args.output) / Path(args.files[0]).name)]
        return [args.output if args.output and args.output != "-" else None]
    if not args.output:
        raise UserError("several files need a folder to write the migrated files to", "add -o FOLDER")
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{_shown(args.output)} is not a folder", "give a folder with -o for several files")
    folder.mkdir(parents=True, exist_ok=True)
    names = [Path(f).name for f in args.files]
    if len(set(names)) != len(names):  # recipes/a/values.yaml and guides/b/values.yaml: keep the folders
        return [str(folder / f.lstrip("/").replace("..", "_")) for f in args.files]
    return [str(folder / n) for n in names]


def _shown(path: str) -> str:
    from ..core.textsafe import visible
    return visible(path, one_line=True)


_MARK = {"equal": "=", "intentionally different": "~", "lost": "✗"}


def report(result, outputs, *, color: bool = False) -> str:
    from ..core.migrate import LOST
    from ..core.textsafe import visible
    from ..core.values.diagnostics import format_path
    out = [f"migrate: {result.src.name} {result.src.version} → {result.dst.name} {result.dst.version}"]
    for f, dest in zip(result.files, outputs, strict=True):
        out.append(f"\n{visible(f.name, one_line=True)}" + (f" → {visible(dest, one_line=True)}" if dest else ""))
        for m in f.moved:
            out.append(f"  moved   {format_path(m.old)} → {format_path(m.new)}" + (f"  ({m.reason})" if m.reason else ""))
        for d in f.dropped:
            out.append(f"  no equivalent  {format_path(d.old)}: {d.reason} (kept in the file, commented out)")
        for k in f.newly_read:
            out.append(f"  takes effect now  {format_path(k)}: {result.src.name} {result.src.version} ignored it")
    proof = result.proof
    if proof is None:
        out.append("\nproof: skipped (--no-proof)")
        return "\n".join(out) + "\n"
    if proof.error:
        out.append(f"\nproof: could not be made — {visible(proof.error, one_line=True)}")
        return "\n".join(out) + "\n"
    out.append(f"\nproof: rendered {result.src.name} {result.src.version} with the old values and "
               f"{result.dst.name} {result.dst.version} with the new ones")
    width = max((len(f"{f.thing} {f.aspect}") for f in proof.facets), default=20)
    for f in proof.facets:
        label = f"{f.thing} {f.aspect}".ljust(width)
        if f.old == f.new:
            line = f"  = {label}  {_short(f.old)}"
        else:
            line = f"  {_MARK[f.verdict]} {label}  {_short(f.old)} → {_short(f.new)}"
            if f.why:
                line += f"  ({f.why})"
        if color and f.verdict == LOST:
            line = f"\x1b[1;31m{line}\x1b[0m"
        out.append(visible(line, one_line=True))
    lost = proof.lost
    counts = {v: sum(1 for f in proof.facets if f.verdict == v) for v in _MARK}
    out.append(f"\n{counts['equal']} equal, {counts['intentionally different']} intentionally different, "
               f"{counts['lost']} lost" + (": nothing is lost" if not lost else
                                           " — the new values do not do what the old ones did"))
    return "\n".join(out) + "\n"


def _short(v: str | None, limit: int = 70) -> str:
    if v is None:
        return "(absent)"
    return v if len(v) <= limit else v[: limit - 1] + "…"

