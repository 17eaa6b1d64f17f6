"""`gaie-tui schema`: the JSON Schema derived from a chart version."""
from __future__ import annotations

import json

from .common import add_chart_argument, chart_ref, knowledge_store, write_output


def add_arguments(p) -> None:
    add_chart_argument(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")


def run(args) -> int:
    from ..core.charts.docs import key_docs

    chart = knowledge_store().get(chart_ref(args.chart))
    schema = chart.tree.json_schema(key_docs(chart.layout.layout))
    write_output(json.dumps(schema, indent=2, sort_keys=False) + "\n", args.output)
    return 0
