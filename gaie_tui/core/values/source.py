"""A values file as text: its values, where each key sits, and what is wrong with it as YAML.

PyYAML (and helm) keep the last of two equal keys silently, expand aliases without limit and
forget positions. This module composes the node graph with libyaml when present (positions come
free), refuses absurd inputs before anything is constructed (size, alias expansion, nesting),
reports duplicate keys and tab indentation, and builds the values itself with a position map
keyed by the concrete key path (tuples of str keys and int list indices).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import yaml
from yaml.constructor import SafeConstructor

from .diagnostics import Diagnostic, format_path

MAX_BYTES = 2 * 1024 * 1024          # a values file is a few kB; refuse anything over 2 MB
MAX_NODES = 200_000                  # nodes after alias expansion
MAX_DEPTH = 200

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
HEADER_PREFIX = "# gaie-tui:"

Keys = tuple  # tuple[str | int, ...]


@dataclass(frozen=True)
class Entry:
    """Where one key and its value sit (1-based; end column exclusive)."""

    line: int
    column: int
    key_end: int
    value_line: int
    value_column: int
    value_end_line: int
    value_end_column: int
    scalar: bool            # value is a plain scalar (a one-key fix can replace it)
    style: str | None = None


@dataclass
class Source:
    text: str
    values: dict | None                       # None when the text could not be read as a mapping
    positions: dict[Keys, Entry] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)   # `# gaie-tui: k=v` lines

    @property
    def ok(self) -> bool:
        return self.values is not None

    def where(self, keys) -> tuple[int, int]:
        """(line, column) of the key, else of its nearest ancestor that is in the file, else 1:1."""
        keys = tuple(keys)
        while keys:
            e = self.positions.get(keys)
            if e is not None:
                return e.line, e.column
            keys = keys[:-1]
        return 1, 1

    def has(self, keys) -> bool:
        return tuple(keys) in self.positions


class _Refused(Exception):
    def __init__(self, code: str, message: str, hint: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.diag = Diagnostic(code, "error", "", line, column, message, hint)


def decode(data: bytes) -> tuple[str | None, Diagnostic | None]:
    """Bytes → text, refusing non-UTF-8 with the position of the first bad byte."""
    if len(data) > MAX_BYTES:
        return None, _too_large(len(data))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, Diagnostic("yaml-encoding", "error", "", line, col,
                                f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} cannot be decoded)",
                                "save it as UTF-8; helm reads values files as UTF-8")


def _too_large(n: int) -> Diagnostic:
    return Diagnostic("yaml-too-large", "error", "", 1, 1,
                      f"the file is {n / 1024 / 1024:.1f} MB; values files over {MAX_BYTES // 1024 // 1024} MB "
                      "are refused", "a values file holds settings, not data; split out what does not belong")


def header_of(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines()[:30]:
        s = line.strip()
        if s.startswith(HEADER_PREFIX):
            for part in s[len(HEADER_PREFIX):].split():
                k, sep, v = part.partition("=")
                if sep:
                    out[k.strip()] = v.strip()
        elif s and not s.startswith("#"):
            break
    return out


def parse(text: str) -> Source:
    src = Source(text=text, values=None, header=header_of(text))
    if len(text) > MAX_BYTES:
        src.diagnostics.append(_too_large(len(text.encode("utf-8", "replace"))))
        return src
    try:
        docs = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        src.diagnostics.extend(_syntax(text, exc))
        return src
    except yaml.YAMLError as exc:
        src.diagnostics.append(Diagnostic("yaml-syntax", "error", "", 1, 1, f"not valid YAML: {exc}",
                                          "fix the YAML syntax"))
        return src
    except RecursionError:
        src.diagnostics.append(_too_deep())
        return src
    docs = [d for d in docs if d is not None]
    if len(docs) > 1:
        m = docs[1].start_mark
        src.diagnostics.append(Diagnostic("yaml-multi-document", "error", "", max(1, m.line), 1,
                                          "the file holds more than one YAML document (---)",
                                          "a values file is one mapping; put the documents in separate files"))
        return src
    if not docs:
        src.values = {}
        return src
    root = docs[0]
    try:
        _check_size(root)
        if root.tag != _MAP_TAG or not isinstance(root, yaml.MappingNode):
            kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
            if isinstance(root, yaml.ScalarNode) and root.value in ("", "~", "null"):
                src.values = {}
                return src
            raise _Refused("yaml-not-mapping", f"the top level is {kind}, not a mapping of settings",
                           "a values file starts with keys, e.g. `inferenceExtension:`",
                           root.start_mark.line + 1, root.start_mark.column + 1)
        b = _Builder(src)
        src.values = b.mapping(root, ())
    except _Refused as exc:
        src.values = None
        src.diagnostics.append(exc.diag)
    except RecursionError:
        src.values = None
        src.diagnostics.append(_too_deep())
    return src


def _too_deep() -> Diagnostic:
    return Diagnostic("yaml-too-deep", "error", "", 1, 1, f"the file nests deeper than {MAX_DEPTH} levels",
                      "values files are a few levels deep; this one cannot be a real values file")


def _syntax(text: str, exc: yaml.MarkedYAMLError) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    lines = text.splitlines()
    tab_lines: set[int] = set()
    for i, line in enumerate(lines, 1):
        stripped = line.lstrip(" \t")
        lead = line[: len(line) - len(stripped)]
        if "\t" in lead and stripped and not stripped.startswith("#"):
            tab_lines.add(i)
            out.append(Diagnostic("yaml-tab", "error", "", i, lead.index("\t") + 1,
                                  "a tab is used for indentation; YAML allows only spaces",
                                  "indent with spaces (2 per level)"))
    mark = exc.problem_mark or exc.context_mark
    line = (mark.line + 1) if mark else 1
    col = (mark.column + 1) if mark else 1
    if line not in tab_lines:
        problem = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        out.append(Diagnostic("yaml-syntax", "error", "", line, col, f"YAML syntax error: {problem}{ctx}",
                              "check indentation, colons and quotes on this line and the one above"))
    return out


def _check_size(root) -> None:
    """Count nodes after alias expansion without expanding anything (memoised per node)."""
    memo: dict[int, int] = {}
    active: set[int] = set()
    anchors_seen = [False]

    def size(node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _Refused("yaml-too-deep", _too_deep().message, _too_deep().hint)
        nid = id(node)
        if nid in memo:
            anchors_seen[0] = True
            return memo[nid]
        if nid in active:
            raise _Refused("yaml-alias-bomb", "an alias refers to its own anchor (a recursive document)",
                           "remove the self-referencing alias", node.start_mark.line + 1,
                           node.start_mark.column + 1)
        active.add(nid)
        if isinstance(node, yaml.ScalarNode):
            n = 1
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(c, depth + 1) for c in node.value)
        else:
            n = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(nid)
        memo[nid] = n
        if n > MAX_NODES:
            raise _Refused("yaml-alias-bomb",
                           f"aliases in this file expand to more than {MAX_NODES:,} values "
                           "(an alias bomb, or a file far larger than any values file)",
                           "remove the anchors/aliases (&name / *name) or write the values out",
                           node.start_mark.line + 1, node.start_mark.column + 1)
        return n

    size(root, 0)


class _Builder:
    """Values from the node graph, recording positions and duplicate keys."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.constructor = SafeConstructor()
        self.cache: dict[int, object] = {}

    def value(self, node, keys: Keys):
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, keys)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(c, keys + (i,)) for i, c in enumerate(node.value)]
        nid = id(node)
        if nid in self.cache:
            return self.cache[nid]
        try:
            v = self.constructor.construct_object(node)
        except yaml.YAMLError as exc:
            raise _Refused("yaml-syntax", f"YAML value error: {getattr(exc, 'problem', exc)}",
                           "quote the value if it is meant as text",
                           node.start_mark.line + 1, node.start_mark.column + 1) from exc
        if isinstance(v, (_dt.date, _dt.datetime)):
            v = node.value  # helm keeps dates as strings
        elif isinstance(v, bytes):
            v = node.value
        self.cache[nid] = v
        return v

    def mapping(self, node, keys: Keys) -> dict:
        out: dict = {}
        first: dict[str, int] = {}
        merged: list = []
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.tag == _MERGE_TAG:
                merged.append(v)
                continue
            if isinstance(k, yaml.ScalarNode):
                key = k.value
            else:
                raise _Refused("yaml-syntax", "a mapping key is itself a list or mapping",
                               "keys in a values file are plain names", k.start_mark.line + 1,
                               k.start_mark.column + 1)
            path = keys + (key,)
            line, col = k.start_mark.line + 1, k.start_mark.column + 1
            if key in first:
                self.src.diagnostics.append(Diagnostic(
                    "duplicate-key", "error", format_path(path), line, col,
                    f"`{key}` appears twice in the same mapping (first on line {first[key]}); "
                    "helm silently keeps only the last one",
                    "merge the two into one key"))
            first[key] = line
            self.src.positions[path] = Entry(
                line, col, k.end_mark.column + 1, v.start_mark.line + 1, v.start_mark.column + 1,
                v.end_mark.line + 1, v.end_mark.column + 1, isinstance(v, yaml.ScalarNode),
                getattr(v, "style", None))
            out[key] = self.value(v, path)
        for m in merged:  # `<<: *base` — explicit keys win
            sources = m.value if isinstance(m, yaml.SequenceNode) else [m]
            for s in sources:
                if isinstance(s, yaml.MappingNode):
                    for mk, mv in self.mapping(s, keys).items():
                        out.setdefault(mk, mv)
        return out


# ----------------------------------------------------------------------------------------------
def leaves(values, keys: Keys = ()):
    """(keys, value) for every scalar, empty container and null under `values`."""
    if isinstance(values, dict) and values:
        for k, v in values.items():
            yield from leaves(v, keys + (k,))
    elif isinstance(values, list) and values:
        for i, v in enumerate(values):
            yield from leaves(v, keys + (i,))
    elif keys:
        yield keys, values


def get(values, keys):
    cur = values
    for k in keys:
        if isinstance(k, int):
            if not isinstance(cur, list) or k >= len(cur):
                return None
            cur = cur[k]
        else:
            if not isinstance(cur, dict) or k not in cur:
                return None
            cur = cur[k]
    return cur


def path_at(text: str, line: int, column: int | None = None) -> str | None:
    """The dotted key path of the setting under a 1-based (line, column) cursor: the key on that
    line, or, on a value/list line, the innermost key whose block contains the line."""
    src = parse(text)
    if not src.positions:
        return None
    keys = path_keys_at(src, line, column)
    return format_path(keys) if keys is not None else None


def path_keys_at(src: Source, line: int, column: int | None = None):
    best = None
    best_key = None
    for keys, e in src.positions.items():
        if e.line == line:
            if best is None or best[0] != line or (column is not None and e.column <= column and e.column > best[1]):
                best, best_key = (e.line, e.column), keys
        elif e.line < line <= e.value_end_line and not (e.value_end_line == line and e.value_end_column == 1):
            if best is None or (best[0] != line and len(keys) > len(best_key)):
                best, best_key = (e.line, e.column), keys
    if best_key is None:
        return None
    # a list item line: add the index
    e = src.positions[best_key]
    val = get(src.values, best_key)
    if isinstance(val, list) and e.line != line:
        idx = None
        for i in range(len(val)):
            sub = [p for p in src.positions if p[: len(best_key) + 1] == best_key + (i,)]
            if sub and min(src.positions[p].line for p in sub) <= line:
                idx = i
        if idx is not None:
            return best_key + (idx,)
    return best_key
