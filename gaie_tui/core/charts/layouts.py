"""The four value layouts of the inferencepool chart and its successor, keyed by version range.

A schema says which keys exist; this module says what they mean across versions: where the EPP
block, the istio block and the image keys live, whether flags are a list or a map, which model
server types a version supports. Ranges are open-ended on purpose: a version we have never seen
(a newer patch, a mirror's re-tag) gets the layout its own archive shows, and we say so.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from . import versions
from .derive import ChartKnowledge


@dataclass(frozen=True)
class Layout:
    id: str
    family: str
    epp: str                      # the EPP block
    pool: str                     # block holding matchLabels / targetPorts
    match_labels: str
    target_ports: str
    model_server_type: str
    extra_container_ports: str
    extra_service_ports: str
    monitoring: str
    flags_shape: str              # "list" ([{name, value}]) or "map"
    istio: str | None             # path of the istio block, None when the chart has no istio support
    image_keys: tuple[str, str]   # (registry-ish key, repository-ish key)
    ignored_image_keys: tuple[str, ...] = ()

    def path(self, *parts: str) -> str:
        return ".".join(p for p in parts if p)


def _inferencepool(lid: str, flags: str, istio: str | None, image: tuple[str, str],
                   ignored: tuple[str, ...] = ()) -> Layout:
    return Layout(id=lid, family="inferencepool", epp="inferenceExtension", pool="inferencePool",
                  match_labels="inferencePool.modelServers.matchLabels",
                  target_ports="inferencePool.targetPorts",
                  model_server_type="inferencePool.modelServerType",
                  extra_container_ports="inferenceExtension.extraContainerPorts",
                  extra_service_ports="inferenceExtension.extraServicePorts",
                  monitoring="inferenceExtension.monitoring",
                  flags_shape=flags, istio=istio, image_keys=image, ignored_image_keys=ignored)


LAYOUTS: dict[str, Layout] = {
    "A": _inferencepool("A", "list", "istio", ("hub", "name")),
    "B": _inferencepool("B", "map", "provider.istio", ("hub", "name")),
    "C": _inferencepool("C", "map", "provider.istio", ("registry", "repository"), ("hub", "name")),
    "D": Layout(id="D", family="llm-d-router-gateway", epp="router.epp", pool="router.modelServers",
                match_labels="router.modelServers.matchLabels",
                target_ports="router.modelServers.targetPorts",
                model_server_type="router.modelServers.type",
                extra_container_ports="router.epp.extraContainerPorts",
                extra_service_ports="router.extraServicePorts",
                monitoring="router.monitoring",
                flags_shape="map", istio="provider.istio", image_keys=("registry", "repository"),
                ignored_image_keys=("hub", "name")),
}

# (family, first version, last version or None = open-ended, layout)
LAYOUT_RANGES: tuple[tuple[str, str, str | None, str], ...] = (
    ("inferencepool", "v1.0.0", "v1.1.99", "A"),
    ("inferencepool", "v1.2.0", "v1.4.99", "B"),
    ("inferencepool", "v1.5.0", None, "C"),
    ("llm-d-router-gateway", "v0.9.0", None, "D"),
)

# model-server types each version range accepts
MODEL_SERVER_TYPES: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    ("inferencepool", "v1.0.0", "v1.3.99", ("vllm", "triton-tensorrt-llm")),
    ("inferencepool", "v1.4.0", "v1.4.99", ("vllm", "triton-tensorrt-llm", "sglang")),
    ("inferencepool", "v1.5.0", None, ("vllm", "triton-tensorrt-llm", "sglang", "trtllm-serve")),
    ("llm-d-router-gateway", "v0.9.0", None, ("vllm", "sglang", "triton-tensorrt-llm", "trtllm-serve", "triton")),
)


@dataclass(frozen=True)
class LayoutMatch:
    layout: Layout
    known_range: bool   # the version falls in a range we have checked
    note: str = ""      # said to the user when we had to derive or guess


def expected_layout_id(family: str, version: str) -> str | None:
    for fam, low, high, lid in LAYOUT_RANGES:
        if fam == family and versions.in_range(version, low, high):
            return lid
    return None


def classify(knowledge: ChartKnowledge) -> str | None:
    """Which layout the archive itself shows, from its defaults and templates."""
    reads = knowledge.reads
    if knowledge.name == "llm-d-router-gateway" or "router" in knowledge.subcharts:
        return "D"
    defaults = knowledge.defaults if isinstance(knowledge.defaults, dict) else {}  # a broken chart: no layout
    ie = defaults.get("inferenceExtension") or {}
    flags = ie.get("flags") if isinstance(ie, dict) else None
    image_reads = {p.rsplit(".", 1)[-1] for p in reads if p.startswith("inferenceExtension.image.")}
    if isinstance(flags, list) or "inferenceExtension.flags[].name" in reads:
        return "A"
    if "registry" in image_reads or "repository" in image_reads:
        return "C"
    if "hub" in image_reads:
        return "B"
    return None


def layout_for(family: str | None, version: str, knowledge: ChartKnowledge | None = None) -> LayoutMatch:
    match = _layout_for(family, version, knowledge)
    fam = family or (knowledge.name if knowledge else "inferencepool")
    if not has_istio(fam, version) and match.layout.istio:
        match = replace(match, layout=replace(match.layout, istio=None))
    return match


def _layout_for(family: str | None, version: str, knowledge: ChartKnowledge | None) -> LayoutMatch:
    fam = family or (knowledge.name if knowledge else "inferencepool")
    lid = expected_layout_id(fam, version)
    known = _is_released(fam, version)
    derived = classify(knowledge) if knowledge is not None else None
    if lid and known:
        return LayoutMatch(LAYOUTS[lid], True)
    if derived:
        what = "not a release we know" if not lid else "newer than the releases we checked"
        return LayoutMatch(LAYOUTS[derived], False,
                           f"{fam} {version} is {what}; its archive matches layout {derived} "
                           f"({_describe(LAYOUTS[derived])}), so it is checked as such.")
    if lid:
        return LayoutMatch(LAYOUTS[lid], False,
                           f"{fam} {version} is not a release we know; assuming layout {lid} "
                           f"({_describe(LAYOUTS[lid])}) from its version range — give the chart archive "
                           "with --chart to check against the archive itself.")
    fallback = "D" if fam == "llm-d-router-gateway" else "A"
    return LayoutMatch(LAYOUTS[fallback], False,
                       f"{fam} {version} is older than any release we know; assuming layout {fallback}.")


def _is_released(family: str, version: str) -> bool:
    from .refs import FAMILIES
    fam = FAMILIES.get(family)
    return bool(fam and version in fam.released)


def _describe(layout: Layout) -> str:
    istio = f"istio at `{layout.istio}`" if layout.istio else "no istio block"
    return (f"flags as a {layout.flags_shape}, {istio}, image keys "
            f"`{layout.image_keys[0]}`/`{layout.image_keys[1]}`")


def model_server_types(family: str, version: str) -> tuple[str, ...]:
    for fam, low, high, types in MODEL_SERVER_TYPES:
        if fam == family and versions.in_range(version, low, high):
            return types
    return ("vllm",)


def versions_supporting_type(family: str, server_type: str) -> list[str]:
    from .refs import FAMILIES
    return [v for v in FAMILIES[family].released if server_type in model_server_types(family, v)]


def has_istio(family: str, version: str) -> bool:
    """inferencepool v1.0.0 renders no DestinationRule at all."""
    return not (family == "inferencepool" and versions.key(version) < (1, 0, 1))
