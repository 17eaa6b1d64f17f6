"""What one key of a values file means in one chart version: our words, the chart's own comment,
its type and default, and whether any template reads it (the wizard's explanation panel).

A key inside a block the chart passes through as it is (`env[0].valueFrom.secretKeyRef`, the
pool's `matchLabels.app`) has no entry of its own: it is reported as inside that block (`inside`),
with the type of the value written there — never with the block's own type or default."""
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
    inside: str = ""       # the pass-through block this key lives in ("" for a key of its own)


def _split_path(path: str) -> list[str | int]:
    return [int(p[1:-1]) if p.startswith("[") else p for p in re.findall(r"[^.\[\]]+|\[\d+\]", path)]


_NO_VALUE = object()


def key_info(chart, path: str, value=_NO_VALUE) -> KeyInfo:
    """The key at a dotted path (`a.b[0].c`) of `chart` (a store Chart); `value`, the value the
    file gives it, types a key that lives inside a pass-through block."""
    from .docs import key_docs
    from .schema import _yaml_type
    generic = re.sub(r"\[\d+\]", "[]", path)
    node = chart.tree.find(generic)
    ours = key_docs(chart.layout.layout)
    our_doc = ours.get(path) or ours.get(generic) or ""
    if node is None:
        found, _deepest, _ = chart.tree.resolve(_split_path(path))
        if found is not None and _generic(found.path) != generic:
            # inside an open block: the block's type and default are not this key's
            kind = _yaml_type(value) if value is not _NO_VALUE else None
            return KeyInfo(path=path, known=True, type=kind or ("null" if value is None else None),
                           our_doc=our_doc, read=found.read, inside=found.path)
        node = found
    if node is None:
        return KeyInfo(path=path, known=False, our_doc=our_doc)
    return KeyInfo(path=path, known=True, type=node.type, default=node.default, has_default=node.has_default,
                   chart_doc=node.doc or "", our_doc=our_doc, read=node.read)


def _generic(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path).replace(".[]", "[]")
