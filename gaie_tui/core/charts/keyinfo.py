"""What one key of a values file means in one chart version: our words, the chart's own comment,
its type and default, and whether any template reads it (the wizard's explanation panel)."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KeyInfo:
    path: str
    known: bool
    type: str | None = None
    default: object = None
    has_default: bool = False
    chart_doc: str = ""
    our_doc: str = ""
    read: bool = True


def _split_path(path: str) -> list[str | int]:
    return [int(p[1:-1]) if p.startswith("[") else p for p in re.findall(r"[^.\[\]]+|\[\d+\]", path)]


def key_info(chart, path: str) -> KeyInfo:
    """The key at a dotted path (`a.b[0].c`) of `chart` (a store Chart)."""
    from .docs import key_docs
    generic = re.sub(r"\[\d+\]", "[]", path)
    node = chart.tree.find(generic)
    ours = key_docs(chart.layout.layout)
    our_doc = ours.get(path) or ours.get(generic) or ""
    if node is None:
        found, _deepest, _ = chart.tree.resolve(_split_path(path))
        node = found
    if node is None:
        return KeyInfo(path=path, known=False, our_doc=our_doc)
    return KeyInfo(path=path, known=True, type=node.type, default=node.default, has_default=node.has_default,
                   chart_doc=node.doc or "", our_doc=our_doc, read=node.read)
