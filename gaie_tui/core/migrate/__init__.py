"""Migrating values to another chart version or family, with a proof (`gaie-tui migrate`).

    result = migrate([("values.yaml", text)], src_chart, dst_chart, helm=helm)
    result.files[0].text        # the rewritten file: comments and key order kept
    result.files[0].moved       # what moved where, and why
    result.files[0].dropped     # what has no equivalent, and why (kept in the file, commented out)
    result.proof                # old values + old chart vs new values + new chart, compared
    result.ok                   # nothing lost

Several files are migrated one by one (each keeps its role as a layer) and proven together, merged
as helm merges them. The wizard can call this when a file was written for another version, and
show `result.proof` on Review.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..charts.store import Chart
from ..errors import UserError
from ..values import source as yamlsource
from ..values.diagnostics import format_path
from ..values.generate import HEADER_MARK
from ..values.layers import merge_sources
from .paths import KeyMap, Target  # noqa: F401  (re-exported)
from .proof import DIFFERENT, EQUAL, LOST, Case, Facet, Proof, prove, prove_many  # noqa: F401
from .rewrite import Dropped, Moved, rewrite


@dataclass
class MigratedFile:
    name: str
    text: str
    moved: list[Moved] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    newly_read: list[tuple] = field(default_factory=list)


@dataclass
class Migration:
    src: Chart
    dst: Chart
    files: list[MigratedFile]
    proof: Proof | None = None
    old_values: dict = field(default_factory=dict)    # the old layers merged, as helm merges them
    new_values: dict | None = None                     # the rewritten layers merged (None: a file broke)

    def case(self) -> Case:
        """What the proof renders and compares (many can be proven together with prove_many)."""
        explained = {}
        for f in self.files:
            for keys in f.newly_read:
                for aspect in _aspects_of(keys, self.dst):
                    explained[aspect] = (f"`{format_path(keys)}` was ignored by {self.src.name} {self.src.version} "
                                         f"and takes effect on {self.dst.name} {self.dst.version}")
        return Case(self.src, self.old_values, self.dst, self.new_values or {}, explained)

    @property
    def ok(self) -> bool:
        return self.proof is not None and self.proof.ok

    def to_json(self) -> dict:
        return {
            "from": {"name": self.src.name, "version": self.src.version},
            "to": {"name": self.dst.name, "version": self.dst.version},
            "files": [{"file": f.name,
                       "moved": [{"from": format_path(m.old), "to": format_path(m.new), "why": m.reason}
                                 for m in f.moved],
                       "no_equivalent": [{"setting": format_path(d.old), "why": d.reason} for d in f.dropped],
                       "takes_effect_now": [format_path(k) for k in f.newly_read]} for f in self.files],
            "proof": self.proof.to_json() if self.proof else None,
            "ok": self.ok,
        }


def check_direction(src: Chart, dst: Chart) -> None:
    from ..charts import versions
    if src.family == "llm-d-router-gateway" and dst.family == "inferencepool":
        raise UserError(f"migrating from {src.name} back to inferencepool is not supported",
                        "llm-d-router-gateway is the successor; keep the values for it")
    if src.family == dst.family and versions.key(dst.version) < versions.key(src.version):
        raise UserError(f"{dst.name} {dst.version} is older than {src.version}",
                        "migrate to a later version (or keep the file for the version it was written for)")


def migrate(files: list[tuple[str, str]], src: Chart, dst: Chart, *, helm: str | None = None,
            prove_it: bool = True, today: str | None = None) -> Migration:
    check_direction(src, dst)
    km = KeyMap(src, dst)
    sources = [yamlsource.parse(text, name) for name, text in files]
    for s in sources:
        bad = [d for d in s.diagnostics if d.severity == "error"]
        if not s.ok or bad:
            d = (bad or s.diagnostics)[0]
            raise UserError(f"{s.name}:{d.line}:{d.column}: {d.message}", "fix the YAML before migrating it")
    out: list[MigratedFile] = []
    for s in sources:
        r = rewrite(s, km, header=_header(s.text, src, dst, today))
        out.append(MigratedFile(s.name, r.text, r.moved, r.dropped, r.newly_read))
    result = Migration(src, dst, out, old_values=merge_sources(sources).values or {})
    new_sources = [yamlsource.parse(f.text, f.name) for f in out]
    broken = [s for s in new_sources if not s.ok]
    if broken:
        result.proof = Proof(error=f"the rewritten {broken[0].name} does not parse (a bug in gaie-tui)")
        return result
    result.new_values = merge_sources(new_sources).values or {}
    if prove_it and helm:
        result.proof = prove_many([result.case()], helm=helm)[0]
    return result


def _aspects_of(keys: tuple, chart: Chart) -> list[tuple]:
    """The compared aspects a setting feeds (for settings that take effect only in the new chart)."""
    lay = chart.layout.layout
    name = ".".join(str(k) for k in keys)
    epp = lay.epp + "."
    table = [(epp + "resources", ("EPP container", "resources")), (epp + "image", ("EPP container", "*")),
             (epp + "env", ("EPP container", "*")), (epp + "flags", ("EPP container", "*")),
             (epp + "replicas", ("EPP Deployment", "replicas")), (lay.extra_service_ports, ("EPP Service", "*")),
             (epp + "resources", ("EPP container", "*")),
             (lay.match_labels, ("InferencePool", "selector")), (lay.target_ports, ("InferencePool", "target ports")),
             ("provider.istio", ("DestinationRule", "*")), (lay.monitoring, ("ServiceMonitor", "*"))]
    return [aspect for prefix, aspect in table if name == prefix or name.startswith(prefix + ".")]


def _header(text: str, src: Chart, dst: Chart, today: str | None) -> list[str]:
    """The file's header lines with the chart line pointing at the new chart, and a note."""
    from datetime import UTC, datetime
    lines = text.splitlines()
    head: list[str] = []
    for ln in lines:
        if ln.strip() and not ln.lstrip().startswith("#"):
            break
        head.append(ln)
    # the header ends at the last blank line before the first key (comments right above a key are its own)
    while head and head[-1].strip():
        head.pop()
    ref = f"{dst.family}@{dst.version}"
    stamp = today or datetime.now(UTC).strftime("%Y-%m-%d")
    note = f"# Migrated from {src.name} {src.version} to {dst.name} {dst.version} by gaie-tui migrate on {stamp}."
    out, seen = [], False
    for ln in head:
        if ln.strip().startswith(HEADER_MARK):
            out.append(f"{HEADER_MARK}{ref}")
            out.append(note)
            seen = True
        else:
            out.append(ln)
    if not seen:
        out = [f"{HEADER_MARK}{ref}", note] + out
    return out
