"""Pieces several subcommands share: chart selection and output helpers."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..core.charts.refs import ChartRef, default_ref, parse_ref


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
    from ..core.safeio import write_text
    write_text(Path(path), text)


def use_color(stream=sys.stdout) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")
