"""Rewriting a values file's text for another chart layout, keeping what people wrote.

The file is read as an outline: each key with the comment and blank lines above it, its own line
and the lines of its value. A key whose whole block moves to one new place (`inferenceExtension`
→ `router.epp` for most of its keys) is copied as text, re-indented and renamed on its own line —
comments, quoting, block scalars and key order come along untouched. A block whose keys go to
different places is opened and its keys placed one by one (`extraServicePorts` leaves the EPP
block for `router`); the blocks they land in are created in the order they are first needed, so
the file keeps the order it was written in. A value whose shape changes (the EPP flags list that
became a map) is written anew, with the comments it held kept above it. What has no place in the
new chart stays in the file, commented out under a note saying why.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from ..redact import redact
from ..values.diagnostics import format_path
from ..values.source import Source, comments
from .paths import KeyMap, Target


@dataclass
class Node:
    """One key of the file, with the lines it owns (1-based, inclusive)."""

    keys: tuple
    first: int                 # first line of the comments/blank lines above it
    line: int                  # the key's own line
    last: int                  # the last line of its value
    indent: int
    children: list[Node] = field(default_factory=list)
    pre: list[str] = field(default_factory=list)   # comments of an opened-up block, carried here


@dataclass
class Unit:
    """Text placed at a new path: a copied block, or a value written anew."""

    keys: tuple                # where it goes
    lines: list[str]           # its text, indented for the top level (indent 0)
    source: tuple              # where it came from


@dataclass
class Moved:
    old: tuple
    new: tuple
    reason: str


@dataclass
class Dropped:
    old: tuple
    reason: str


@dataclass
class Rewritten:
    text: str
    moved: list[Moved]
    dropped: list[Dropped]
    newly_read: list[tuple]      # settings the old chart ignored and the new one reads


class _Dest:
    def __init__(self, key: str | None) -> None:
        self.key = key
        self.children: dict[str, _Dest] = {}
        self.unit: Unit | None = None
        self.lead: list[str] = []          # comments of a source block this one stands for
        self.trailer = ""                   # a trailing comment of that block's own line


def outline(src: Source) -> list[Node]:
    """The top-level keys with their children, owning every line of the file but the header."""
    lines = src.text.splitlines()
    by_parent: dict[tuple, list[tuple]] = {}
    for keys in src.positions:
        if any(isinstance(k, int) for k in keys):
            continue  # list items travel inside their list
        by_parent.setdefault(keys[:-1], []).append(keys)

    def build(parent: tuple, start: int, end: int) -> list[Node]:
        kids = sorted(by_parent.get(parent, []), key=lambda k: src.positions[k].line)
        out: list[Node] = []
        prev_end = start - 1
        for keys in kids:
            e = src.positions[keys]
            last = e.content_end_line or e.value_end_line
            if e.content_end_column == 1 and last > e.line:
                last -= 1  # an end mark at the start of a line ends the line before
            last = max(last, e.line)
            node = Node(keys, prev_end + 1, e.line, last, e.column - 1)
            value = src.values
            for k in keys:
                value = value.get(k) if isinstance(value, dict) else None
            if isinstance(value, dict) and value and e.value_line > e.line:
                node.children = build(keys, e.line + 1, last)
            out.append(node)
            prev_end = last
        return out

    return build((), 1, len(lines))


def rewrite(src: Source, km: KeyMap, *, header: list[str] | None = None) -> Rewritten:
    lines = src.text.splitlines()
    top = outline(src)
    moved: list[Moved] = []
    dropped: list[Dropped] = []
    newly: list[tuple] = []
    root = _Dest(None)
    dropped_text: list[str] = []

    # the file's header: everything up to the blank line before the first key's comments
    head_end = 0
    if top:
        first = top[0]
        head_end = first.first - 1
        for n in range(first.line - 1, first.first - 1, -1):
            if not lines[n - 1].strip():
                head_end = n
                break
        first.first = head_end + 1
    head = lines[:head_end]
    tail = lines[top[-1].last:] if top else lines

    def block_of(node: Node) -> list[str]:
        return _dedent(node.pre + lines[node.first - 1: node.last], node.indent)

    def place(node: Node) -> None:
        t = km.target(node.keys)
        if t.keys is not None and t.transform == "flags-map":
            _insert(root, Unit(t.keys, _flags_map(src, node, block_of(node), len(node.pre), t.keys[-1]),
                               node.keys), dropped)
            moved.append(Moved(node.keys, t.keys, t.reason))
            return
        whole_gone = t.keys is None and all(km.target(n.keys).keys is None for n in _walk(node))
        if node.children and not whole_gone and not _moves_whole(node, t, km):
            dest = _ensure(root, t.keys) if t.keys is not None else None
            lead, trailer = _own_lines(lines, node)
            if dest is not None and not dest.lead and not dest.trailer and dest.unit is None:
                dest.lead, dest.trailer = _dedent(node.pre, node.indent) + lead, trailer
            else:  # the block splits up or vanishes: its comments go with its first key
                first = node.children[0]
                pad = " " * first.indent
                first.pre = [pad + ln.strip() if ln.strip() else ln for ln in node.pre + lead] + \
                    ([pad + trailer] if trailer else [])
            for child in node.children:
                place(child)
            return
        if t.keys is None:
            dropped.append(Dropped(node.keys, t.reason))
            dropped_text.extend(_commented(block_of(node), node, t.reason))
            return
        if t.newly_read:
            newly.append(t.keys)
        if t.keys != node.keys:
            moved.append(Moved(node.keys, t.keys, t.reason))
        block = block_of(node)
        key_at = len(node.pre) + node.line - node.first
        block[key_at] = _rename(block[key_at], src.positions[node.keys], node.indent, t.keys[-1])
        _insert(root, Unit(t.keys, block, node.keys), dropped)

    for node in top:
        place(node)
    out = list(header if header is not None else head)
    body = _render(root, 0)
    if out and body and out[-1].strip():
        out.append("")
    out.extend(body)
    out.extend(tail)
    if dropped_text:
        out += ["", f"# gaie-tui migrate: no equivalent in {km.dst.name} {km.dst.version}; kept here, inactive:"]
        out += dropped_text
    text = "\n".join(out).rstrip("\n") + "\n"
    return Rewritten(text, moved, dropped, newly)


# ----------------------------------------------------------------------------------------------
def _moves_whole(node: Node, t: Target, km: KeyMap) -> bool:
    """Every key under `node` lands under `t.keys` with the same relative path (and is read)."""
    if t.keys is None or t.transform:
        return False
    stack = list(node.children)
    while stack:
        c = stack.pop()
        ct = km.target(c.keys)
        if ct.keys is None or ct.transform or ct.keys != t.keys + c.keys[len(node.keys):]:
            return False
        stack.extend(c.children)
    return True


def _ensure(root: _Dest, keys: tuple) -> _Dest:
    cur = root
    for k in keys:
        cur = cur.children.setdefault(str(k), _Dest(str(k)))
    return cur


def _insert(root: _Dest, unit: Unit, dropped: list[Dropped]) -> None:
    parent = _ensure(root, unit.keys[:-1])
    key = str(unit.keys[-1])
    have = parent.children.get(key)
    if have is None:
        d = _Dest(key)
        d.unit = unit
        parent.children[key] = d
        return
    own = _top_keys(unit)
    if have.unit is None and not (own & set(have.children)):
        have.unit = unit  # a block other keys were moved into first: it joins them
        return
    # two old settings land on one new key (e.g. top-level `istio` and `provider.istio`): the
    # later one would win in helm too; say so instead of writing a duplicate key
    dropped.append(Dropped(unit.source, f"`{format_path(unit.keys)}` is already set by "
                                        f"`{format_path(have.unit.source) if have.unit else format_path(unit.keys)}` "
                                        "in this file; both moved to the same place"))


def _top_keys(unit: Unit) -> set[str]:
    """The keys directly inside a block unit (from its text: one indentation level below its key)."""
    lines = [ln for ln in unit.lines if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) < 2:
        return set()
    inner = min(len(ln) - len(ln.lstrip(" ")) for ln in lines[1:])
    return {ln.strip().split(":", 1)[0].strip("\"'") for ln in lines[1:]
            if len(ln) - len(ln.lstrip(" ")) == inner and ":" in ln and not ln.lstrip().startswith("- ")}


def _render(node: _Dest, depth: int) -> list[str]:
    out: list[str] = []
    pad = "  " * depth
    for child in node.children.values():
        if child.unit is not None and not child.children:
            out.extend(_indent(child.unit.lines, depth * 2))
            continue
        if child.unit is None and not child.children:
            # a block whose keys all went elsewhere: its comments stay where it was
            out.extend(_indent(child.lead + ([child.trailer] if child.trailer else []), depth * 2))
            continue
        out.extend(_indent(child.lead, depth * 2))
        trailer = child.trailer
        u: list[str] = []
        at = 0
        if child.unit is not None:  # a block unit that other keys joined: its lines minus its key line
            u = child.unit.lines
            at = next(i for i, ln in enumerate(u) if ln.strip() and not ln.lstrip().startswith("#"))
            out.extend(_indent(u[:at], depth * 2))
            own = comments(u[at])
            if own:
                trailer = f"{trailer}  {own[-1].text}" if trailer else own[-1].text
        out.append(f"{pad}{_key_text(child.key)}:" + (f"  {trailer}" if trailer else ""))
        if child.unit is not None:
            out.extend(_indent(u[at + 1:], depth * 2))
        out.extend(_render(child, depth + 1))
    return out


def _own_lines(lines: list[str], node: Node) -> tuple[list[str], str]:
    """A block's comment lines above it and the trailing comment on its key line."""
    lead = _dedent(lines[node.first - 1: node.line - 1], node.indent)
    trailer = ""
    for c in comments(lines[node.line - 1]):
        trailer = c.text
    return lead, trailer


def _walk(node: Node):
    yield node
    for c in node.children:
        yield from _walk(c)


def _dedent(block: list[str], indent: int) -> list[str]:
    out = []
    for ln in block:
        lead = len(ln) - len(ln.lstrip(" "))
        out.append(ln[min(indent, lead):])
    return out


def _indent(block: list[str], n: int) -> list[str]:
    pad = " " * n
    return [pad + ln if ln.strip() else ln for ln in block]


def _rename(line: str, entry, indent: int, new_key) -> str:
    start, end = entry.column - 1 - indent, entry.key_end - 1 - indent
    return line[:start] + _key_text(new_key) + line[end:]


def _key_text(key) -> str:
    k = str(key)
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-/]*", k) and k.lower() not in ("y", "n", "yes", "no", "on", "off",
                                                                              "true", "false", "null"):
        return k
    return yaml.safe_dump(k, default_style='"').strip()


def _commented(body: list[str], node: Node, reason: str) -> list[str]:
    """`body`: the block already dedented to its key."""
    name = format_path(node.keys)
    out = [f"# {name} — {reason}:"]
    for ln in body:
        if ln.strip():
            out.append("#   " + redact(ln))
    return out


def _flags_map(src: Source, node: Node, block: list[str], pre: int, key: str) -> list[str]:
    """The EPP flags list `[{name: v, value: 1}]` as the map `{v: 1}`, its comments kept above."""
    value = src.values
    for k in node.keys:
        value = value[k]
    flags = {str(i["name"]): i.get("value") for i in value if isinstance(i, dict) and "name" in i} \
        if isinstance(value, list) else {}
    at = pre + node.line - node.first
    kept = [c.text for c in comments("\n".join(block[at:]))]
    out = block[:at] + [f"{_key_text(key)}:" + ("" if flags else " {}")]
    out += [f"  {c}" for c in kept]
    if flags:
        dumped = yaml.safe_dump(flags, default_flow_style=False, sort_keys=False, width=1000)
        out += [f"  {ln}" for ln in dumped.rstrip("\n").splitlines()]
    return out
