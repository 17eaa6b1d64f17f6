"""The values checker, layers 1–3: YAML, the schema of the exact chart version, and the rules for
the silent traps (`facts/charts.md`). Fast enough to run on every keystroke: per-chart work is done
once and cached; `check_text` only walks the user's file.

    check_text(text, chart)            -> list[Diagnostic]  (layers 1–3; deep=True adds layer 4)
    check_source(src, chart)           -> list[Diagnostic]  (an already parsed yamlsource.Source)
    check_layers([(name, text) …], chart) -> list[Diagnostic]  (helm's `-f a -f b`: merged, each
                                          diagnostic in the file and line that set the value)
    deep_check(text, chart)            -> list[Diagnostic]  (layer 4 only, see deep.py)
    could_not_check(diags)             -> True when a diagnostic says the check itself failed
    path_at(text, line, column)        -> dotted key path under a cursor

A bug in a rule never reads as "no findings": it becomes a `checker-crashed` error that says
the file could not be checked and where the details were logged.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..charts.schema import ITEM, KeyNode
from ..charts.store import Chart
from ..values import source as yamlsource
from ..values.diagnostics import Diagnostic, format_path, shown_value, sort_diagnostics
from ..values.source import Source, get, path_at  # noqa: F401  (path_at re-exported for the UI)
from .context import (  # noqa: F401
    _FACTS,  # noqa: F401  (the per-chart facts, looked up by id below)
    ERROR,
    INFO,
    WARNING,
    ChartFacts,
    Ctx,
    SecretInfo,
    _split,
    closest,
    facts_for,
    family_index,
    norm_path,
    version_span,
)

_HF_TOKEN = re.compile(r"\bhf_[A-Za-z0-9]{20,}\b")


# ---------------------------------------------------------------------------------------------
def check_text(text: str, chart: Chart, *, deep: bool = False, helm: str | None = None,
               secrets=(), name: str = "") -> list[Diagnostic]:
    src = yamlsource.parse(text, name)
    diags = check_source(src, chart, secrets=secrets)
    if deep and src.ok and not any(d.severity == ERROR and d.code.startswith("yaml-") for d in diags) \
            and not could_not_check(diags):
        diags = sort_diagnostics(diags + _deep(src, chart, helm, diags))
    return diags


def check_layers(files: list[tuple[str, str]], chart: Chart, *, deep: bool = False, helm: str | None = None,
                 secrets=()) -> list[Diagnostic]:
    """Check values layered as `helm -f first -f second …` merges them (later files win)."""
    from ..values.layers import merge_layers
    return check_layered(merge_layers(files), chart, deep=deep, helm=helm, secrets=secrets)


def check_layered(layered, chart: Chart, *, deep: bool = False, helm: str | None = None,
                  secrets=()) -> list[Diagnostic]:
    src = layered.source
    diags = check_source(src, chart, secrets=secrets)
    if src.ok:
        diags = diags + _guarded(lambda: layered.override_diagnostics(), "the layer merge")
    if deep and src.ok and not any(d.severity == ERROR and d.code.startswith("yaml-") for d in diags) \
            and not could_not_check(diags):
        diags = diags + _deep(src, chart, helm, diags)
    return sort_diagnostics(diags, files=layered.files)


def _deep(src: Source, chart: Chart, helm: str | None, known) -> list[Diagnostic]:
    from .deep import deep_check_source
    return _guarded(lambda: deep_check_source(src, chart, helm=helm, known=known), "the render check (--deep)")


def check_source(src: Source, chart: Chart, *, secrets=()) -> list[Diagnostic]:
    diags = list(src.diagnostics) + _guarded(lambda: comment_tokens(src), "the comment scan")
    if src.values is None:
        return sort_diagnostics(diags, files=src.files)
    if not isinstance(chart.knowledge.defaults, dict):
        # helm itself refuses such a chart ("cannot unmarshal array into map"): nothing can be checked
        kind = "a list" if isinstance(chart.knowledge.defaults, list) else "not a mapping"
        file, _, _ = src.locate(())
        return sort_diagnostics(diags + [Diagnostic(
            "chart-unusable", ERROR, "", 1, 1,
            f"could not check against {chart.name} {chart.version}: the chart's own values.yaml is {kind}, so "
            "helm cannot use this chart either", "use an intact archive of the chart", file=file)], files=src.files)
    try:
        ctx = Ctx(src, facts_for(chart), tuple(_secret_infos(secrets)))
    except Exception as exc:  # noqa: BLE001 - a chart we cannot read must not read as a pass
        return sort_diagnostics(diags + [crashed("reading the chart's knowledge", exc)], files=src.files)
    from . import rules
    for rule in rules.RULES:
        _run(ctx, rule.__name__, rule, ctx)
    _run(ctx, "the schema walk", walk_schema, ctx, ctx.f.tree.root, ctx.values, ())
    _run(ctx, "the required keys", check_required, ctx)
    unknown_summary(ctx)
    return sort_diagnostics(diags + ctx.diags, files=src.files)


def deep_check(text: str, chart: Chart, *, helm: str | None = None, secrets=()) -> list[Diagnostic]:
    src = yamlsource.parse(text)
    if not src.ok:
        return sort_diagnostics(src.diagnostics)
    return sort_diagnostics(_deep(src, chart, helm, check_source(src, chart, secrets=secrets)))


def could_not_check(diags) -> bool:
    """True when the checker itself failed: callers must show a failure, never a pass."""
    return any(d.code in ("checker-crashed", "chart-unusable") for d in diags)


def _secret_infos(secrets):
    for s in secrets or ():
        if isinstance(s, SecretInfo):
            yield s
        elif isinstance(s, str):
            yield SecretInfo(s)
        else:  # a core.cluster.kube SecretMeta or anything with name/keys
            keys = getattr(s, "keys", None)
            yield SecretInfo(str(getattr(s, "name", s)), tuple(keys) if keys is not None else None)


def _run(ctx: Ctx, where: str, fn, *args) -> None:
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - reported as "could not check", never as a pass
        ctx.diags.append(crashed(where.replace("rule_", "the rule ").replace("_", "-"), exc))


def _guarded(fn, where: str) -> list[Diagnostic]:
    try:
        return list(fn())
    except Exception as exc:  # noqa: BLE001
        return [crashed(where, exc)]


def crashed(where: str, exc: BaseException) -> Diagnostic:
    """The checker failed (a bug in gaie-tui, or a chart it cannot handle): say so as an error,
    with the details in the log, never as a traceback and never as "no findings"."""
    log = _log_crash(where, exc)
    return Diagnostic("checker-crashed", ERROR, "", 1, 1,
                      f"could not check this file: {where} failed inside gaie-tui, so its findings are missing",
                      f"details are in {log}; check the file with the other layers or report the bug"
                      if log else "report the bug with the file that triggers it")


def _log_crash(where: str, exc: BaseException) -> str:
    import traceback

    from ..paths import state_dir
    from ..redact import redact
    from ..safeio import open_append
    path = state_dir() / "gaie-tui.log"
    try:
        with open_append(path) as fh:
            fh.write(redact(f"checker: {where} failed\n" + "".join(traceback.format_exception(exc))))
    except Exception:  # noqa: BLE001 - an unwritable log must not hide the finding itself
        return ""
    return str(path)


def comment_tokens(src: Source) -> list[Diagnostic]:
    """A token pasted into a comment leaks like one in a value (drafts, records, git)."""
    out = []
    for file, text in src.texts():
        if "hf_" not in text:
            continue
        for c in yamlsource.comments(text):
            if _HF_TOKEN.search(c.text):
                out.append(Diagnostic("hf-token-literal", ERROR, "", c.line, c.column,
                                      "a Hugging Face token is written in a comment (value not shown); comments "
                                      "travel with the file into drafts, records and git",
                                      "delete it from the comment and revoke the token", file=file))
    return out


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
            ctx.emit("wrong-type", ERROR, keys, f"`{name}` is a number; `{shown_value(v)}` is a boolean",
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
# A file with thousands of unknown keys is not a values file anyone wrote by hand: list the first
# ones in full, suggest names only for the first few (edit distance over every known key costs
# milliseconds each), and sum up the rest in one diagnostic.
MAX_SUGGESTIONS = 100
MAX_UNKNOWN_LISTED = 1000


def unknown_key(ctx: Ctx, parent: KeyNode, keys: tuple, value) -> None:
    ctx.unknown_seen += 1
    if ctx.unknown_seen > MAX_UNKNOWN_LISTED:
        ctx.unknown_hidden += 1
        return
    from . import rules
    for explain in rules.UNKNOWN_EXPLAINERS:
        if explain(ctx, parent, keys, value):
            return
    name = format_path(keys)
    key = keys[-1]
    where = f"under `{format_path(keys[:-1])}`" if len(keys) > 1 else "at the top level"
    suggest = ctx.unknown_seen <= MAX_SUGGESTIONS
    # 1. the same path in other versions of this family
    found = family_index(ctx.f.family).get(norm_path(keys))
    if found:
        ctx.emit("not-in-version", ERROR, keys,
                 f"`{name}` is not read by {_cv(ctx)}: helm silently ignores it",
                 f"it exists in {ctx.f.family} {version_span(found, ctx.f.family)}; on {ctx.f.version} remove it"
                 + _other_place_hint(ctx, keys, value, prefix="; "))
        return
    # 2. a sibling with a near name (typo)
    if isinstance(key, str) and suggest:
        sib = closest(key, parent.children.keys())
        if sib is not None:
            ctx.emit("unknown-key", ERROR, keys, f"unknown key `{key}` {where}: helm silently ignores it",
                     f"did you mean `{format_path(keys[:-1] + (sib,))}`?",
                     ctx.rename_fix(keys, sib, f"rename to {sib}"))
            return
    # 3. the key exists elsewhere in this version's tree
    other = _other_place_hint(ctx, keys, value)
    if other:
        ctx.emit("misplaced-key", ERROR, keys, f"`{key}` is not read {where} on {_cv(ctx)}: helm silently ignores it",
                 other)
        return
    # 4. a near name anywhere in the tree
    near = _closest_anywhere(ctx.f, key) if isinstance(key, str) and suggest else None
    hint = f"did you mean `{near}`?" if near else _what_to_do(ctx, parent, keys)
    ctx.emit("unknown-key", ERROR, keys, f"unknown key `{key}` {where}: helm silently ignores it", hint)


def _what_to_do(ctx: Ctx, parent: KeyNode, keys) -> str:
    """No near name: say to remove it, and what the enclosing block does read."""
    known = sorted(k for k, c in parent.children.items() if c.read or c.listed)
    if not known:
        return f"remove it: {_cv(ctx)} reads nothing here"
    shown = ", ".join(f"`{k}`" for k in known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8 else "")
    block = f"in `{format_path(keys[:-1])}`" if len(keys) > 1 else "at the top level"
    return f"remove it, or use one of the keys {_cv(ctx)} reads {block}: {shown}"


def unknown_summary(ctx: Ctx) -> None:
    if ctx.unknown_hidden:
        ctx.emit("unknown-key", ERROR, (),
                 f"… and {ctx.unknown_hidden:,} more keys {_cv(ctx)} does not read (not listed one by one)",
                 "this does not look like a values file; check that it is the file you meant")


def _other_place_hint(ctx: Ctx, keys, value=None, prefix: str = "") -> str:
    key = keys[-1]
    if not isinstance(key, str):
        return ""
    paths = [p for p in ctx.f.names.get(key, []) if p != norm_path(keys)]
    paths = [p for p in paths if _fits(ctx, p, value)]
    if not paths:
        return ""
    # the place whose own keys the user's block uses most, then the shallowest
    paths.sort(key=lambda p: (-_overlap(ctx, p, value), p.count("."), p))
    shown = ", ".join(f"`{p}`" for p in paths[:3])
    return f"{prefix}on {ctx.f.version} `{key}` is read at {shown}"


def _fits(ctx: Ctx, path: str, value) -> bool:
    """A same-named key elsewhere is only a suggestion when the user's value could mean it: a map
    whose keys that place knows, a list where a list goes, a scalar where a scalar goes."""
    node = ctx.f.tree.find(path)
    if node is None or value is None:
        return node is not None
    if isinstance(value, dict):
        if node.type not in ("object", None):
            return False
        if node.open or not value:
            return True
        return all(k in node.children for k in value)
    if isinstance(value, list):
        return node.type in ("array", None)
    return node.type not in ("object", "array")


def _overlap(ctx: Ctx, path: str, value) -> int:
    node = ctx.f.tree.find(path)
    if node is None or not isinstance(value, dict):
        return 0
    return sum(1 for k in value if k in node.children)


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
        from ..charts import versions
        api = ctx.effective("inferencePool.apiVersion")
        if isinstance(api, str) and "x-k8s.io" in api and versions.key(ctx.f.version) < (1, 5, 0):
            return True
    return False


def _required_hint(ctx: Ctx, dotted: str) -> str:
    if dotted.endswith("matchLabels"):
        from ..values.answers import DEFAULT_SELECTOR
        k, v = next(iter(DEFAULT_SELECTOR.items()))  # the label `generate` writes
        return (f'the labels your model-server pods carry, e.g. matchLabels: {{{k}: "{v}"}} (selects pods '
                f"labelled {k}={v}); if another file sets it, check the files together: "
                "validate -f base.yaml -f this.yaml")
    if dotted.endswith(("cpu", "memory")):
        return "set the EPP's resource requests, e.g. cpu: \"4\", memory: 8Gi"
    return "set it"
