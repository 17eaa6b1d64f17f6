"""Layered values: several files merged exactly as `helm -f a.yaml -f b.yaml` merges them, with
provenance — for every effective value, the file and line that set it.

helm reads the files in order and merges each into the result so far: a map merges into a map
key by key; anything else (a scalar, a list, a map over a non-map, `null`) replaces what was
there — lists are never merged item by item. `null` survives the file merge and later deletes the
chart's default for that key (`coalesce`). A value a later file replaces is *overridden*: it never
reaches the chart, and it is reported as such (`overridden by overlay.yaml:12`), not as dead.

    layered = merge_layers([("base.yaml", text1), ("overlay.yaml", text2)])
    layered.values                     # the merged values helm's chart coalescing starts from
    layered.source                     # a Source over the merged values: positions point into the
                                       # layer that set each key; diagnostics carry that file
    layered.overrides                  # what a later layer replaced, with where
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Diagnostic, format_path
from .source import Entry, Keys, Source, parse


@dataclass(frozen=True)
class Override:
    """Layer `layer`'s setting at `keys` never reaches the chart: layer `by` replaced it at `by_keys`."""

    layer: int
    keys: Keys
    by: int
    by_keys: Keys
    deleted: bool       # the later layer set it to null (deleting it, and the chart's default)
    same: bool          # the later layer wrote the same value


class LayeredSource(Source):
    """A Source over merged values: each key's position is in the layer that set its effective
    value; `locate` names that layer's file. The checker and the deep check use it like one file."""

    def __init__(self, layers: list[Source], values: dict | None, positions: dict[Keys, Entry],
                 origin: dict[Keys, int]) -> None:
        header: dict[str, str] = {}
        for s in layers:
            for k, v in s.header.items():
                header.setdefault(k, v)
        super().__init__(text=layers[-1].text if layers else "", values=values, positions=positions,
                         diagnostics=[d for s in layers for d in s.diagnostics], header=header,
                         name=layers[-1].name if layers else "")
        self.layers = layers
        self.origin = origin

    @property
    def files(self) -> list[str]:
        return [s.name for s in self.layers]

    def layer_of(self, keys) -> int:
        keys = tuple(keys)
        while keys:
            if keys in self.origin:
                return self.origin[keys]
            keys = keys[:-1]
        return len(self.layers) - 1

    def locate(self, keys) -> tuple[str, int, int]:
        keys = tuple(keys)
        while keys:
            if keys in self.positions:
                e = self.positions[keys]
                return self.layers[self.origin[keys]].name, e.line, e.column
            keys = keys[:-1]
        return self.layers[-1].name, 1, 1

    def text_of(self, keys) -> str:
        return self.layers[self.layer_of(keys)].text

    def texts(self) -> list[tuple[str, str]]:
        return [(s.name, s.text) for s in self.layers]


@dataclass
class Layered:
    layers: list[Source]
    source: LayeredSource
    overrides: list[Override] = field(default_factory=list)

    @property
    def values(self) -> dict | None:
        return self.source.values

    @property
    def ok(self) -> bool:
        return self.source.ok

    @property
    def files(self) -> list[str]:
        return [s.name for s in self.layers]

    def override_diagnostics(self) -> list[Diagnostic]:
        """One info note per setting a later layer replaced, at the replaced setting's own line."""
        out = []
        for o in self.overrides:
            lower, upper = self.layers[o.layer], self.layers[o.by]
            e = lower.positions.get(o.keys)
            by = upper.positions.get(o.by_keys)
            if e is None or by is None:
                continue
            what = "deleted (set to null)" if o.deleted else "overridden"
            same = " with the same value" if o.same and not o.deleted else ""
            name = format_path(o.keys)
            out.append(Diagnostic(
                "overridden", "info", name, e.line, e.column,
                f"`{name}` is {what} by {upper.name}:{by.line}{same}: this file's value never reaches the chart",
                "nothing to do if that is the intent; otherwise change it in the later file, or drop it here"
                if not o.same else "the later file sets the same value; you can drop it from one of them",
                file=lower.name))
        return out


def merge_layers(files: list[tuple[str, str]]) -> Layered:
    """Parse and merge (name, text) pairs in helm's order: later files win."""
    sources = [parse(text, name) for name, text in files]
    return merge_sources(sources)


def merge_sources(sources: list[Source]) -> Layered:
    if not sources:
        sources = [parse("")]
    if any(not s.ok for s in sources):
        src = LayeredSource(sources, None, {}, {})
        return Layered(sources, src)
    merged: dict = {}
    for s in sources:
        _merge_into(merged, s.values or {})
    # a key's effective value comes from the last layer that mentions it (a later layer either
    # merges into it, replaces an ancestor — and then the key is gone — or mentions it itself)
    positions: dict[Keys, Entry] = {}
    origin: dict[Keys, int] = {}
    for i, s in enumerate(sources):
        for keys, entry in s.positions.items():
            if _has(merged, keys):
                positions[keys] = entry
                origin[keys] = i
    overrides = _overrides(sources, merged, origin)
    return Layered(sources, LayeredSource(sources, merged, positions, origin), overrides)


def _merge_into(dst: dict, src: dict) -> None:
    """helm's mergeMaps: a map into a map key by key; anything else (null too) replaces."""
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge_into(dst[k], v)
        else:
            dst[k] = _copy(v)


def _copy(v):
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def _overrides(sources: list[Source], merged: dict, origin: dict[Keys, int]) -> list[Override]:
    out: list[Override] = []
    seen: set[tuple[int, Keys]] = set()
    for i, s in enumerate(sources[:-1]):
        for keys in _settings(s.values or {}):
            cur = merged
            for depth in range(1, len(keys) + 1):
                prefix = keys[:depth]
                nxt = cur.get(prefix[-1]) if isinstance(cur, dict) else None
                if isinstance(nxt, dict) and depth < len(keys):
                    cur = nxt
                    continue
                by = origin.get(prefix, i)
                if by <= i or (isinstance(nxt, dict) and value_at(s.values, keys) == {}):
                    break  # still this layer's, or an empty map a later layer merged into
                # report once, at the shallowest of this layer's keys the later value replaced
                at = prefix if prefix in s.positions else keys
                if (i, at) not in seen:
                    seen.add((i, at))
                    mine = value_at(s.values, at)
                    out.append(Override(i, at, by, prefix, nxt is None and _has(merged, prefix),
                                        mine == value_at(merged, at)))
                break
    return out


def _settings(values, keys: Keys = ()):
    """Every path a file sets as a whole value: scalars, lists, nulls and empty maps."""
    if isinstance(values, dict) and values:
        for k, v in values.items():
            yield from _settings(v, keys + (k,))
    elif keys:
        yield keys


def value_at(values, keys):
    """The value at `keys` in nested maps, or None where the path does not go."""
    cur = values
    for k in keys:
        if not isinstance(cur, dict) or k not in cur:
            return None
        cur = cur[k]
    return cur


def _has(values, keys) -> bool:
    cur = values
    for k in keys:
        if isinstance(k, int):
            if not isinstance(cur, list) or k >= len(cur):
                return False
        elif not isinstance(cur, dict) or k not in cur:
            return False
        cur = cur[k]
    return True


# ----------------------------------------------------------------------------------------------
def coalesce(user: dict, defaults: dict) -> dict:
    """What the chart's templates see: helm's coalescing of (merged) user values over the chart's
    defaults — the user's value wins, maps merge, `null` deletes the default."""
    out = _copy(user)
    _coalesce(out, defaults)
    return out


def _coalesce(dst: dict, src: dict) -> None:
    for k, v in src.items():
        if k in dst:
            if dst[k] is None:
                del dst[k]
            elif isinstance(v, dict) and isinstance(dst[k], dict):
                _coalesce(dst[k], v)
        else:
            dst[k] = _copy(v)


# ----------------------------------------------------------------------------------------------
def declared_base_layers(path) -> list:
    """The files a values file says it is layered on: llm-d's overlays start with
    `## Layer on top of: recipes/scheduler/base.values.yaml` (resolved from its folder upwards)."""
    import re
    from pathlib import Path
    path = Path(path)
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return []
    out = []
    for m in re.finditer(r"(?i)on top of:?\s+`?([\w./-]+\.ya?ml)", head):
        for folder in [path.resolve().parent, *path.resolve().parents]:
            cand = folder / m[1]
            if cand.is_file() and cand.resolve() != path.resolve():
                out.append(cand)
                break
    return out


def find_base_layers(path, missing: list[str], *, max_files: int = 200, levels: int = 3) -> list:
    """Values files near `path` that set every key in `missing` (dotted paths): the layers a file
    checked alone probably sits on (llm-d's recipes keep a base beside or above their overlays).
    Nearest first; small YAML files only, at most `max_files` looked at."""
    from pathlib import Path
    path = Path(path)
    if not missing or not path.exists():
        return []
    want = [tuple(p.split(".")) for p in missing]
    found: list[tuple[int, str, Path]] = []
    seen = 0
    folder = path.resolve().parent
    for distance in range(levels + 1):
        candidates = []
        try:  # the folder and its direct subfolders: never a whole tree
            for pattern in ("*.y*ml", "*/*.y*ml"):
                for n, p in enumerate(folder.glob(pattern)):
                    if n > 2000:
                        break
                    if p.suffix in (".yaml", ".yml"):
                        candidates.append(p)
        except OSError:
            pass
        candidates.sort()
        for p in candidates:
            if seen >= max_files:
                break
            if p.resolve() == path.resolve() or any(f[2] == p for f in found):
                continue
            try:
                if not p.is_file() or p.stat().st_size > 256 * 1024:
                    continue
                seen += 1
                src = parse(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            if src.ok and all(_has(src.values, k) and value_at(src.values, k) not in (None, {}, []) for k in want):
                found.append((distance, str(p), p))
        if folder.parent == folder or seen >= max_files:
            break
        folder = folder.parent
    return [p for _, _, p in sorted(found)]
