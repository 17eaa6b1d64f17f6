"""What every check of one values file shares: the chart's facts (computed once per chart), the
user's values with their positions, and the diagnostics emitted so far. The schema walk
(checker.py) and the rules (rules.py) both work on a `Ctx`; neither imports the other.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache

from ..charts.schema import ITEM, KeyNode, KeyTree
from ..charts.store import Chart
from ..values.diagnostics import Diagnostic, Fix, format_path
from ..values.source import Source, get

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
    from ..charts.refs import FAMILIES
    from ..charts.store import load_bundled
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
    from ..charts.refs import FAMILIES
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
    # one or two letters are too short for any guess to mean something (`a` is not a typo of `v`)
    return 0 if len(name) <= 2 else 1 if len(name) <= 4 else 2 if len(name) <= 12 else 3


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
@dataclass(frozen=True)
class SecretInfo:
    """A Secret the caller found (names and data keys from metadata only, never values): the
    literal-token fix points at one of them with a key it really has."""

    name: str
    keys: tuple[str, ...] | None = None   # None: the keys could not be learnt


class Ctx:
    def __init__(self, src: Source, facts: ChartFacts, secrets: tuple[SecretInfo, ...] = ()) -> None:
        self.src = src
        self.f = facts
        self.values: dict = src.values or {}
        defaults = facts.chart.knowledge.defaults
        self.defaults: dict = defaults if isinstance(defaults, dict) else {}
        self.lay = facts.layout
        self.diags: list[Diagnostic] = []
        self.claimed: set[tuple] = set()
        self.secrets = tuple(secrets)
        self.unknown_seen = 0      # unknown keys met so far (suggestions and listing are capped)
        self.unknown_hidden = 0

    # helpers -----------------------------------------------------------------------------
    def emit(self, code: str, severity: str, keys, message: str, hint: str = "", fix: Fix | None = None,
             at=None) -> Diagnostic:
        file, line, col = self.src.locate(keys if at is None else at)
        d = Diagnostic(code, severity, format_path(keys), line, col, message, hint, fix, file=file)
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
        """The value helm would see (its coalescing): the user's where set, maps merged over the
        chart's, and an explicit null deleting the chart's default."""
        keys = _split(dotted)
        cur_u, cur_d = self.values, self.defaults
        for k in keys:
            if isinstance(cur_u, dict) and k in cur_u and cur_u[k] is None:
                return None  # `key:` with no value deletes the chart's default
            cur_u = cur_u.get(k) if isinstance(cur_u, dict) else None
            cur_d = cur_d.get(k) if isinstance(cur_d, dict) else None
        if cur_u is None:
            return cur_d
        if isinstance(cur_u, dict) and isinstance(cur_d, dict):
            from ..values.layers import coalesce
            return coalesce(cur_u, cur_d)
        return cur_u

    def locate(self, keys) -> tuple[str, int, int]:
        return self.src.locate(keys)

    def file_of(self, keys) -> str:
        return self.src.locate(keys)[0]

    def rename_fix(self, keys, new_key: str, title: str) -> Fix | None:
        e = self.src.positions.get(tuple(keys))
        if e is None:
            return None
        return Fix(title, e.line, e.column, e.line, e.key_end, new_key, file=self.file_of(keys))

    def value_fix(self, keys, new_value, title: str) -> Fix | None:
        """Replace a key's value (scalar or block) with `new_value` dumped as YAML. Comments inside
        the replaced block are kept, above the new block; comments after it are not touched."""
        import yaml

        from ..values.source import comments
        e = self.src.positions.get(tuple(keys))
        if e is None:
            return None
        file = self.file_of(keys)
        if isinstance(new_value, (dict, list)) and new_value:
            indent = " " * (e.column - 1 + 2)
            body = yaml.safe_dump(new_value, default_flow_style=False, sort_keys=False, width=1000)
            end_line, end_col = (e.content_end_line, e.content_end_column) if e.content_end_line else \
                _trim_end(self.src.text_of(keys), e.value_end_line, e.value_end_column)
            kept = [c.text for c in comments(self.src.text_of(keys))
                    if (e.line, e.key_end) < (c.line, c.column) and (c.line, c.column) < (end_line, end_col)]
            text = "".join("\n" + indent + c for c in kept) + "\n" + \
                "\n".join(indent + ln for ln in body.rstrip("\n").splitlines())
            return Fix(title, e.line, e.key_end + 1, end_line, end_col, text, file=file)
        scalar = yaml.safe_dump(new_value, default_flow_style=True).strip().removesuffix("...").strip()
        return Fix(title, e.value_line, e.value_column, e.value_end_line, e.value_end_column, scalar, file=file)


def _trim_end(text: str, line: int, col: int) -> tuple[int, int]:
    lines = text.splitlines(keepends=True)
    off = sum(len(x) for x in lines[: line - 1]) + col - 1
    while off > 0 and text[off - 1] in " \t\r\n":
        off -= 1
    before = text[:off]
    return before.count("\n") + 1, off - (before.rfind("\n") + 1) + 1


def _split(dotted: str) -> tuple:
    return tuple(p for p in dotted.split(".") if p)
