"""A key tree and a JSON Schema (draft 2020-12) per chart version, built from ChartKnowledge.

Known keys come from the merged defaults and from every path the templates read. A map the
chart dumps whole (`toYaml`) or iterates as key/value (`range $k, $v`) is open: anything inside
is passed through, so nothing inside it is "unknown". Everything else is closed: a key that is
neither listed nor read is one helm will silently ignore.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import templates as gotemplate
from .derive import ChartKnowledge

ITEM = gotemplate.ITEM
SCALAR_TYPES = ("string", "integer", "number", "boolean")


@dataclass
class KeyNode:
    path: str
    type: str | None = None         # object / array / string / integer / number / boolean / None (any)
    default: object = None
    has_default: bool = False
    doc: str = ""
    read: bool = False              # some template reads this key (or an ancestor whole)
    open: bool = False              # contents are free-form (passed through whole)
    listed: bool = False            # present in the chart's values.yaml
    children: dict[str, KeyNode] = field(default_factory=dict)
    item: KeyNode | None = None   # list items / map values ("[]")
    required: set[str] = field(default_factory=set)

    def child(self, key: str) -> KeyNode | None:
        return self.children.get(key)


def _yaml_type(value) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return None


class KeyTree:
    """Every key a chart version knows, with type, default, documentation and how it is used."""

    def __init__(self, knowledge: ChartKnowledge) -> None:
        self.knowledge = knowledge
        self.root = KeyNode(path="", type="object", read=True, listed=True)
        self._from_defaults(self.root, knowledge.defaults)
        for path, usage in knowledge.reads.items():
            self._from_read(path, set(usage))
        for path in knowledge.required:
            self._mark_required(path)
        self._propagate_read(self.root, False)
        for path, text in knowledge.comments.items():
            node = self.find(path)
            if node is not None:
                node.doc = text

    # construction -----------------------------------------------------------------------
    def _from_defaults(self, node: KeyNode, value) -> None:
        node.type = _yaml_type(value)
        node.default = value
        node.has_default = True
        node.listed = True
        if isinstance(value, dict):
            if not value:
                node.open = True  # `{}` placeholders (affinity, trafficPolicy …) until templates say otherwise
            for k, v in value.items():
                child = node.children.setdefault(str(k), KeyNode(path=_join(node.path, str(k))))
                self._from_defaults(child, v)
        elif isinstance(value, list) and value:
            node.item = node.item or KeyNode(path=node.path + ITEM)
            for v in value:
                if isinstance(v, dict):
                    node.item.type = "object"
                    for k, vv in v.items():
                        child = node.item.children.setdefault(str(k), KeyNode(path=_join(node.item.path, str(k))))
                        child.type = child.type or _yaml_type(vv)
                        child.listed = True
                else:
                    node.item.type = node.item.type or _yaml_type(v)
            node.item.listed = True

    def _from_read(self, path: str, usage: set[str]) -> None:
        node = self.root
        for seg in _segments(path):
            if seg == ITEM:
                if node.item is None:
                    node.item = KeyNode(path=node.path + ITEM)
                # a list or a map of values: ranged either way, so the type stays open (None)
                node = node.item
            else:
                if node.type not in ("object", None):
                    return  # a template indexing into a scalar: nothing to learn
                if node.type is None:
                    node.type = "object"
                nxt = node.children.get(seg)
                if nxt is None:
                    nxt = node.children[seg] = KeyNode(path=_join(node.path, seg))
                # a `{}` placeholder whose keys the templates read one by one is closed after all
                if node.open and node.has_default and node.default == {} and gotemplate.WHOLE not in self._usage(node.path):
                    node.open = False
                node = nxt
        node.read = True
        if gotemplate.WHOLE in usage:
            node.open = True

    def _usage(self, path: str) -> set[str]:
        return set(self.knowledge.reads.get(path, ()))

    def _mark_required(self, path: str) -> None:
        segs = _segments(path)
        node = self.root
        chain: list[tuple[KeyNode, str]] = []
        for seg in segs:
            if seg == ITEM or node is None:
                return
            chain.append((node, seg))
            node = node.children.get(seg)
        # only what the defaults do not already provide is required of the user's file
        target = self.find(path)
        if target is not None and target.has_default and target.default not in ({}, None, [], ""):
            return
        for parent, seg in chain:
            parent.required.add(seg)

    def _propagate_read(self, node: KeyNode, inherited: bool) -> None:
        node.read = node.read or inherited
        whole = node.read and node.open
        for c in node.children.values():
            # everything below a map the chart dumps whole is read, however deep
            self._propagate_read(c, whole or inherited)
        if node.item is not None:
            self._propagate_read(node.item, whole or node.read)

    # lookup -------------------------------------------------------------------------------
    def find(self, path: str) -> KeyNode | None:
        node: KeyNode | None = self.root
        for seg in _segments(path):
            if node is None:
                return None
            if seg == ITEM or seg.startswith("["):
                node = node.item
            else:
                node = node.children.get(seg)
        return node

    def resolve(self, keys: list[str | int]) -> tuple[KeyNode | None, KeyNode | None, int]:
        """Walk concrete keys (ints are list indices). Returns (node, deepest known node, depth
        reached). Inside an open node everything resolves to that node."""
        node = self.root
        for depth, k in enumerate(keys):
            if node.open and not node.children:
                return node, node, len(keys)
            if isinstance(k, int):
                nxt = node.item
            else:
                nxt = node.children.get(str(k))
                if nxt is None and node.open:
                    return node, node, len(keys)
                if nxt is None and node.item is not None and node.type == "object":
                    nxt = node.item  # map with a value shape (`range $k, $v`)
            if nxt is None:
                return None, node, depth
            node = nxt
        return node, node, len(keys)

    def all_paths(self) -> list[str]:
        out: list[str] = []

        def walk(n: KeyNode) -> None:
            for c in n.children.values():
                out.append(c.path)
                walk(c)
            if n.item is not None:
                walk(n.item)

        walk(self.root)
        return out

    # JSON Schema --------------------------------------------------------------------------
    def json_schema(self, docs: dict[str, str] | None = None) -> dict:
        k = self.knowledge
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://gaie-tui.invalid/schema/{k.name}-{k.version}.json",
            "title": f"{k.name} {k.version} values",
            "description": (f"Derived by gaie-tui from the {k.name} {k.version} chart archive: keys from "
                            "values.yaml and from every path its templates read. Helm itself ignores "
                            "unknown keys silently; this schema does not."),
        }
        schema.update(self._node_schema(self.root, docs or {}))
        props = schema.setdefault("properties", {})
        for key in k.forbidden:
            props[key] = {"not": {}, "deprecated": True,
                          "description": f"{k.name} {k.version} refuses a top-level `{key}` (the render fails); "
                                         "its settings moved under `router`."}
        return schema

    def _node_schema(self, node: KeyNode, docs: dict[str, str]) -> dict:
        s: dict = {}
        doc = docs.get(node.path) or node.doc
        if doc:
            s["description"] = doc
        if node.has_default and node.type in SCALAR_TYPES:
            s["default"] = node.default
        if node.type == "object":
            s["type"] = "object"
            if node.children:
                s["properties"] = {k: self._node_schema(c, docs) for k, c in sorted(node.children.items())}
            if node.open:
                s["additionalProperties"] = True
            elif node.item is not None:
                s["additionalProperties"] = self._node_schema(node.item, docs)
            else:
                s["additionalProperties"] = False
            if node.required:
                s["required"] = sorted(node.required)
        elif node.type == "array":
            s["type"] = "array"
            if node.item is not None and not (node.open and not node.item.children):
                s["items"] = self._node_schema(node.item, docs)
        elif node.type == "string":
            # charts quote scalars when they render them; a number or boolean still renders
            s["type"] = ["string", "number", "boolean"]
        elif node.type in ("integer", "number"):
            s["type"] = ["integer", "number"] if node.type == "number" else "integer"
        elif node.type == "boolean":
            s["type"] = "boolean"
        return s


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _segments(path: str) -> list[str]:
    out: list[str] = []
    for part in path.split("."):
        if not part:
            continue
        while part.endswith(ITEM):
            base = part[: -len(ITEM)]
            if base:
                out.append(base)
            out.append(ITEM)
            part = ""
            break
        if part:
            out.append(part)
    return out
