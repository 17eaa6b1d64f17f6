"""Which `.Values` paths a chart's Go templates read, and how.

Helm ignores values no template reads, so the templates (not values.yaml) decide what is valid.
This is not a Go-template interpreter: it follows the constructs these charts use — absolute
`.Values.a.b` and `$.Values…`, `index X "a" "b"`, variables bound to value paths, and the dot
rebound by `with` / `range` — which is enough to learn keys that values.yaml never lists
(`provider.istio.destinationRule.host`, `inferenceExtension.pluginsCustomConfig`, …).

Paths use `.` between keys and `[]` for "any item of a list" / "any value of a map".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.S)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'        # string
    r"|`[^`]*`"                 # raw string
    r"|\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*"  # $var or $var.a.b or $.a.b
    r"|\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*"  # .a.b
    r"|\.(?![A-Za-z0-9_])"      # bare dot
    r"|:=|=|\(|\)|\||,"
    r"|[A-Za-z_][A-Za-z0-9_]*"  # function / keyword
    r"|[^\s]"
)
_NON_VALUES_ROOTS = {"Release", "Chart", "Capabilities", "Template", "Files"}
ITEM = "[]"
_PASS_THROUGH = {"deepCopy", "mustDeepCopy", "toString", "int", "int64", "quote", "trim", "lower", "upper"}

# usage flags
READ = "read"        # the value itself is used
WHOLE = "whole"      # dumped as a whole (toYaml/toJson) or ranged as key/value: any content goes
RANGE = "range"      # iterated


@dataclass
class TemplateReads:
    """Every values path the templates read, with how each is used."""

    usage: dict[str, set[str]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)     # paths the chart fails without
    forbidden: set[str] = field(default_factory=set)  # top-level keys whose presence fails the render

    def add(self, path: str, how: str) -> None:
        if path:
            self.usage.setdefault(path, set()).add(how)


@dataclass
class _Scope:
    kind: str            # if / with / range / define / root
    dot: str | None      # values path the dot stands for ("" = root context, None = unknown)
    vars: dict[str, str]  # $name → values path


def _join(base: str, rest: str) -> str:
    if not rest:
        return base
    return f"{base}.{rest}" if base else rest


class _Expr:
    """Resolves one action's tokens to values paths, recording reads as a side effect."""

    def __init__(self, tokens: list[str], scope: _Scope, reads: TemplateReads) -> None:
        self.toks = tokens
        self.i = 0
        self.scope = scope
        self.reads = reads

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> str | None:
        tok = self.peek()
        self.i += 1
        return tok

    def pipeline(self) -> str | None:
        """Parse `cmd | cmd | …`; returns the path of the piped value when it stays a path."""
        path = self.command()
        while self.peek() == "|":
            self.take()
            fn = self.peek()
            before = self.i
            result = self.command(piped=path)
            if fn in ("toYaml", "toJson", "toPrettyJson", "toRawJson") and path is not None:
                self.reads.add(path, WHOLE)
            # `x | default y` keeps x's path; most other functions produce a new value
            path = path if fn in ("default", "quote", "squote", "int", "toString", "trim",
                                  "lower", "upper", "trunc", "nindent", "indent") else result
            if self.i == before:
                self.take()
        return path

    def command(self, piped: str | None = None) -> str | None:
        """A function call with its arguments, or a single operand."""
        tok = self.peek()
        if tok is None:
            return None
        if tok == "index":
            self.take()
            base = self.operand()
            keys: list[str] = []
            while (t := self.peek()) is not None and t not in (")", "|"):
                if t.startswith('"'):
                    keys.append(t[1:-1])
                    self.take()
                elif re.fullmatch(r"\d+", t):
                    keys.append(ITEM)
                    self.take()
                else:
                    self.operand()
                    keys.append(ITEM)  # dynamic key: any entry
            if base is None:
                return None
            path = base
            for k in keys:
                path = f"{path}{ITEM}" if k == ITEM else _join(path, k)
            self.reads.add(path, READ)
            return path
        if tok in ("toYaml", "toJson", "toPrettyJson", "toRawJson"):
            self.take()
            args = self.args()
            for a in args:
                if a is not None:
                    self.reads.add(a, WHOLE)
            if piped is not None:
                self.reads.add(piped, WHOLE)
            return None
        if tok == "required":
            self.take()
            args = self.args()
            if len(args) >= 2 and args[-1] is not None:
                self.reads.required.add(args[-1])
            return args[-1] if args else None
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tok) and tok not in ("nil", "true", "false"):
            self.take()
            args = self.args()
            # copies and conversions keep pointing at the same value
            if tok in _PASS_THROUGH and len(args) == 1:
                return args[0]
            if tok == "coalesce":
                # the first argument wins whenever it is set; charts put the current key first and
                # a legacy fallback after it (which then never takes effect when defaults fill the first)
                return next((a for a in args if a is not None), None)
            return None
        return self.operand()

    def args(self) -> list[str | None]:
        out = []
        while (t := self.peek()) is not None and t not in (")", "|"):
            out.append(self.operand())
        return out

    def operand(self) -> str | None:
        tok = self.take()
        if tok is None:
            return None
        if tok == "(":
            path = self.pipeline()
            if self.peek() == ")":
                self.take()
            # `(index $x "a").b` field access on a parenthesised value
            if (nxt := self.peek()) and nxt.startswith(".") and len(nxt) > 1 and path is not None:
                self.take()
                path = _join(path, nxt[1:])
                self.reads.add(path, READ)
            return path
        if tok.startswith("$"):
            name, _, rest = tok.partition(".")
            if name == "$":
                if rest.startswith("Values"):
                    path = rest[len("Values"):].lstrip(".")
                    self.reads.add(path, READ)
                    return path
                return None
            base = self.scope.vars.get(name)
            if base is None:
                return None
            path = _join(base, rest)
            self.reads.add(path, READ)
            return path
        if tok.startswith("."):
            if tok == ".":
                dot = self.scope.dot
                if dot:
                    self.reads.add(dot, READ)
                return dot
            parts = tok[1:].split(".")
            if parts[0] == "Values":
                path = ".".join(parts[1:])
                self.reads.add(path, READ)
                return path
            if parts[0] in _NON_VALUES_ROOTS:
                return None
            if self.scope.dot:  # relative to a values path bound by with/range
                path = _join(self.scope.dot, ".".join(parts))
                self.reads.add(path, READ)
                return path
            return None
        return None


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text) if t.strip()]


def analyse(sources: dict[str, str], reads: TemplateReads | None = None) -> TemplateReads:
    """Analyse template files (name → text). `define` bodies are read as if included with the
    root context, which is how these charts include them."""
    reads = reads or TemplateReads()
    for _name, text in sorted(sources.items()):
        _analyse_one(_COMMENT.sub("", text), reads)
    _collect_failures(sources, reads)
    return reads


def _analyse_one(text: str, reads: TemplateReads) -> None:
    stack = [_Scope("root", "", {})]
    for m in _ACTION.finditer(text):
        toks = _tokens(m.group(1))
        if not toks:
            continue
        head = toks[0]
        scope = stack[-1]
        if head == "end":
            if len(stack) > 1:
                stack.pop()
            continue
        if head == "else":
            # `else if …` / `else with …` keep the block; the dot of a with-else is the outer one
            if len(toks) > 1 and toks[1] in ("if", "with"):
                _Expr(toks[2:], scope, reads).pipeline()
            if scope.kind in ("with", "range") and len(stack) > 1:
                stack[-1] = _Scope(scope.kind, stack[-2].dot, dict(stack[-2].vars))
            continue
        if head in ("define", "block"):
            stack.append(_Scope("define", "", {}))
            continue
        if head == "if":
            _Expr(toks[1:], scope, reads).pipeline()
            stack.append(_Scope("if", scope.dot, dict(scope.vars)))
            continue
        if head == "with":
            var, rest = _binding(toks[1:])
            path = _Expr(rest, scope, reads).pipeline()
            new_vars = dict(scope.vars)
            if var and path is not None:
                new_vars[var] = path
            stack.append(_Scope("with", path, new_vars))
            continue
        if head == "range":
            names, rest = _range_binding(toks[1:])
            path = _Expr(rest, scope, reads).pipeline()
            new_vars = dict(scope.vars)
            item = f"{path}{ITEM}" if path is not None else None
            if path is not None:
                reads.add(path, RANGE)
                if len(names) == 2:  # range $k, $v := map — keys are free-form
                    reads.add(path, WHOLE)
            if names and item is not None:
                new_vars[names[-1]] = item
            stack.append(_Scope("range", item, new_vars))
            continue
        if head in ("template", "include"):
            continue
        # plain action or a variable assignment
        var, rest = _binding(toks)
        path = _Expr(rest, scope, reads).pipeline()
        if var:
            if path is not None:
                scope.vars[var] = path
            else:
                scope.vars.pop(var, None)


def _binding(toks: list[str]) -> tuple[str | None, list[str]]:
    if len(toks) >= 2 and toks[0].startswith("$") and toks[1] in (":=", "="):
        return toks[0], toks[2:]
    return None, toks


def _range_binding(toks: list[str]) -> tuple[list[str], list[str]]:
    if ":=" in toks:
        i = toks.index(":=")
        names = [t for t in toks[:i] if t.startswith("$")]
        return names, toks[i + 1:]
    return [], toks


_REQUIRED_MSG = re.compile(r'"\.Values\.([A-Za-z0-9_.]+) is required(?:\.[^"]*)?"')
_FORBIDDEN_MSG = re.compile(r'fail\s+"Top-level \'([A-Za-z0-9_]+)\' is deprecated')


def _collect_failures(sources: dict[str, str], reads: TemplateReads) -> None:
    """Unconditional "X is required" failures and top-level keys the chart refuses outright."""
    for text in sources.values():
        for m in _REQUIRED_MSG.finditer(text):
            reads.required.add(m.group(1))
        for m in _FORBIDDEN_MSG.finditer(text):
            reads.forbidden.add(m.group(1))


# ----------------------------------------------------------------------------------------------
# Which switches guard a read: `{{ if .Values.x.enabled }} … .Values.x.args … {{ end }}`.
_VALUES_REF = re.compile(r"\$?\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")
_BLOCK_OPEN = ("if", "with", "range", "define", "block")


def guarded_reads(sources: dict[str, str]) -> dict[str, list[frozenset[str]]]:
    """For every `.Values` path mentioned in the templates, one entry per mention: the values
    paths named (not negated) by the `if` conditions around it. A read whose every mention sits
    inside `if .Values.x.enabled` is read only while that switch is on — the deep check's proof of
    a gate when turning the switch on does not render (it needs more settings than the file has)."""
    out: dict[str, list[frozenset[str]]] = {}
    for text in sources.values():
        text = _COMMENT.sub("", text)
        stack: list[set[str]] = []  # one per open block: the paths its branch condition requires
        for m in _ACTION.finditer(text):
            body = m.group(1).strip()
            head = body.split(None, 1)[0] if body else ""
            if head == "end":
                if stack:
                    stack.pop()
                continue
            if head == "else":
                if stack:
                    stack[-1] = _condition(body[4:].strip().removeprefix("if").strip()) \
                        if body[4:].strip().startswith("if") else set()
                continue
            cond: set[str] = set()
            if head == "if":
                cond = _condition(body[2:])
            guards = frozenset(p for s in stack for p in s)
            for ref in _VALUES_REF.findall(body):
                out.setdefault(ref, []).append(guards | frozenset(cond) if head == "with" else guards)
            if head in _BLOCK_OPEN:
                stack.append(cond if head in ("if", "with") else set())
                if head == "with":
                    stack[-1] = set(_VALUES_REF.findall(body))  # `with X` renders only when X is set
    return out


def _condition(expr: str) -> set[str]:
    """Paths a condition requires to be set/true; a negated path (`not .Values.x`) is left out."""
    negated = set(re.findall(r"\bnot\s+\(?\s*\$?\.Values\.([A-Za-z0-9_.]+)", expr))
    if re.search(r"\bor\b", expr):
        return set()  # either branch may open it: no single switch is required
    return {p for p in _VALUES_REF.findall(expr) if p not in negated}


def gated_by(guards: dict[str, list[frozenset[str]]], path: str, gate: str) -> bool:
    """True when every mention of `path`, of a key under it and of its ancestors sits under `gate`."""
    mentions = [g for p, gs in guards.items()
                if p == path or p.startswith(path + ".") or path.startswith(p + ".") for g in gs
                if p != gate and not gate.startswith(p + ".")]
    return bool(mentions) and all(gate in g for g in mentions)
