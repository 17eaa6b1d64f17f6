"""Layered values written back as one YAML file: what the chart receives from `helm -f a -f b …`.

The merged file is for people and for the places that need "the values" as one text (the record's
values-merged.yaml, the upgrade diff, the wizard's comparison with the deployed release); helm
itself always gets the layers. It must mean to helm exactly what the layers mean, and PyYAML and
helm's Go YAML do not read every plain scalar alike (`y`, `1e3` and `0o17` are strings for
PyYAML but a boolean and numbers for helm). So each string is written in the style its own layer
used — plain where it was plain (helm reads it as it did there), double-quoted where it was quoted,
a literal block where it was a block — and the chart's `# gaie-tui:` header lines come first.

    merged_text(layered, chart_ref="inferencepool@v1.5.0") -> str
    set_by(layered) -> [(dotted path, file, line)]   which layer set each value
"""
from __future__ import annotations

import yaml

from ..textsafe import visible
from .diagnostics import format_path
from .layers import Layered

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


def merged_text(layered: Layered, *, chart_ref: str | None = None) -> str:
    """The merged values as YAML, headed by the `# gaie-tui:` lines (the chart first) and the
    files it was merged from. Raises ValueError when a layer could not be read."""
    if not layered.ok:
        raise ValueError("the layers could not be merged: a file is not valid YAML")
    header = dict(layered.source.header)
    if chart_ref:
        header["chart"] = chart_ref
    lines = [f"# gaie-tui: {k}={visible(v, one_line=True)}" for k, v in
             sorted(header.items(), key=lambda kv: kv[0] != "chart")]
    lines.append("# The values the chart receives from these files, merged as `helm -f … -f …` merges them")
    lines.append("# (later files win, maps merge key by key, lists are replaced whole, null deletes a default):")
    lines += [f"#   {i}. {visible(name, one_line=True)}" for i, name in enumerate(layered.files, 1)]
    values = layered.values or {}
    # a fresh representer each time: it remembers what it represented (dates would become aliases)
    rep = yaml.representer.SafeRepresenter()
    body = "{}\n" if not values else yaml.serialize(
        _node(values, (), _Styles(layered), rep), Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        allow_unicode=True, width=100)
    return "\n".join(lines) + "\n\n" + body


class _Styles:
    """How each string was written in the layer that set it: '' plain, a quote, or a block."""

    def __init__(self, layered: Layered) -> None:
        self.layered = layered
        self._roots: dict[int, yaml.Node | None] = {}

    def of(self, keys: tuple) -> str | None:
        i = self.layered.source.layer_of(keys)
        if i not in self._roots:
            try:   # the layer parsed before (alias bombs and the like were refused then)
                self._roots[i] = yaml.compose(self.layered.layers[i].text,
                                              Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            except yaml.YAMLError:
                self._roots[i] = None
        node = self._roots[i]
        for k in keys:
            node = _child(node, k)
            if node is None:
                return None
        return node.style if isinstance(node, yaml.ScalarNode) else None


def _child(node, key):
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    if isinstance(node, yaml.MappingNode):
        found = None
        for k, v in node.value:   # the last of equal keys wins, as when the values were built
            if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                found = v
            elif k.tag == "tag:yaml.org,2002:merge" and found is None:
                found = _child(v, key) if isinstance(v, yaml.MappingNode) else None
        return found
    return None


def _node(value, keys: tuple, styles: _Styles, rep) -> yaml.Node:
    if isinstance(value, dict):
        pairs = [(yaml.ScalarNode(_STR, k) if isinstance(k, str) else rep.represent_data(k),
                  _node(v, keys + (k,), styles, rep)) for k, v in value.items()]
        return yaml.MappingNode(_MAP, pairs, flow_style=not pairs)
    if isinstance(value, list):
        items = [_node(v, keys + (i,), styles, rep) for i, v in enumerate(value)]
        return yaml.SequenceNode(_SEQ, items, flow_style=not items)
    if isinstance(value, str):
        style = styles.of(keys)
        if style in ("|", ">"):
            style = "|"          # a literal block keeps every newline; the emitter quotes it if it cannot
        elif style in ("'", '"') or style is None and _ambiguous(value):
            style = '"'          # it was quoted (or we cannot tell): a string for helm too
        else:
            style = None         # plain, as it was: helm reads it as it read it there
        return yaml.ScalarNode(_STR, value, style=style)
    rep.represented_objects = {}   # never an alias: each value is written where it is used
    return rep.represent_data(value)


def _ambiguous(value: str) -> bool:
    """Plain text that helm's YAML would not read as a string (PyYAML does)."""
    import re
    return bool(re.fullmatch(r"(?i)y|n|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0o[0-7_]+|0b[01_]+", value))


def set_by(layered: Layered) -> list[tuple[str, str, int]]:
    """(dotted path, file, line) of every value in the merged result — scalars, lists, nulls and
    empty maps — in the order the merged file lists them."""
    out: list[tuple[str, str, int]] = []

    def walk(value, keys: tuple) -> None:
        if isinstance(value, dict) and value:
            for k, v in value.items():
                walk(v, keys + (k,))
        elif keys:
            file, line, _ = layered.source.locate(keys)
            out.append((format_path(keys), file, line))

    walk(layered.values or {}, ())
    return out
