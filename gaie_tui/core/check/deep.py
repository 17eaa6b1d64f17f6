"""Layer 4 (`--deep`): render the values with the real chart and the real helm.

- Render errors are mapped back to the user's key and line (`at <.Values.inferencePool.targetPorts>:
  range can't iterate over 8000` → inferencePool.targetPorts).
- helm's coalesce warnings on stderr (a map where the chart has a list …) become diagnostics.
- Dead settings: a leaf the user set has no effect when neither changing nor removing it changes
  the rendered manifests (code `no-effect`). To keep this cheap, one render with every string and
  number replaced by a unique probe token proves most leaves live at once (their token shows up in
  the output); leaves inside a map the chart dumps whole are tested together; only the rest get a
  render of their own. Renders run in parallel on one extracted copy of the chart.
"""
from __future__ import annotations

import atexit
import copy
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..charts.store import Chart
from ..values.diagnostics import Diagnostic, format_path, sort_diagnostics
from ..values.source import Source, leaves

RELEASE = "gaie-tui-check"
NAMESPACE = "gaie-tui-check"
TIMEOUT = 60
_PROBE = "gaietuiprobe"
_PROBE_INT = 7_310_000


def find_helm(explicit: str | None = None) -> str | None:
    from ..cluster.helm import locate_helm

    found = explicit or locate_helm()
    return found if found and Path(found).is_file() else None


# ---------------------------------------------------------------------------------------------
_EXTRACTED: dict[str, Path] = {}
_EXTRACT_LOCK = threading.Lock()
_TMP_ROOT: list[Path] = []


def _cleanup() -> None:
    for d in _TMP_ROOT:
        shutil.rmtree(d, ignore_errors=True)


def chart_dir(archive: Path) -> Path:
    """The chart as a folder for helm: folders are used in place; an archive is extracted once per
    process, only what helm needs (Chart.yaml, values, schema, templates/, crds/, charts/), under
    core.charts.archive's limits (members, sizes, no links, no names outside the folder), into a
    private (0700) temporary folder removed when the process exits. An unsafe archive is a
    UserError naming the member, never a traceback."""
    from ..charts import archive as chart_archive

    archive = Path(archive)
    if archive.is_dir():
        return archive
    key = str(archive.resolve())
    with _EXTRACT_LOCK:
        if key in _EXTRACTED:
            return _EXTRACTED[key]
        if not _TMP_ROOT:
            _TMP_ROOT.append(Path(tempfile.mkdtemp(prefix="gaie-tui-charts-")))
            atexit.register(_cleanup)
        dest = Path(tempfile.mkdtemp(dir=_TMP_ROOT[0]))
        try:
            top = chart_archive.extract_chart(archive, dest)
        except BaseException:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        _EXTRACTED[key] = top
        return top


@dataclass
class Rendered:
    ok: bool
    manifests: str
    stderr: str


class Renderer:
    def __init__(self, chart: Chart, helm: str, workdir: Path) -> None:
        self.chart = chart
        self.helm = helm
        self.dir = chart_dir(chart.archive)
        self.workdir = workdir
        self._n = 0
        self._lock = threading.Lock()

    def render(self, values: dict) -> Rendered:
        with self._lock:
            self._n += 1
            path = self.workdir / f"values-{self._n}.json"
        path.write_text(json.dumps(values), encoding="utf-8")  # JSON is YAML; no re-quoting surprises
        try:
            proc = subprocess.run([self.helm, "template", RELEASE, str(self.dir), "--namespace", NAMESPACE,
                                   "--values", str(path)], capture_output=True, text=True, timeout=TIMEOUT,
                                  env={**os.environ, "HELM_DEBUG": "false"})
        except subprocess.TimeoutExpired:
            return Rendered(False, "", f"helm template did not finish within {TIMEOUT}s")
        finally:
            path.unlink(missing_ok=True)
        return Rendered(proc.returncode == 0, proc.stdout, proc.stderr)


# ---------------------------------------------------------------------------------------------
def deep_check_source(src: Source, chart: Chart, *, helm: str | None = None, known=(),
                      jobs: int | None = None) -> list[Diagnostic]:
    helm_bin = find_helm(helm)
    if chart.archive is None or helm_bin is None:
        why = "no chart archive on this machine (bundled knowledge only)" if chart.archive is None else \
            "no helm binary found (PATH or GAIE_TUI_HELM)"
        return [Diagnostic("render-unavailable", "info", "", 1, 1, f"--deep skipped: {why}",
                           "give the archive with --chart PATH.tgz or GAIE_TUI_CHART_DIRS, and install helm")]
    values = src.values or {}
    jobs = jobs or max(2, min(8, os.cpu_count() or 2))
    with tempfile.TemporaryDirectory(prefix="gaie-tui-render-") as tmp, ThreadPoolExecutor(jobs) as pool:
        r = Renderer(chart, helm_bin, Path(tmp))
        candidates = _candidates(src, chart, known)
        probe_values, probes = _probe(values, candidates, chart)
        fut_base = pool.submit(r.render, values)
        fut_probe = pool.submit(r.render, probe_values) if probes else None
        base = fut_base.result()
        out: list[Diagnostic] = []
        if not base.ok:
            return sort_diagnostics([render_error(src, base.stderr, chart)] + _warnings(src, base.stderr, known))
        out.extend(_warnings(src, base.stderr, known))
        live: set[tuple] = set()
        if fut_probe is not None:
            probed = fut_probe.result()
            if probed.ok:
                for keys, token in probes.items():
                    if re.search(rf"(?<![0-9A-Za-z]){re.escape(token)}(?![0-9A-Za-z])", probed.manifests):
                        live.add(keys)
        rest = [k for k in candidates if k not in live]
        out.extend(_dead(src, chart, r, pool, values, base.manifests, rest))
    return sort_diagnostics(out)


def _candidates(src: Source, chart: Chart, known) -> list[tuple]:
    """Leaves the user set that no earlier diagnostic already explains."""
    flagged = [d.path for d in known if d.severity in ("error", "warning") and d.path]
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


def _dead(src, chart, r: Renderer, pool, values, baseline: str, rest: list[tuple]) -> list[Diagnostic]:
    if not rest:
        return []
    # group leaves inside a map the chart passes through whole: tested together
    groups: dict[tuple, list[tuple]] = {}
    for keys in rest:
        node, _deep, _ = chart.tree.resolve(list(keys))
        anchor = keys
        if node is not None and node.open:
            anchor = _open_anchor(chart, keys)
        groups.setdefault(anchor, []).append(keys)

    def changed(mutated: dict) -> bool:
        res = r.render(mutated)
        return (not res.ok) or res.manifests != baseline

    def test(anchor: tuple, members: list[tuple]) -> tuple[tuple, list[tuple], bool]:
        pert = copy.deepcopy(values)
        any_pert = False
        for k in members:
            nv = _perturb(_get(values, k), k, chart)
            if nv is not None:
                _set(pert, k, nv)
                any_pert = True
        if any_pert and changed(pert):
            return anchor, members, True
        removed = copy.deepcopy(values)
        _delete(removed, anchor)
        return anchor, members, changed(removed)

    out: list[Diagnostic] = []
    for anchor, members, is_live in pool.map(lambda kv: test(*kv), groups.items()):
        if is_live:
            continue
        line, col = src.where(anchor)
        name = format_path(anchor)
        out.append(Diagnostic(
            "no-effect", "warning", name, line, col,
            f"`{name}` has no effect on {chart.name} {chart.version}: changing or removing it leaves the "
            "rendered manifests identical",
            "remove it, or check the chart version's values for where this setting lives now"))
    return out


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
    line, col = src.where(keys)
    return Diagnostic("render-error", "error", format_path(keys), line, col,
                      f"helm template fails with {chart.name} {chart.version}: {cause}",
                      "fix this setting; `helm template` must succeed before anything can be deployed")


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
        line, col = src.where(keys)
        out.append(Diagnostic("render-warning", "warning", format_path(keys), line, col,
                              f"helm ignores `{format_path(keys)}`: its shape does not match the chart's default "
                              "(a list where the chart has a map, or the other way round)",
                              "write it in the shape the chart's values.yaml uses"))
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
