"""Layer 4 (`--deep`): render the values with the real chart and the real helm.

- Render errors are mapped back to the user's key and line (`at <.Values.inferencePool.targetPorts>:
  range can't iterate over 8000` → inferencePool.targetPorts). A render that fails because of an
  error layers 1–3 already reported (a missing required key, a wrong type) is not reported twice:
  a `deep-skipped` note says the dead-setting analysis could not run, and why.
- helm's coalesce warnings on stderr (a map where the chart has a list …) become diagnostics.
- Dead settings: a leaf the user set has no effect when neither changing nor removing it changes
  the rendered manifests (code `no-effect`). One render with every string and number replaced by a
  unique probe token proves most leaves live at once (their token shows up in the output); leaves
  inside a map the chart dumps whole are tested together; the rest are changed and removed one by
  one. A dead setting is then tried with each switch that could gate it (`…enabled`, `provider.name`)
  turned on: the finding names the switch and its value, and a switched-off setting that only
  repeats the chart's default is not reported at all. Every variant of a stage shares one helm run
  (`render.BatchRenderer`): three helm runs at most for the whole analysis.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from ..charts import templates
from ..charts.store import Chart
from ..values.diagnostics import Diagnostic, format_path, sort_diagnostics
from ..values.layers import coalesce, value_at
from ..values.source import Source, leaves
from .render import BatchRenderer, Rendered  # noqa: F401  (Rendered re-exported)

RELEASE = "gaie-tui-check"
NAMESPACE = "gaie-tui-check"
TIMEOUT = 60
_PROBE = "gaietuiprobe"
# helm reads values through JSON: numbers are float64 and print in exponent form from 1e6 on
# (7310000 → 7.31e+06), so probe numbers stay six digits
_PROBE_INT = 731_000


def find_helm(explicit: str | None = None) -> str | None:
    from ..cluster.helm import locate_helm

    found = explicit or locate_helm()
    return found if found and Path(found).is_file() else None


# ---------------------------------------------------------------------------------------------
_EXTRACTED: dict[str, Path] = {}
_EXTRACT_LOCK = threading.Lock()
def chart_dir(archive: Path) -> Path:
    """The chart as a folder for helm: folders are used in place; an archive is extracted once per
    process, only what helm needs (Chart.yaml, values, schema, templates/, crds/, charts/), under
    core.charts.archive's limits (members, sizes, no links, no names outside the folder), into a
    private (0700) scratch folder of this process (core.scratch: removed when the process exits,
    swept by the next start after a kill). An unsafe archive is a UserError naming the member,
    never a traceback."""
    from ..charts import archive as chart_archive

    archive = Path(archive)
    if archive.is_dir():
        return archive
    key = str(archive.resolve())
    with _EXTRACT_LOCK:
        if key in _EXTRACTED:
            return _EXTRACTED[key]
        from ..scratch import process_folder
        dest = Path(tempfile.mkdtemp(dir=process_folder("charts")))
        try:
            top = chart_archive.extract_chart(archive, dest)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        _EXTRACTED[key] = top
        return top


# ---------------------------------------------------------------------------------------------
def deep_check_source(src: Source, chart: Chart, *, helm: str | None = None, known=(),
                      jobs: int | None = None) -> list[Diagnostic]:
    helm_bin = find_helm(helm)
    if chart.archive is None or helm_bin is None:
        why = "no chart archive on this machine (bundled knowledge only)" if chart.archive is None else \
            "no helm binary found (PATH or GAIE_TUI_HELM)"
        file, _, _ = src.locate(())
        return [Diagnostic("render-unavailable", "info", "", 1, 1, f"--deep skipped: {why}",
                           "give the archive with --chart PATH.tgz or GAIE_TUI_CHART_DIRS, and install helm",
                           file=file)]
    values = src.values or {}
    from ..scratch import scratch
    with scratch() as tmp:   # the user's values, rendered: never left behind, even after kill -9
        r = BatchRenderer(chart, helm_bin, tmp, folder=chart_dir(chart.archive))
        return sort_diagnostics(_analyse(src, chart, r, values, known), files=src.files)


def _analyse(src: Source, chart: Chart, r: BatchRenderer, values: dict, known) -> list[Diagnostic]:
    candidates = _candidates(src, chart, known)
    probe_values, probes = _probe(values, candidates, chart)
    groups = _groups(chart, [k for k in candidates if k not in probes])
    # stage 1: the values as written, the probe render, and a change of every leaf no probe can prove
    variants = [values, probe_values] + [_perturbed(values, m, chart) for m in groups.values()]
    first = r.render_many(variants)
    base = first[0]
    if not base.ok:
        return _render_failed(src, chart, base.stderr, known)
    out = _warnings(src, base.stderr, known)
    live = _found(first[1], probes)

    def changed(res: Rendered) -> bool:
        return (not res.ok) or res.manifests != base.manifests

    pending = {a: m for (a, m), res in zip(groups.items(), first[2:], strict=True) if not changed(res)}
    pending.update(_groups(chart, [k for k in probes if k not in live]))
    if not pending:
        return out
    # stage 2: change (where not done yet) and remove every leaf still unproven; and, for the
    # switches that could gate them, a render with the switch on (to compare with in stage 3)
    order = list(pending)
    gates = {a: _gates(chart, values, a) for a in order}
    switches = list(dict.fromkeys(g for gs in gates.values() for g in gs))
    variants = [_perturbed(values, pending[a], chart) for a in order] + [_removed(values, a) for a in order] + \
        [_switched(values, g) for g in switches]
    second = r.render_many(variants)
    n = len(order)
    dead = [a for i, a in enumerate(order) if not changed(second[i]) and not changed(second[n + i])]
    if not dead:
        return out
    on = {g: res for g, res in zip(switches, second[2 * n:], strict=True) if res.ok}
    # stage 3: with each switch on, do the dead settings under it show up (probe tokens) or change
    # the render (booleans and the like)?
    variants, plan = [], []
    for g, res in on.items():
        under = [a for a in dead if g in gates[a]]
        if not under:
            continue
        members = [k for a in under for k in pending[a]]
        pv, pr = _probe(_switched(values, g), members, chart)
        if pr:
            variants.append(pv)
            plan.append((g, "probe", pr))
        for a in under:
            if not any(k in pr for k in pending[a]):
                variants.append(_perturbed(_switched(values, g), pending[a], chart, fallback_remove=a))
                plan.append((g, "change", a))
    third = r.render_many(variants) if variants else []
    proven: dict[tuple, Gate] = {}
    for (g, how, what), res in zip(plan, third, strict=True):
        if how == "probe":
            seen = _found(res, what)
            for a in dead:
                if a not in proven and g in gates[a] and any(k in seen for k in pending[a]):
                    proven[a] = g
        elif what not in proven and (not res.ok or res.manifests != on[g].manifests):
            proven[what] = g
    # a switch whose "on" render fails (it needs more settings than the file has): the templates
    # themselves say whether the setting is read only under it
    guards = None
    for a in dead:
        if a in proven or not gates[a]:
            continue
        guards = guards if guards is not None else _guards(r.dir)
        path = ".".join(_map_keys(a))
        for g in gates[a]:
            if templates.gated_by(guards, path, ".".join(g.keys)):
                proven[a] = g
                break
    for a in dead:
        d = _dead_diagnostic(src, chart, a, pending[a], proven.get(a))
        if d is not None:
            out.append(d)
    return out


def _map_keys(keys: tuple) -> list[str]:
    out: list[str] = []
    for k in keys:  # the map path down to the first list index
        if isinstance(k, int):
            break
        out.append(k)
    return out


@lru_cache(maxsize=8)
def _guards(chart_folder: Path) -> dict:
    files = {}
    for p in sorted(chart_folder.rglob("*")):
        rel = p.relative_to(chart_folder).parts
        if p.is_file() and "templates" in rel and p.stat().st_size < 1024 * 1024:
            files[str(p)] = p.read_text(encoding="utf-8", errors="replace")
    return templates.guarded_reads(files)


def _found(res: Rendered, probes: dict[tuple, str]) -> set[tuple]:
    if not res.ok:
        return set()
    return {keys for keys, token in probes.items()
            if re.search(rf"(?<![0-9A-Za-z]){re.escape(token)}(?![0-9A-Za-z])", res.manifests)}


def _switched(values: dict, gate: Gate) -> dict:
    on = copy.deepcopy(values)
    _set_path(on, gate.keys, gate.on)
    return on


@dataclass(frozen=True)
class Gate:
    keys: tuple          # the switch
    on: object           # the value that turns it on
    now: object          # its effective value now (None: unset)


def _gates(chart: Chart, values: dict, anchor: tuple) -> list[Gate]:
    """Switches that could decide whether `anchor` is read: booleans that are off in the blocks
    around it (`tracing.enabled`, `monitoring.prometheus.enabled`, `proxy.enabled`), and a `name`
    that selects a sibling block (`provider.name` for `provider.istio.*`)."""
    eff = _effective_values(values, chart)
    out: list[Gate] = []
    seen: set[tuple] = set()
    keys = _map_keys(anchor)
    for depth in range(len(keys) - 1, 0, -1):
        block = tuple(keys[:depth])
        node = chart.tree.find(".".join(block))
        if node is None:
            continue
        # a selector: block.name picks block.<x>
        sel = node.children.get("name")
        if sel is not None and depth < len(keys) and keys[depth] != "name" and keys[depth] in node.children:
            now = value_at(eff, block + ("name",))
            if now != keys[depth]:
                g = Gate(block + ("name",), keys[depth], now)
                if g.keys not in seen:
                    seen.add(g.keys)
                    out.append(g)
        for path, child in _booleans(node, block, 2):
            if path in seen or path == tuple(anchor):
                continue
            now = value_at(eff, path)
            if now is not True:
                seen.add(path)
                out.append(Gate(path, True, now))
        if len(out) >= 6:
            break
    return out[:6]


def _booleans(node, prefix: tuple, depth: int):
    for name, child in node.children.items():
        if child.type == "boolean" and name in ("enabled", "enable", "create"):
            yield prefix + (name,), child
    if depth > 1:
        for name, child in node.children.items():
            if child.type == "object":
                yield from _booleans(child, prefix + (name,), depth - 1)


def _effective_values(values: dict, chart: Chart) -> dict:
    defaults = chart.knowledge.defaults if isinstance(chart.knowledge.defaults, dict) else {}
    return coalesce(values, defaults)


def _dead_diagnostic(src: Source, chart: Chart, anchor: tuple, members: list[tuple],
                     gate: Gate | None) -> Diagnostic | None:
    file, line, col = src.locate(anchor)
    name = format_path(anchor)
    if gate is None:
        return Diagnostic(
            "no-effect", "warning", name, line, col,
            f"`{name}` has no effect on {chart.name} {chart.version}: changing or removing it leaves the "
            "rendered manifests identical",
            "remove it, or check the chart version's values for where this setting lives now", file=file)
    defaults = chart.knowledge.defaults if isinstance(chart.knowledge.defaults, dict) else {}
    if all(value_at(defaults, k) is not None and value_at(defaults, k) == value_at(src.values, k) for k in members):
        return None  # switched off and only repeating the chart's default: nothing to say
    gname = format_path(gate.keys)
    now = "unset" if gate.now is None else _scalar(gate.now)
    where = ""
    if src.has(gate.keys):
        gfile, gline, _ = src.locate(gate.keys)
        where = f" ({gfile + ':' if gfile and gfile != file else 'line '}{gline})"
    else:
        where = " (the chart's default)" if gate.now is not None else ""
    on = _scalar(gate.on)
    return Diagnostic(
        "no-effect", "warning", name, line, col,
        f"`{name}` has no effect while `{gname}` is {now}{where}: the chart reads it only when "
        f"`{gname}` is {on}",
        f"set `{gname}: {on}` if you want it to take effect; otherwise remove it", file=file)


def _scalar(v) -> str:
    """A value as the user would write it in YAML (`true`, `istio`, `"010"`)."""
    if isinstance(v, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", v) and \
            v.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "y", "n"):
        return v
    return json.dumps(v)


def _groups(chart: Chart, keys_list: list[tuple]) -> dict[tuple, list[tuple]]:
    """Leaves inside a map the chart passes through whole are tested together, as one setting;
    so are the items of a list of plain values (`args: [a, b]` is one setting)."""
    groups: dict[tuple, list[tuple]] = {}
    for keys in keys_list:
        node, _deep, _ = chart.tree.resolve(list(keys))
        anchor = keys
        if node is not None and node.open:
            anchor = _open_anchor(chart, keys)
        elif keys and isinstance(keys[-1], int):
            anchor = keys[:-1]
        groups.setdefault(anchor, []).append(keys)
    return groups


def _perturbed(values: dict, members: list[tuple], chart: Chart, fallback_remove: tuple | None = None) -> dict:
    pert = copy.deepcopy(values)
    changed = False
    for k in members:
        nv = _perturb(_get(values, k), k, chart)
        if nv is not None:
            _set(pert, k, nv)
            changed = True
    if not changed and fallback_remove is not None:
        _delete(pert, fallback_remove)
    return pert


def _removed(values: dict, anchor: tuple) -> dict:
    removed = copy.deepcopy(values)
    _delete(removed, anchor)
    return removed


def _set_path(values: dict, keys: tuple, v) -> None:
    cur = values
    for k in keys[:-1]:
        if not isinstance(cur.get(k), dict):
            cur[k] = {}
        cur = cur[k]
    cur[keys[-1]] = v


def _render_failed(src: Source, chart: Chart, stderr: str, known) -> list[Diagnostic]:
    """A render that fails: say why, unless layers 1–3 already did; the dead-setting analysis
    cannot run either way, and a note says so (with what to do)."""
    err = render_error(src, stderr, chart)
    errors = [d for d in known if d.severity == "error"]
    required = [d for d in errors if d.code == "missing-required"]
    cause = err.message.split(": ", 1)[-1]
    if required and "is required" in stderr:
        missing = ", ".join(f"`{d.path}`" for d in required)
        first = required[0]
        return [Diagnostic("deep-skipped", "info", first.path, first.line, first.column,
                           f"the dead-setting analysis was skipped: these values do not render on their own "
                           f"({missing} is required and nothing sets it)",
                           "check this file together with the layers that set it, in helm's order (base first): "
                           "-f base.yaml -f this.yaml on the command line, --values base.yaml --values this.yaml "
                           "for the wizard", file=first.file)]
    same = [d for d in errors if err.path and (d.path == err.path or d.path.startswith(err.path + ".")
                                                  or err.path.startswith(d.path + "."))]
    if same or (not err.path and errors):
        at = (same or errors)[0]
        return [Diagnostic("deep-skipped", "info", at.path, at.line, at.column,
                           f"helm template fails ({cause}), because of the error reported here; the "
                           "dead-setting analysis was skipped",
                           "fix the errors first; --deep then looks for settings with no effect", file=at.file)]
    return [replace(err, hint=err.hint + " (settings with no effect are looked for once it renders)")] + \
        _warnings(src, stderr, known)


# info notes that already say a setting is ignored: no need to prove it dead again
_EXPLAINED = {"ignored-image-key", "not-read", "not-in-version", "unknown-key", "misplaced-key", "istio-location",
              "no-istio-support", "traffic-policy-dropped", "deprecated-top-level"}


def _candidates(src: Source, chart: Chart, known) -> list[tuple]:
    """Leaves the user set that no earlier diagnostic already explains."""
    flagged = [d.path for d in known if d.path and (d.severity in ("error", "warning") or d.code in _EXPLAINED)]
    out = []
    for keys, _v in leaves(src.values or {}):
        p = format_path(keys)
        if any(p == f or p.startswith(f + ".") or p.startswith(f + "[") for f in flagged):
            continue
        out.append(keys)
    return out


def _no_probe_paths(chart: Chart) -> set[str]:
    lay = chart.layout.layout
    return {"provider.name", lay.model_server_type, "inferencePool.apiVersion"}


def _probe(values: dict, candidates: list[tuple], chart: Chart) -> tuple[dict, dict[tuple, str]]:
    probed = copy.deepcopy(values)
    probes: dict[tuple, str] = {}
    skip = _no_probe_paths(chart)
    for i, keys in enumerate(candidates):
        v = _get(values, keys)
        if isinstance(v, bool) or v is None or format_path(keys) in skip:
            continue
        if isinstance(v, str):
            token = f"{_PROBE}{i}z"
            _set(probed, keys, token)
        elif isinstance(v, int):
            token = str(_PROBE_INT + i)
            _set(probed, keys, _PROBE_INT + i)
        else:
            continue
        probes[keys] = token
    return probed, probes


def _perturb(v, keys=(), chart: Chart | None = None):
    """A different value of the same kind; for enum-like settings another member of the enum (the
    chart often tests `eq … "triton-tensorrt-llm"`, so any other text would change nothing)."""
    if chart is not None and isinstance(v, str):
        from ..charts import layouts
        lay = chart.layout.layout
        name = format_path(keys)
        enum: tuple[str, ...] = ()
        if name == lay.model_server_type:
            enum = layouts.model_server_types(chart.layout.layout.family, chart.version)
        elif name == "provider.name":
            enum = ("gke", "istio", "none")  # gke first: every version renders something for it
        others = [e for e in enum if e != v]
        if others:
            return others[-1] if v == "vllm" else others[0]
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        return v + 1.5
    if isinstance(v, str):
        return v + "-gaietui"
    return None


def _open_anchor(chart: Chart, keys: tuple) -> tuple:
    node = chart.tree.root
    for i, k in enumerate(keys):
        if node.open and not node.children:
            return keys[:i]
        nxt = node.item if isinstance(k, int) else node.children.get(str(k))
        if nxt is None:
            return keys[:i] if node.open else keys
        node = nxt
    return keys


# ---------------------------------------------------------------------------------------------
_AT_VALUES = re.compile(r"at <\$?\.Values\.([A-Za-z0-9_.]+)")
_REQUIRED = re.compile(r"\.Values\.([A-Za-z0-9_.]+) is required")
_TOP_LEVEL = re.compile(r"Top-level '([A-Za-z0-9_]+)' is deprecated")
_ITERATE = re.compile(r"range can't iterate over (.+)")
_COALESCE = re.compile(r'msg="warning: (?:destination for|cannot overwrite table with non table for) '
                       r'([A-Za-z0-9_.\-]+)')


def render_error(src: Source, stderr: str, chart: Chart) -> Diagnostic:
    text = stderr.strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("Use --debug")
             and "level=INFO" not in ln]
    cause = lines[-1] if lines else "helm template failed"
    cause = re.sub(r"^Error: ", "", cause)
    keys: tuple | None = None
    if m := _TOP_LEVEL.search(text):
        keys = (m[1],)
    elif m := _REQUIRED.search(text):
        keys = _user_prefix(src, m[1].split("."))
    else:
        found = _AT_VALUES.findall(text)
        if found:
            keys = _user_prefix(src, found[-1].split("."))
        if (not keys) and (m := _ITERATE.search(text)):
            keys = _leaf_with_value(src, m[1].strip())
    keys = keys or ()
    file, line, col = src.locate(keys)
    return Diagnostic("render-error", "error", format_path(keys), line, col,
                      f"helm template fails with {chart.name} {chart.version}: {cause}",
                      "fix this setting; `helm template` must succeed before anything can be deployed", file=file)


def _user_prefix(src: Source, parts: list[str]) -> tuple:
    best: tuple = ()
    cur: tuple = ()
    for p in parts:
        cur = cur + (p,)
        if src.has(cur):
            best = cur
    return best


def _leaf_with_value(src: Source, text: str) -> tuple | None:
    for keys, v in leaves(src.values or {}):
        if str(v) == text or json.dumps(v) == text:
            return keys
    return None


def _warnings(src: Source, stderr: str, known) -> list[Diagnostic]:
    out = []
    flagged = {d.path for d in known}
    for m in _COALESCE.finditer(stderr):
        parts = m[1].split(".")[1:]  # first segment is the chart name
        keys = _user_prefix(src, parts)
        if not keys or format_path(keys) in flagged:
            continue
        file, line, col = src.locate(keys)
        out.append(Diagnostic("render-warning", "warning", format_path(keys), line, col,
                              f"helm ignores `{format_path(keys)}`: its shape does not match the chart's default "
                              "(a list where the chart has a map, or the other way round)",
                              "write it in the shape the chart's values.yaml uses", file=file))
        flagged.add(format_path(keys))
    return out


# ---------------------------------------------------------------------------------------------
def _get(values, keys):
    cur = values
    for k in keys:
        cur = cur[k]
    return cur


def _set(values, keys, v) -> None:
    cur = values
    for k in keys[:-1]:
        cur = cur[k]
    cur[keys[-1]] = v


def _delete(values, keys) -> None:
    if not keys:
        values.clear()
        return
    cur = values
    for k in keys[:-1]:
        cur = cur[k]
    if isinstance(cur, dict):
        cur.pop(keys[-1], None)
    elif isinstance(cur, list) and isinstance(keys[-1], int) and keys[-1] < len(cur):
        cur.pop(keys[-1])
