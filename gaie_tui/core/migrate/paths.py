"""Where each setting of one chart version lives in another: inferencepool v1.0.x–v1.5.0 → a later
inferencepool or llm-d-router-gateway.

Derived from the target chart's own key tree (its values.yaml and every path its templates read)
wherever names carry over: `inferenceExtension.X` becomes the first of `router.epp.X`, `router.X`,
`router.inferencePool.X` that llm-d-router-gateway reads, so `failureMode` lands in
`router.inferencePool`, `monitoring` in `router` and `env` in `router.epp` without a table saying
so. Only settings whose *name* changed are listed by hand (`facts/charts.md`: the flags list that
became a map, the istio block that moved under `provider`, `hub`/`name` → `registry`/`repository`,
`modelServerType` → `modelServers.type`, `experimentalHttpRoute.enabled` → `httpRoute.create`).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..charts.store import Chart
from ..values.diagnostics import format_path

# renamed settings (not derivable from names): source path suffix → target path, per target family
_ROUTER_RENAMES: dict[tuple, tuple] = {
    ("inferencePool", "modelServerType"): ("router", "modelServers", "type"),
    ("inferencePool", "modelServerProtocol"): ("router", "modelServers", "protocol"),
    ("experimentalHttpRoute", "enabled"): ("httpRoute", "create"),
}
# blocks whose keys moved as a whole to another block: the candidates, in order
_ROUTER_BLOCKS: dict[str, tuple[tuple, ...]] = {
    "inferenceExtension": (("router", "epp"), ("router",), ("router", "inferencePool")),
    "inferencePool": (("router", "inferencePool"), ("router", "modelServers"), ("router",)),
    "experimentalHttpRoute": (("httpRoute",),),
    "inferenceObjectives": (("router", "inferenceObjectives"),),
}
# why a setting has no equivalent, where the reason is a known fact rather than "not read"
_WHY_NONE: dict[str, str] = {
    "inferencePool.apiVersion": "the chart always creates an inference.networking.k8s.io/v1 InferencePool "
                                "(the v1alpha2 API is gone)",
    "inferenceExtension.sidecar": "the EPP sidecar is not part of llm-d-router-gateway (its Envoy proxy is "
                                  "`router.proxy`, configured differently)",
}
_IMAGE_RENAMES = {"hub": "registry", "name": "repository"}


@dataclass(frozen=True)
class Target:
    keys: tuple | None          # where the setting goes; None: no equivalent
    reason: str = ""            # why it moved, or why there is nowhere to put it
    transform: str = ""         # "flags-map": the value itself changes shape
    newly_read: bool = False    # the old chart ignored it; the new one reads it


class KeyMap:
    """Maps setting paths (tuples of keys) of `src`'s values to `dst`'s."""

    def __init__(self, src: Chart, dst: Chart) -> None:
        self.src, self.dst = src, dst
        self.slay, self.dlay = src.layout.layout, dst.layout.layout
        self.to_router = dst.family == "llm-d-router-gateway" and src.family == "inferencepool"

    def target(self, keys: tuple) -> Target:
        keys = tuple(keys)
        moved, why, transform = self._canonical(keys)
        if self.to_router:
            candidates = self._router_candidates(moved)
        else:
            candidates = [moved]
        known = [c for c in candidates if self._known(self.dst, c)]
        src_known = self._known(self.src, keys)
        if not known:
            name = format_path(keys)
            reason = next((r for p, r in _WHY_NONE.items() if name == p or name.startswith(p + ".")), None)
            if reason is None:
                reason = (f"{self.dst.name} {self.dst.version} reads no `{format_path(candidates[0])}`"
                          + ("" if src_known else f" (and {self.src.name} {self.src.version} ignored it too)"))
            return Target(None, reason)
        return Target(known[0], why, transform, newly_read=not src_known)

    # ------------------------------------------------------------------------------------------
    def _canonical(self, keys: tuple) -> tuple[tuple, str, str]:
        """The path in inferencepool's newest layout for the target (istio under provider,
        registry/repository, flags as a map)."""
        why, transform = "", ""
        if self.slay.istio == "istio" and keys[:1] == ("istio",) and self.dlay.istio == "provider.istio":
            keys = ("provider", "istio") + keys[1:]
            why = "from inferencepool v1.2.0 the istio block is `provider.istio`"
        epp = tuple(self.slay.epp.split("."))
        if (len(keys) == len(epp) + 2 and keys[: len(epp)] == epp and keys[len(epp)] == "image"
                and keys[-1] in _IMAGE_RENAMES and self.dlay.image_keys == ("registry", "repository")
                and self.slay.image_keys == ("hub", "name")):
            keys = keys[:-1] + (_IMAGE_RENAMES[keys[-1]],)
            why = "from inferencepool v1.5.0 the image is `registry`/`repository` (`hub`/`name` are ignored)"
        if keys == epp + ("flags",) and self.slay.flags_shape == "list" and self.dlay.flags_shape == "map":
            transform = "flags-map"
            why = "from inferencepool v1.2.0 the EPP flags are a map (`v: 1`), not a list of name/value"
        if keys[:3] == (epp[0], "monitoring", "secret") and keys[3:] == ("name",):
            target = (epp[0], "monitoring", "prometheus", "auth", "secretName")
            if self._known(self.dst, target) or self.to_router:
                keys = target
                why = "from inferencepool v1.1.0 the metrics-reader secret is `monitoring.prometheus.auth.secretName`"
        return keys, why, transform

    def _router_candidates(self, keys: tuple) -> list[tuple]:
        for suffix, target in _ROUTER_RENAMES.items():
            if keys[: len(suffix)] == suffix:
                return [target + keys[len(suffix):]]
        top, rest = keys[0], keys[1:]
        if top == "inferencePool" and rest[:1] == ("modelServers",):
            return [("router", "modelServers") + rest[1:]]
        blocks = _ROUTER_BLOCKS.get(top)
        if blocks is None:
            return [keys]
        if not rest:
            return [blocks[0]]
        return [b + rest for b in blocks]

    @staticmethod
    def _known(chart: Chart, keys: tuple) -> bool:
        """The chart reads this key (or passes the map holding it through whole)."""
        node = chart.tree.root
        for k in keys:
            if node.open and not (isinstance(k, str) and k in node.children):
                return True
            nxt = node.children.get(k) if isinstance(k, str) else node.item
            if nxt is None and node.item is not None and not node.children:
                nxt = node.item  # a map of values (`range $k, $v`)
            if nxt is None:
                return False
            node = nxt
        return node.read or node.open or any(c.read for c in node.children.values()) or node.item is not None
