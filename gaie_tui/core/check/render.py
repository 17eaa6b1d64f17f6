"""Rendering values with the real chart and the real helm — one variant or many in one helm run.

A `helm template` process costs about as much to start as it spends rendering these charts, and
the dead-setting analysis, the gate search and the migration proof each need several renders of
the same chart with different values. `render_many` renders them all in one helm run: a
throw-away parent chart lists the chart N times as a dependency under unique aliases
(`gaietuivar0x`, `gaietuivar1x` …), each alias gets one variant's values, and helm renders every
copy. The output is split back per alias by the `# Source:` line and the alias is written back as
the chart's name, so each variant's text equals what a plain `helm template` of it prints (tests
prove this on every released chart). A variant that makes helm fail is named in helm's error
(the alias is in the template path); it is rendered alone and the rest again together.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

RELEASE = "gaie-tui-check"
NAMESPACE = "gaie-tui-check"
TIMEOUT = 60
CHUNK = 16      # variants per helm run: a failing variant costs at most one chunk's re-run
JOBS = 2        # helm runs side by side (the machines this runs on have a few cores)
_PARENT = "gaietuibatch"
_ALIAS = re.compile(r"gaietuivar(\d+)x")
_SOURCE = re.compile(r"^# Source: " + _PARENT + r"/charts/gaietuivar(\d+)x/", re.M)


@dataclass
class Rendered:
    ok: bool
    manifests: str
    stderr: str


class BatchRenderer:
    """Renders values for one chart with one helm binary; safe to use from several threads."""

    def __init__(self, chart, helm: str, workdir: Path, *, folder: Path, release: str = RELEASE,
                 namespace: str = NAMESPACE) -> None:
        """`folder`: the chart extracted (deep.chart_dir), or the chart's own folder."""
        self.chart = chart
        self.helm = helm
        self.dir = Path(folder)
        import tempfile
        self.workdir = Path(tempfile.mkdtemp(dir=workdir, prefix="r-"))  # renderers may share a folder
        self.release = release
        self.namespace = namespace
        self._n = 0
        self._lock = threading.Lock()
        self.runs = 0          # helm processes started (the benchmark reports it)

    def _next(self) -> int:
        with self._lock:
            self._n += 1
            return self._n

    def _helm(self, chart_path: Path, values: dict) -> subprocess.CompletedProcess | None:
        path = self.workdir / f"values-{self._next()}.json"
        # the user's values (secrets included): 0600, created exclusively; JSON is YAML, no re-quoting
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(values))
        with self._lock:
            self.runs += 1
        try:
            return subprocess.run([self.helm, "template", self.release, str(chart_path), "--namespace",
                                   self.namespace, "--values", str(path)], capture_output=True, text=True,
                                  timeout=TIMEOUT, env={**os.environ, "HELM_DEBUG": "false"})
        except subprocess.TimeoutExpired:
            return None
        finally:
            path.unlink(missing_ok=True)

    def render(self, values: dict) -> Rendered:
        proc = self._helm(self.dir, values)
        if proc is None:
            return Rendered(False, "", f"helm template did not finish within {TIMEOUT}s")
        return Rendered(proc.returncode == 0, _normalize(_documents(proc.stdout)), proc.stderr)

    def render_many(self, variants: list[dict], *, chunk: int = CHUNK, jobs: int = JOBS) -> list[Rendered]:
        """One Rendered per variant, in order. Variants go to helm in chunks (a chunk that fails
        is rendered again without the variant helm named, so a failure costs one chunk, not the
        whole batch); chunks run side by side."""
        results: list[Rendered | None] = [None] * len(variants)
        chunks = [list(range(i, min(i + chunk, len(variants)))) for i in range(0, len(variants), chunk)]
        if len(chunks) <= 1 or jobs <= 1:
            for c in chunks:
                self._render_chunk(c, variants, results)
        else:
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(min(jobs, len(chunks))) as pool:
                list(pool.map(lambda c: self._render_chunk(c, variants, results), chunks))
        return [r if r is not None else Rendered(False, "", "not rendered") for r in results]

    def _render_chunk(self, idx: list[int], variants: list[dict], results: list) -> None:
        pending = list(idx)
        while pending:
            if len(pending) == 1:
                i = pending.pop()
                results[i] = self.render(variants[i])
                break
            if self._batch(pending, variants, results) is None:
                # helm failed without naming the variant (some errors name the chart, not the
                # alias): halve until the failing one is alone
                half = len(pending) // 2
                self._render_chunk(pending[:half], variants, results)
                self._render_chunk(pending[half:], variants, results)
                break
            pending = [i for i in pending if results[i] is None]

    def _batch(self, idx: list[int], variants: list[dict], results: list) -> int | None:
        parent = self.workdir / f"batch-{self._next()}"
        parent.mkdir(mode=0o700)
        (parent / "charts").mkdir(mode=0o700)
        name = self.chart.knowledge.name
        deps = "".join(f"- name: {json.dumps(name)}\n  version: {json.dumps(self.chart.version)}\n"
                       f"  alias: gaietuivar{i}x\n" for i in idx)
        # private like every scratch file (a new file in a fresh 0700 folder: nothing to follow)
        fd = os.open(parent / "Chart.yaml", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"apiVersion: v2\nname: {_PARENT}\nversion: 0.0.0\ndependencies:\n{deps}")
        os.symlink(self.dir, parent / "charts" / name)
        try:
            proc = self._helm(parent, {f"gaietuivar{i}x": variants[i] for i in idx})
        finally:
            _remove_tree(parent)
        if proc is None:
            for i in idx:
                results[i] = Rendered(False, "", f"helm template did not finish within {TIMEOUT}s")
            return len(idx)
        if proc.returncode != 0:
            # the alias in helm's error, not in the warnings printed before it
            err = proc.stderr[proc.stderr.find("Error:"):] if "Error:" in proc.stderr else proc.stderr
            m = _ALIAS.search(err)
            if m is None or int(m[1]) not in idx:
                return None
            bad = int(m[1])
            results[bad] = Rendered(False, "", _unalias(proc.stderr, name))
            return bad
        per: dict[int, list[str]] = {i: [] for i in idx}
        for doc in _documents(proc.stdout):
            m = _SOURCE.search(doc)
            if m is not None and int(m[1]) in per:
                per[int(m[1])].append(_unalias(doc, name))
        warn: dict[int, list[str]] = {i: [] for i in idx}
        for line in proc.stderr.splitlines(keepends=True):
            m = _ALIAS.search(line)
            if m is not None and int(m[1]) in warn:
                warn[int(m[1])].append(_unalias(line, name))
        for i in idx:  # helm coalesces a dependency's values more than once: each warning once
            results[i] = Rendered(True, _normalize(per[i]), "".join(dict.fromkeys(warn[i])))
        return -1


def _documents(text: str) -> list[str]:
    """helm's output split into its `---`-led documents, each kept byte for byte."""
    parts = re.split(r"(?m)^(?=---\n# Source: )", text)
    return [p for p in parts if p]


def _normalize(docs: list[str]) -> str:
    # helm trims the blank lines after the last document of its whole output only; a variant's
    # last document inside a batch keeps them. Trailing blank lines mean nothing in YAML.
    return "".join(d.rstrip() + "\n" for d in docs)


def _unalias(text: str, name: str) -> str:
    text = text.replace(f"# Source: {_PARENT}/charts/", "# Source: ")
    text = re.sub(r"\b" + _PARENT + r"\.gaietuivar\d+x\b", name, text)  # coalesce warnings: chart.key …
    return _ALIAS.sub(name, text)


def _remove_tree(path: Path) -> None:
    for p in sorted(path.rglob("*"), key=lambda x: len(x.parts), reverse=True):
        if p.is_symlink() or p.is_file():
            p.unlink()
        elif p.is_dir():
            p.rmdir()
    path.rmdir()
