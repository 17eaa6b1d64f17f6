"""Whether the chart archive of a version is at hand — said before anyone edits values for it.

Bundled knowledge lets gaie-tui check values for every released version with no network, but
rendering (Review's objects, the deep check) and deploying need the archive itself: a local one
(`--chart PATH.tgz`, `GAIE_TUI_CHART_DIRS`), one in the cache, or the registry (or its mirror)
reachable so helm can pull it. Nothing here touches the network: whether the registry answers is
what the upstream session learnt while looking up versions.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import UserError

HOW_TO = ("provide one: network access to the registry, --chart PATH.tgz, a folder of archives in "
          "GAIE_TUI_CHART_DIRS, or a mirror in GAIE_TUI_REGISTRY_MIRRORS")


@dataclass(frozen=True)
class ArchiveStatus:
    available: bool | None     # None: not known yet (the registry has not been asked)
    where: str                 # "local archive …", "cache", "registry host (pulled when needed)", or why not
    how_to: str = ""           # what to do when there is none

    def line(self) -> str:
        if self.available:
            return f"chart archive: {self.where}"
        if self.available is None:
            return f"chart archive: {self.where}"
        return f"✗ no chart archive here ({self.where}): values can be checked, not rendered or deployed; {self.how_to}"


def archive_status(ref_text: str, upstream, registry_reachable: bool | None = None) -> ArchiveStatus:
    """Where the archive for `ref_text` would come from. `registry_reachable`: what the caller knows
    about the registry (None = not asked yet); the upstream session's own memory of hosts it reached
    or failed to reach is used first."""
    from ..upstream.charts import ChartUnavailable, pull_target, resolve_chart_archive
    from ..upstream.net import Http
    from .refs import parse_ref
    from .store import find_local_archive
    ref = parse_ref(ref_text)
    local = find_local_archive(ref)
    if local is not None:
        return ArchiveStatus(True, f"local archive {local}")
    address = ref.oci_address
    if not address or not ref.version:
        return ArchiveStatus(False, "no registry address for this chart", HOW_TO)
    cache_only = dataclasses.replace(upstream, http=Http(forced_offline=True))
    try:
        resolve_chart_archive(ref, cache_only)
        return ArchiveStatus(True, "in the cache")
    except ChartUnavailable:
        pass
    except UserError as exc:
        return ArchiveStatus(False, exc.message, HOW_TO)
    target = pull_target(address, upstream)
    host = target.base_url.split("://", 1)[-1]
    http = upstream.http
    if http.forced_offline:
        return ArchiveStatus(False, "offline: not in the cache", HOW_TO)
    if target.base_url in http.unreachable or registry_reachable is False:
        return ArchiveStatus(False, f"the registry {host} cannot be reached", HOW_TO)
    if target.base_url in http.reached or registry_reachable:
        return ArchiveStatus(True, f"from the registry {host} when needed")
    return ArchiveStatus(None, f"pulled from the registry {host} when needed (not asked yet)")
