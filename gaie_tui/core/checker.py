"""The values checker, layers 1–3: YAML, the schema of the exact chart version, and the rules for
the silent traps (`facts/charts.md`). Fast enough to run on every keystroke: per-chart work is done
once and cached; `check_text` only walks the user's file.

    check_text(text, chart)            -> list[Diagnostic]  (layers 1–3; deep=True adds layer 4)
    check_source(src, chart)           -> list[Diagnostic]  (an already parsed yamlsource.Source)
    deep_check(text, chart)            -> list[Diagnostic]  (layer 4 only, see render.py)
    path_at(text, line, column)        -> dotted key path under a cursor
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache

from . import yamlsource
from .diagnostics import Diagnostic, Fix, format_path, sort_diagnostics
from .knowledge import Chart
from .schema import ITEM, KeyNode, KeyTree
from .yamlsource import Source, get, path_at  # noqa: F401  (path_at re-exported for the UI)

ERROR, WARNING, INFO = "error", "warning", "info"


# ---------------------------------------------------------------------------------------------
# per-chart facts, computed once

# Maps the templates pass whole through a helper (`include … | fromYaml` of a deep copy) that the
# template analysis cannot follow: every key inside is honoured (checked by rendering).
OPEN_THROUGH_HELPERS: dict[str, tuple[str, ...]] = {
    "llm-d-router-gateway": ("router.proxy",),
}


@dataclass
class ChartFacts:
    chart: Chart
    tree: KeyTree
    family: str
    version: str
    names: dict[str, list[str]] = field(default_factory=dict)   # last key segment → paths
    live: set[int] = field(default_factory=set)                 # ids of nodes read themselves or below
    open_paths: frozenset = frozenset()                         # maps passed through helpers whole


    @property
    def layout(self):
        return self.chart.layout.layout


_FACTS: dict[tuple, ChartFacts] = {}
_LOCK = threading.Lock()


def facts_for(chart: Chart) -> ChartFacts:
    key = (chart.name, chart.version, chart.knowledge.digest, id(chart.knowledge))
    f = _FACTS.get(key)
    if f is None:
        names: dict[str, list[str]] = {}
        for p in chart.tree.all_paths():
            last = p.rsplit(".", 1)[-1]
            if last and not last.endswith(ITEM):
                names.setdefault(last, []).append(p)
        live: set[int] = set()

        def mark(n: KeyNode) -> bool:
            hit = n.read
            for c in n.children.values():
                hit = mark(c) or hit
            if n.item is not None:
                hit = mark(n.item) or hit
            if hit:
                live.add(id(n))
            return hit

        mark(chart.tree.root)
        f = ChartFacts(chart=chart, tree=chart.tree, family=chart.family, version=chart.version, names=names,
                       live=live, open_paths=frozenset(OPEN_THROUGH_HELPERS.get(chart.family, ())))
        with _LOCK:
            _FACTS[key] = f
    return f


@lru_cache(maxsize=4)
def family_index(family: str) -> dict[str, list[str]]:
    """Normalised path → the released versions (bundled knowledge) whose charts know it."""
    from .chartref import FAMILIES
    from .knowledge import load_bundled
    out: dict[str, list[str]] = {}
    fam = FAMILIES.get(family)
    if fam is None:
        return out
    for v in fam.released:
        k = load_bundled(family, v)
        if k is None:
            continue
        for p in KeyTree(k).all_paths():
            out.setdefault(p, []).append(v)
    return out


def norm_path(keys) -> str:
    out = ""
    for k in keys:
        if isinstance(k, int):
            out += ITEM
        else:
            out += f".{k}" if out else str(k)
    return out


def version_span(found: list[str], family: str) -> str:
    """['v1.4.0', 'v1.5.0'] → 'v1.4.0–v1.5.0' (contiguous runs of the released list)."""
    from .chartref import FAMILIES
    released = list(FAMILIES[family].released) if family in FAMILIES else sorted(found)
    runs: list[list[str]] = []
    for v in released:
        if v in found:
            if runs and released.index(runs[-1][-1]) == released.index(v) - 1:
                runs[-1].append(v)
            else:
                runs.append([v])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


# ---------------------------------------------------------------------------------------------
def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with transpositions, giving up above `limit` (returns limit + 1)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    a, b = a.lower(), b.lower()
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _limit(name: str) -> int:
    return 1 if len(name) <= 4 else 2 if len(name) <= 12 else 3


def closest(name: str, candidates) -> str | None:
    best, best_d = None, _limit(name) + 1
    for c in candidates:
        if c == name:
            continue
        d = edit_distance(name, c, _limit(name))
        if d < best_d:
            best, best_d = c, d
    return best


# ---------------------------------------------------------------------------------------------
class Ctx:
    def __init__(self, src: Source, facts: ChartFacts) -> None:
        self.src = src
        self.f = facts
        self.values: dict = src.values or {}
        self.defaults: dict = facts.chart.knowledge.defaults
        self.lay = facts.layout
        self.diags: list[Diagnostic] = []
        self.claimed: set[tuple] = set()

    # helpers -----------------------------------------------------------------------------
    def emit(self, code: str, severity: str, keys, message: str, hint: str = "", fix: Fix | None = None,
             at=None) -> Diagnostic:
        line, col = self.src.where(keys if at is None else at)
        d = Diagnostic(code, severity, format_path(keys), line, col, message, hint, fix)
        self.diags.append(d)
        return d

    def claim(self, keys) -> None:
        self.claimed.add(tuple(keys))

    def is_claimed(self, keys) -> bool:
        keys = tuple(keys)
        return any(keys[:i] in self.claimed for i in range(1, len(keys) + 1))

    def user(self, dotted: str):
        return get(self.values, _split(dotted))

    def effective(self, dotted: str):
        """The value helm would see: the user's where set, else the chart default."""
        keys = _split(dotted)
        cur_u, cur_d = self.values, self.defaults
        for k in keys:
            cur_u = cur_u.get(k) if isinstance(cur_u, dict) else None
            cur_d = cur_d.get(k) if isinstance(cur_d, dict) else None
        if cur_u is None:
            return cur_d
        if isinstance(cur_u, dict) and isinstance(cur_d, dict):
            merged = dict(cur_d)
            merged.update({k: v for k, v in cur_u.items() if v is not None})
            return merged
        return cur_u

    def rename_fix(self, keys, new_key: str, title: str) -> Fix | None:
        e = self.src.positions.get(tuple(keys))
        if e is None:
            return None
        return Fix(title, e.line, e.column, e.line, e.key_end, new_key)

    def value_fix(self, keys, new_value, title: str) -> Fix | None:
        """Replace a key's value (scalar or block) with `new_value` dumped as YAML."""
        import yaml
        e = self.src.positions.get(tuple(keys))
        if e is None:
            return None
        if isinstance(new_value, (dict, list)) and new_value:
            indent = " " * (e.column - 1 + 2)
            body = yaml.safe_dump(new_value, default_flow_style=False, sort_keys=False, width=1000)
            text = "\n" + "".join(indent + ln + "\n" for ln in body.rstrip("\n").splitlines())
            # a block value's end mark sits where the next key starts: keep the line break and the
            # next key's indentation out of the edit
            end_line, end_col = _trim_end(self.src.text, e.value_end_line, e.value_end_column)
            return Fix(title, e.line, e.key_end + 1, end_line, end_col, text.rstrip("\n"))
        scalar = yaml.safe_dump(new_value, default_flow_style=True).strip().removesuffix("...").strip()
        return Fix(title, e.value_line, e.value_column, e.value_end_line, e.value_end_column, scalar)


def _trim_end(text: str, line: int, col: int) -> tuple[int, int]:
    lines = text.splitlines(keepends=True)
    off = sum(len(x) for x in lines[: line - 1]) + col - 1
    while off > 0 and text[off - 1] in " \t\r\n":
        off -= 1
    before = text[:off]
    return before.count("\n") + 1, off - (before.rfind("\n") + 1) + 1


def _split(dotted: str) -> tuple:
    return tuple(p for p in dotted.split(".") if p)


# ---------------------------------------------------------------------------------------------
def check_text(text: str, chart: Chart, *, deep: bool = False, helm: str | None = None) -> list[Diagnostic]:
    src = yamlsource.parse(text)
    diags = check_source(src, chart)
    if deep and src.ok and not any(d.severity == ERROR and d.code.startswith("yaml-") for d in diags):
        from .render import deep_check_source
        diags = sort_diagnostics(diags + deep_check_source(src, chart, helm=helm, known=diags))
    return diags


def check_source(src: Source, chart: Chart) -> list[Diagnostic]:
    diags = list(src.diagnostics)
    if src.values is None:
        return sort_diagnostics(diags)
    ctx = Ctx(src, facts_for(chart))
    from . import rules
    for rule in rules.RULES:
        rule(ctx)
    walk_schema(ctx, ctx.f.tree.root, ctx.values, ())
    check_required(ctx)
    return sort_diagnostics(diags + ctx.diags)


def deep_check(text: str, chart: Chart, *, helm: str | None = None) -> list[Diagnostic]:
    from .render import deep_check_source
    src = yamlsource.parse(text)
    if not src.ok:
        return sort_diagnostics(src.diagnostics)
    return deep_check_source(src, chart, helm=helm, known=check_source(src, chart))


# ---------------------------------------------------------------------------------------------
# layer 2: the schema of this chart version
_PY_TYPE = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "map"}


def _kind(v) -> str:
    return _PY_TYPE.get(type(v), "value")


def _a_kind(v) -> str:
    kind = _kind(v)
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def walk_schema(ctx: Ctx, node: KeyNode, value, keys: tuple) -> None:
    if isinstance(value, dict):
        if (node.open and not node.children) or node.path in ctx.f.open_paths:
            return
        for k, v in value.items():
            path = keys + (k,)
            if ctx.is_claimed(path):
                continue
            child = node.children.get(k)
            if child is None and node.item is not None and node.type in ("object", None):
                child = node.item
            if child is None:
                if not node.open:
                    unknown_key(ctx, node, path, v)
                continue
            if not check_type(ctx, child, v, path):
                continue
            if child.listed and id(child) not in ctx.f.live:
                not_read(ctx, child, path, v)
                continue
            walk_schema(ctx, child, v, path)
    elif isinstance(value, list):
        item = node.item
        if item is None or node.open:  # a list the chart dumps whole: any item shape goes
            return
        for i, v in enumerate(value):
            path = keys + (i,)
            if ctx.is_claimed(path):
                continue
            if check_type(ctx, item, v, path):
                walk_schema(ctx, item, v, path)


def check_type(ctx: Ctx, node: KeyNode, v, keys) -> bool:
    """True when the value's shape fits (so the walk may descend)."""
    t = node.type
    if v is None:
        return True
    if t is None:
        if node.item is not None and not isinstance(v, (dict, list)):
            ctx.emit("wrong-type", ERROR, keys, f"`{format_path(keys)}` must be a list on {_cv(ctx)}; {_a_kind(v)} "
                     "here fails to render (helm: range can't iterate over it)", _example_hint(node))
            return False
        return True
    name = format_path(keys)
    if t == "object":
        if isinstance(v, dict):
            return True
        ctx.emit("wrong-type", ERROR, keys, f"`{name}` is a map of settings on {_cv(ctx)}; this is {_a_kind(v)}",
                 _example_hint(node))
        return False
    if t == "array":
        if isinstance(v, list):
            return True
        what = "fails to render (helm: range can't iterate over it)" if not isinstance(v, dict) else \
            "is not a list: the chart renders it wrongly or fails"
        ctx.emit("wrong-type", ERROR, keys, f"`{name}` must be a list on {_cv(ctx)}; {_a_kind(v)} here {what}",
                 _example_hint(node))
        return False
    if ITEM in node.path and t not in ("object", "array"):
        return True  # scalar types of list items come from one example in the defaults: too weak to enforce
    if isinstance(v, (dict, list)):
        if node.open:
            return True
        ctx.emit("wrong-type", ERROR, keys, f"`{name}` is a single {t} value; this is {_a_kind(v)}",
                 f"write one {t}, e.g. {name.rsplit('.', 1)[-1]}: {_default_text(node)}")
        return False
    if t == "integer":
        if isinstance(v, bool):
            ctx.emit("wrong-type", ERROR, keys, f"`{name}` is a number; `{v}` is a boolean",
                     f"e.g. {_default_text(node)}")
        elif isinstance(v, float) and not v.is_integer():
            ctx.emit("wrong-type", WARNING, keys, f"`{name}` is a whole number; {v} is not",
                     f"e.g. {_default_text(node)}")
        elif isinstance(v, str):
            if v.strip().lstrip("-").isdigit():
                ctx.emit("wrong-type", WARNING, keys, f"`{name}` is a number but is written as text (\"{v}\")",
                         f"drop the quotes: {name.rsplit('.', 1)[-1]}: {v.strip()}",
                         ctx.value_fix(keys, int(v.strip()), "write the number without quotes"))
            else:
                ctx.emit("wrong-type", ERROR, keys,
                         f"`{name}` is a number; \"{_short(v)}\" is text — helm renders it, then Kubernetes "
                         "rejects the object (or the chart fails)",
                         f"e.g. {name.rsplit('.', 1)[-1]}: {_default_text(node)}")
        return True
    if t == "number":
        if isinstance(v, bool) or isinstance(v, str):
            ctx.emit("wrong-type", ERROR, keys, f"`{name}` is a number; this is {_a_kind(v)}",
                     f"e.g. {_default_text(node)}")
        return True
    if t == "boolean":
        if isinstance(v, bool):
            return True
        if isinstance(v, str) and v.strip().lower() in ("true", "false", "yes", "no", "on", "off"):
            truthy = v.strip().lower() in ("false", "no", "off")
            ctx.emit("wrong-type", ERROR if truthy else WARNING, keys,
                     f"`{name}` is a boolean written as text (\"{v}\")"
                     + ("; any non-empty text counts as true in the chart's templates, so this switches it ON"
                        if truthy else ""),
                     f"drop the quotes: {name.rsplit('.', 1)[-1]}: {v.strip().lower() in ('true', 'yes', 'on')}"
                     .replace("True", "true").replace("False", "false"),
                     ctx.value_fix(keys, v.strip().lower() in ("true", "yes", "on"), "write a boolean"))
        else:
            ctx.emit("wrong-type", ERROR, keys, f"`{name}` is true or false; this is {_a_kind(v)}",
                     f"e.g. {name.rsplit('.', 1)[-1]}: {_default_text(node)}")
        return True
    return True


def _short(v: str) -> str:
    return v if len(v) <= 30 else v[:27] + "…"


def _cv(ctx: Ctx) -> str:
    return f"{ctx.f.family} {ctx.f.version}"


def _default_text(node: KeyNode) -> str:
    if node.has_default and node.type not in ("object", "array"):
        import json
        return json.dumps(node.default) if isinstance(node.default, str) else str(node.default).lower() \
            if isinstance(node.default, bool) else str(node.default)
    return {"integer": "1", "number": "1", "boolean": "true", "string": '"text"'}.get(node.type or "", "…")


def _example_hint(node: KeyNode) -> str:
    import json
    if node.type == "array":
        if node.has_default and node.default:
            return f"write a list, like the chart's default: {json.dumps(node.default)}"
        if node.item is not None and node.item.children:
            return "write a list of maps with " + ", ".join(f"`{c}`" for c in sorted(node.item.children))
        return "write a YAML list (items starting with `- `)"
    if node.children:
        return "write a map with keys such as " + ", ".join(f"`{c}`" for c in list(node.children)[:4])
    return "write a map of key: value"


def not_read(ctx: Ctx, node: KeyNode, keys, v) -> None:
    name = format_path(keys)
    same = node.has_default and v == node.default
    if same:
        ctx.emit("not-read", INFO, keys,
                 f"`{name}` is listed in {_cv(ctx)}'s values.yaml but no template reads it (it has no effect)",
                 "you can delete it")
    else:
        ctx.emit("not-read", WARNING, keys,
                 f"`{name}` is listed in {_cv(ctx)}'s values.yaml but no template reads it: changing it has no effect",
                 "delete it; " + _elsewhere_hint(ctx, keys))


def _elsewhere_hint(ctx: Ctx, keys) -> str:
    found = family_index(ctx.f.family).get(norm_path(keys), [])
    others = [v for v in found if v != ctx.f.version]
    return f"it is read by {ctx.f.family} {version_span(others, ctx.f.family)}" if others else \
        "this chart version does not support it"


# ---------------------------------------------------------------------------------------------
def unknown_key(ctx: Ctx, parent: KeyNode, keys: tuple, value) -> None:
    from . import rules
    for explain in rules.UNKNOWN_EXPLAINERS:
        if explain(ctx, parent, keys, value):
            return
    name = format_path(keys)
    key = keys[-1]
    where = f"under `{format_path(keys[:-1])}`" if len(keys) > 1 else "at the top level"
    # 1. the same path in other versions of this family
    found = family_index(ctx.f.family).get(norm_path(keys))
    if found:
        ctx.emit("not-in-version", ERROR, keys,
                 f"`{name}` is not read by {_cv(ctx)}: helm silently ignores it",
                 f"it exists in {ctx.f.family} {version_span(found, ctx.f.family)}; on {ctx.f.version} remove it"
                 + _other_place_hint(ctx, keys, prefix="; "))
        return
    # 2. a sibling with a near name (typo)
    if isinstance(key, str):
        sib = closest(key, parent.children.keys())
        if sib is not None:
            ctx.emit("unknown-key", ERROR, keys, f"unknown key `{key}` {where}: helm silently ignores it",
                     f"did you mean `{format_path(keys[:-1] + (sib,))}`?",
                     ctx.rename_fix(keys, sib, f"rename to {sib}"))
            return
    # 3. the key exists elsewhere in this version's tree
    other = _other_place_hint(ctx, keys)
    if other:
        ctx.emit("misplaced-key", ERROR, keys, f"`{key}` is not read {where} on {_cv(ctx)}: helm silently ignores it",
                 other)
        return
    # 4. a near name anywhere in the tree
    if isinstance(key, str):
        near = _closest_anywhere(ctx.f, key)
        hint = f"did you mean `{near}`?" if near else \
            f"{_cv(ctx)} reads no such key; see `gaie-tui schema --chart {ctx.f.family}@{ctx.f.version}`"
        ctx.emit("unknown-key", ERROR, keys, f"unknown key `{key}` {where}: helm silently ignores it", hint)


def _other_place_hint(ctx: Ctx, keys, prefix: str = "") -> str:
    key = keys[-1]
    if not isinstance(key, str):
        return ""
    paths = [p for p in ctx.f.names.get(key, []) if p != norm_path(keys)]
    if not paths:
        return ""
    # prefer the place that shares the user's trailing context
    paths.sort(key=lambda p: (p.count("."), p))
    shown = ", ".join(f"`{p}`" for p in paths[:3])
    return f"{prefix}on {ctx.f.version} `{key}` is read at {shown}"


def _closest_anywhere(f: ChartFacts, key: str) -> str | None:
    return _closest_anywhere_cached(id(f), key, tuple(f.names))  # names are stable per chart


@lru_cache(maxsize=2048)
def _closest_anywhere_cached(_fid: int, key: str, names: tuple) -> str | None:
    best = closest(key, names)
    if best is None:
        return None
    for f in _FACTS.values():
        if id(f) == _fid:
            paths = sorted(f.names[best], key=lambda p: (p.count("."), p))
            return paths[0]
    return best


# ---------------------------------------------------------------------------------------------
def check_required(ctx: Ctx) -> None:
    tree = ctx.f.tree

    def walk(node: KeyNode, keys: tuple) -> None:
        for name in sorted(node.required):
            child_keys = keys + (name,)
            child = node.children.get(name)
            dotted = ".".join(child_keys)
            value = ctx.effective(dotted)
            if _skip_required(ctx, dotted):
                continue
            if value in (None, {}, [], ""):
                if ctx.is_claimed(child_keys):
                    continue
                # name the deepest key the chart insists on (matchLabels, not modelServers)
                node_ = child
                while node_ is not None and len(node_.required) == 1:
                    nxt = next(iter(node_.required))
                    child_keys = child_keys + (nxt,)
                    node_ = node_.children.get(nxt)
                dotted = ".".join(child_keys)
                ctx.emit("missing-required", ERROR, child_keys,
                         f"`{dotted}` is required by {_cv(ctx)} and is not set (helm fails: "
                         f"{dotted} is required)",
                         _required_hint(ctx, dotted))
                continue
            if child is not None and child.required and isinstance(value, dict):
                walk(child, child_keys)

    walk(tree.root, ())


def _skip_required(ctx: Ctx, dotted: str) -> bool:
    # the chart skips the matchLabels check for the v1alpha2 API before v1.5.0
    if ctx.f.family == "inferencepool" and dotted.startswith("inferencePool"):
        from . import versions
        api = ctx.effective("inferencePool.apiVersion")
        if isinstance(api, str) and "x-k8s.io" in api and versions.key(ctx.f.version) < (1, 5, 0):
            return True
    return False


def _required_hint(ctx: Ctx, dotted: str) -> str:
    if dotted.endswith("matchLabels"):
        return 'the labels your model-server pods carry, e.g. matchLabels: {llm-d.ai/inference-serving: "true"}'
    if dotted.endswith(("cpu", "memory")):
        return "set the EPP's resource requests, e.g. cpu: \"4\", memory: 8Gi"
    return "set it"
