"""Pieces several subcommands share: chart selection and output helpers."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..core.charts.refs import ChartRef, default_ref, parse_ref
from ..core.errors import UserError


def add_chart_argument(parser, help_text: str = "chart: inferencepool@v1.5.0, llm-d-router-gateway@v0.10.0, "
                                                "a .tgz path, or oci://…@version") -> None:
    parser.add_argument("--chart", metavar="REF", help=help_text)


def chart_ref(text: str | None, fallback: str | None = None) -> ChartRef:
    if text:
        return parse_ref(text)
    if fallback:
        return parse_ref(fallback)
    return default_ref()


def knowledge_store(offline: bool = False):
    """Charts from local archives, bundled knowledge, then the network (cache, helm pull)."""
    from ..core.charts.store import KnowledgeStore
    from ..core.upstream import Upstream

    return KnowledgeStore(upstream=Upstream.from_env(offline=offline))


def write_output(text: str, path: str | None) -> None:
    """Write to a file atomically (never a half-written values file), or to stdout."""
    if not path or path == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    if target.is_dir():
        raise UserError(f"{target} is a folder", "give a file name with -o, e.g. -o values.yaml")
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write {target}: {exc.strerror}", "check the folder exists and is writable") from exc


def use_color(stream=sys.stdout) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")
