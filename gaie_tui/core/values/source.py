"""A values file as text: its values, where each key sits, and what is wrong with it as YAML.

PyYAML (and helm) keep the last of two equal keys silently, expand aliases without limit and
forget positions. This module composes the node graph with libyaml when present (positions come
free), refuses absurd inputs before anything is constructed (size, alias expansion, nesting),
reports duplicate keys and tab indentation, and builds the values itself with a position map
keyed by the concrete key path (tuples of str keys and int list indices).
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field, replace

import yaml
from yaml.constructor import SafeConstructor

from ..yamlbudget import MAX_DEPTH, MAX_NODES, OverBudget, expanded_size
from .diagnostics import Diagnostic, format_path

MAX_BYTES = 2 * 1024 * 1024          # a values file is a few kB; refuse anything over 2 MB

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
    content_end_line: int = 0      # where the value's own text ends (a block value's end mark is
    content_end_column: int = 0    # the next key's start, past any comments in between)


@dataclass
class Source:
    text: str
    values: dict | None                       # None when the text could not be read as a mapping
    positions: dict[Keys, Entry] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)   # `# gaie-tui: k=v` lines
    name: str = ""                            # the file, as diagnostics name it ("" = the only one)

    @property
    def ok(self) -> bool:
        return self.values is not None

    @property
    def files(self) -> list[str]:
        return [self.name]

    def locate(self, keys) -> tuple[str, int, int]:
        """(file, line, column) of the key or its nearest ancestor in the file."""
        line, col = self.where(keys)
        return self.name, line, col

    def text_of(self, keys) -> str:
        """The text the key's position refers to (layered sources hold several)."""
        return self.text

    def texts(self) -> list[tuple[str, str]]:
        """(file, text) of every file behind these values."""
        return [(self.name, self.text)]

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


def decode(data: bytes, size: int | None = None) -> tuple[str | None, Diagnostic | None]:
    """Bytes → text, refusing non-UTF-8 with the position of the first bad byte. `size` is the
    file's real size when the caller read only the first MAX_BYTES + 1 bytes of it."""
    if len(data) > MAX_BYTES:
        return None, _too_large(size if size is not None and size > len(data) else len(data),
                                exact=size is not None)
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


def _too_large(n: int, exact: bool = True) -> Diagnostic:
    size = _size_text(n) if exact else f"over {_size_text(MAX_BYTES)}"
    return Diagnostic("yaml-too-large", "error", "", 1, 1,
                      f"the file is {size}; values files over {_size_text(MAX_BYTES)} are refused",
                      "a values file holds settings, not data; split out what does not belong")


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        mb = n / 1024 / 1024
        return f"{mb:.0f} MB" if mb == int(mb) else f"{mb:.1f} MB"
    return f"{n / 1024:.0f} kB"


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


def parse(text: str, name: str = "") -> Source:
    src = _parse(text)
    if name:
        src.name = name
        src.diagnostics = [replace(d, file=name) for d in src.diagnostics]
    return src


def _parse(text: str) -> Source:
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
    if line not in tab_lines and not tab_lines:
        problem = exc.problem or "invalid YAML"
        culprit = _indent_culprit(lines, line) if _INDENT_PROBLEMS.search(problem) else None
        if culprit is not None:
            out.append(Diagnostic("yaml-indent", "error", "", *culprit))
            return out
        ctx = f" ({exc.context})" if exc.context else ""
        prev = _previous_content(lines, line)
        where = "this line" if prev is None else \
            "this line and the one above" if prev == line - 1 else f"this line and line {prev}"
        out.append(Diagnostic("yaml-syntax", "error", "", line, col, f"YAML syntax error: {problem}{ctx}",
                              f"check indentation, colons and quotes on {where}"))
    return out


_INDENT_PROBLEMS = re.compile(r"did not find expected key|expected <document start>|mapping values are not allowed|expected <block end>|"
                              r"did not find expected '-' indicator|could not find expected ':'")
_OPENER = re.compile(r"(:|:\s+[|>][-+0-9]*|^\s*-|:\s+&\S+)\s*(#.*)?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith("#")


def _previous_content(lines: list[str], line: int) -> int | None:
    for i in range(line - 2, -1, -1):
        if _is_content(lines[i]):
            return i + 1
    return None


def _content_lines(lines: list[str], upto: int) -> list[int]:
    """1-based numbers of the lines that hold YAML structure before `upto` (comments, blank lines
    and the bodies of block scalars left out)."""
    out: list[int] = []
    scalar_indent: int | None = None
    for i in range(min(upto - 1, len(lines))):
        ln = lines[i]
        if scalar_indent is not None:
            if not ln.strip() or _indent(ln) > scalar_indent:
                continue
            scalar_indent = None
        if not _is_content(ln):
            continue
        out.append(i + 1)
        if re.search(r":\s+[|>][-+0-9]*\s*(#.*)?$", ln):
            scalar_indent = _indent(ln)
    return out


def _spaces(n: int) -> str:
    return f"{n} space" if n == 1 else f"{n} spaces"


def _indent_culprit(lines: list[str], err: int) -> tuple[int, int, str, str] | None:
    """The line whose indentation breaks the structure, when the parser stopped further down.

    Un-indenting one key (`replicas: 1` moved to column 1) is valid YAML by itself: it closes the
    block it belonged to, and the parser only fails at the next line indented for that block.
    That line is fine; the one to fix is the key that left its block."""
    if err < 1 or err > len(lines) or not _is_content(lines[err - 1]):
        return None
    content = _content_lines(lines, len(lines) + 1)
    if content and _indent(lines[content[0] - 1]) > 0 and err != content[0] and \
            any(_indent(lines[n - 1]) == 0 for n in content):
        first = content[0]
        return (first, _indent(lines[first - 1]) + 1,
                f"line {first}, the first key, is indented; the keys after it start at the first column",
                f"remove the {_spaces(_indent(lines[first - 1]))} before it")
    ind = {n: _indent(lines[n - 1]) for n in content}
    e = ind.get(err, _indent(lines[err - 1]))

    def key(n: int) -> str:
        return lines[n - 1].strip().split(":", 1)[0].lstrip("- ").strip()

    def opens(n: int) -> bool:
        return bool(_OPENER.search(lines[n - 1].rstrip()))

    # one line off by one space in a file indented in steps of two
    odd = [n for n in content if ind[n] % 2]
    if len(odd) == 1 and odd[0] <= err and len(content) > 3:
        n = odd[0]
        return (n, ind[n] + 1, f"line {n} (`{key(n)}`) is indented by {_spaces(ind[n])}, one off from the "
                "lines around it (this file indents in steps of two)",
                f"indent line {n} by {_spaces(ind[n] - 1)} or {_spaces(ind[n] + 1)}, whichever block it belongs to")
    before = [n for n in content if n < err]
    parent = next((n for n in reversed(before) if ind[n] < e), None)
    if parent is None:
        return (err, e + 1, f"line {err} is indented by {_spaces(e)} but nothing above it opens a block",
                "start it at the first column, like the keys above it")
    between = [n for n in before if n > parent]
    dashes = [n for n in between if ind[n] == e and lines[n - 1].lstrip().startswith("- ")]
    if dashes and not lines[err - 1].lstrip().startswith("-"):
        item = dashes[-1]
        inner = e + 2 + _indent(lines[item - 1].lstrip()[1:]) - 1
        return (err, e + 1,
                f"line {err} is indented like the `-` of the list item on line {item}; the keys of that item "
                f"sit {_spaces(inner)} deep", f"indent line {err} by {_spaces(inner)}, like `{key(item)}` on line "
                f"{item} (or start it with `- ` for a new item)")
    if any(ind[n] == e for n in between):
        return None
    above = [n for n in before if n < parent]
    prior = above[-1] if above else None
    if prior is not None and opens(prior) and ind[parent] <= ind[prior] < e:
        # the block `prior` opens got nothing: `parent` was meant to be its first key
        return (parent, ind[parent] + 1,
                f"line {parent} (`{key(parent)}`) is indented less than the lines around it: it should be "
                f"inside `{key(prior)}` (line {prior}), so line {err}, indented for that block, has nothing to "
                "belong to", f"indent line {parent} by {_spaces(e)}, like line {err}")
    levels: list[int] = [0]
    for n in above:
        while levels and levels[-1] > ind[n]:
            levels.pop()
        if not levels or levels[-1] != ind[n]:
            levels.append(ind[n])
    if e in levels:
        return (parent, ind[parent] + 1,
                f"line {parent} (`{key(parent)}`) is indented less than the lines around it: it closes the block "
                f"it belonged to, so line {err}, indented for that block, has nothing to belong to",
                f"indent line {parent} by {_spaces(e)}, like line {err}")
    if opens(parent):
        firsts = [n for n in between if ind[n] == ind[between[0]]] if between else []
        if len(firsts) == 1 and all(ind[n] > e for n in between) and not opens(between[0]):
            first = between[0]
            return (first, ind[first] + 1,
                    f"line {first} (`{key(first)}`) is indented deeper than the keys after it (line {err}, "
                    f"{_spaces(e)}), so `{key(parent)}` gets two blocks at different depths",
                    f"indent line {first} by {_spaces(e)}, like line {err}")
        if between and all(ind[n] > e for n in between):
            return (err, e + 1,
                    f"line {err} is indented by {_spaces(e)}, less than the block above it (line {between[0]}, "
                    f"{_spaces(ind[between[0]])}) and more than `{key(parent)}` (line {parent}): it matches no "
                    "block", f"indent it by {_spaces(ind[between[0]])} (inside `{key(parent)}`) or by "
                    f"{_spaces(ind[parent])} (beside it)")
        return None
    return (err, e + 1,
            f"line {err} is indented deeper than line {parent} (`{key(parent)}`), which holds a value and "
            "cannot have keys below it",
            f"indent line {err} like line {parent} ({_spaces(ind[parent])}), or end line {parent} with "
            f"`{key(parent)}:` and nothing after it to open a block")


def _check_size(root) -> None:
    """Refuse an alias bomb or a too-deep file before a single value is built."""
    try:
        expanded_size(root)
    except OverBudget as over:
        if over.why == "deep":
            raise _Refused("yaml-too-deep", _too_deep().message, _too_deep().hint) from None
        if over.why == "recursive":
            raise _Refused("yaml-alias-bomb", "an alias refers to its own anchor (a recursive document)",
                           "remove the self-referencing alias", over.line, over.column) from None
        raise _Refused("yaml-alias-bomb",
                       f"aliases in this file expand to more than {MAX_NODES:,} values "
                       "(an alias bomb, or a file far larger than any values file)",
                       "remove the anchors/aliases (&name / *name) or write the values out",
                       over.line, over.column) from None


_TAG_KIND = {"!!int": "an integer", "!!float": "a number", "!!bool": "true or false",
             "!!timestamp": "a date or time", "!!binary": "base64 data", "!!null": "null"}


def _short_tag(tag: str) -> str:
    return "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag


def _content_end(node, depth: int = 0):
    """The end mark of the value's last character: a scalar's or a flow collection's own end,
    else the end of its last item (block collections end where the next key starts)."""
    while depth < MAX_DEPTH:
        if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False) or not node.value:
            return node.end_mark
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
        depth += 1
    return node.end_mark


# helm reads values with a YAML 1.1 parser that also takes y/Y/n/N as booleans; PyYAML (and most
# editors) read them as text. The same file means two things.
_GO_BOOLS = {"y": "true", "Y": "true", "n": "false", "N": "false"}


class _Builder:
    """Values from the node graph, recording positions and duplicate keys."""

    def _go_bool(self, node, path, what: str) -> None:
        word = node.value
        self.src.diagnostics.append(Diagnostic(
            "yaml-go-bool", "warning", format_path(path), node.start_mark.line + 1, node.start_mark.column + 1,
            f"the unquoted {what} `{word}` is the boolean {_GO_BOOLS[word]} for helm (YAML 1.1), but text for "
            "gaie-tui and most editors", f'quote it ("{word}") if text is meant, or write {_GO_BOOLS[word]}'))

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
        except Exception as exc:  # noqa: BLE001 - PyYAML raises ValueError, KeyError … for `!!int abc`
            # the value itself is never quoted: it may be a token, and PyYAML's own messages
            # re-render it (without its underscores, for !!int) where no redaction finds it
            tag = _short_tag(node.tag)
            raise _Refused("yaml-tag", f"the value tagged `{tag}` cannot be read as {_TAG_KIND.get(tag, tag)}",
                           f"remove the `{tag}` tag, or write a value of that kind (quote it if it is text)",
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
            if not k.style and key in _GO_BOOLS:
                self._go_bool(k, path, "key")
            if isinstance(v, yaml.ScalarNode) and not v.style and v.value in _GO_BOOLS and v.tag == _STR_TAG:
                self._go_bool(v, path, "value")
            if key in first:
                self.src.diagnostics.append(Diagnostic(
                    "duplicate-key", "error", format_path(path), line, col,
                    f"`{key}` appears twice in the same mapping (first on line {first[key]}); "
                    "helm silently keeps only the last one",
                    "merge the two into one key"))
            first[key] = line
            end = _content_end(v)
            self.src.positions[path] = Entry(
                line, col, k.end_mark.column + 1, v.start_mark.line + 1, v.start_mark.column + 1,
                v.end_mark.line + 1, v.end_mark.column + 1, isinstance(v, yaml.ScalarNode),
                getattr(v, "style", None), end.line + 1, end.column + 1)
            out[key] = self.value(v, path)
        for m in merged:  # `<<: *base` — explicit keys win
            sources = m.value if isinstance(m, yaml.SequenceNode) else [m]
            for s in sources:
                if isinstance(s, yaml.MappingNode):
                    for mk, mv in self.mapping(s, keys).items():
                        out.setdefault(mk, mv)
        return out


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comment:
    line: int       # 1-based
    column: int     # 1-based column of the `#`
    text: str       # from the `#` to the end of the line
    whole_line: bool


def comments(text: str) -> list[Comment]:
    """Every YAML comment in the text: a `#` at the start of a line or after a space, outside
    quotes and outside the bodies of block scalars (`key: |`). Works on text that does not parse."""
    out: list[Comment] = []
    scalar_indent: int | None = None
    for n, line in enumerate(text.splitlines(), 1):
        if scalar_indent is not None:
            if not line.strip() or _indent(line) > scalar_indent:
                continue
            scalar_indent = None
        col = _comment_column(line)
        if col is not None:
            out.append(Comment(n, col + 1, line[col:].rstrip("\r"), not line[:col].strip()))
        code = line if col is None else line[:col]
        if re.search(r"(:|^\s*-)\s+[|>][-+0-9]*\s*$", code) or re.match(r"^\s*[|>][-+0-9]*\s*$", code):
            scalar_indent = _indent(line)
    return out


def _comment_column(line: str) -> int | None:
    quote: str | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                if quote == "'" and i + 1 < len(line) and line[i + 1] == "'":
                    i += 2
                    continue
                quote = None
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
        elif ch in "'\"" and (i == 0 or line[i - 1] in " \t:[{,-"):
            quote = ch
        i += 1
    return None


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
