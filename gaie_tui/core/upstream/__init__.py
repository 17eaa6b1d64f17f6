"""Upstream sources: GitHub releases and files at tags, OCI registries (tags, chart archives via
helm), a cache with per-kind time-to-live, and bundled knowledge for when there is no network.

Everything takes an `Upstream` session (offline state, cache, clock); nothing here is global.
Submodules import httpx lazily, so importing this package stays cheap.
"""
from __future__ import annotations

from .cache import Cache
from .charts import (
                     ChartArchive,
                     ChartUnavailable,
                     CorruptArchive,
                     ValuesText,
                     inspect_archive,
                     read_member,
                     resolve_chart_archive,
                     resolve_values,
)
from .net import Endpoints, Mirror, NetworkError, OfflineError
from .session import Upstream

__all__ = ["Cache", "ChartArchive", "ChartUnavailable", "CorruptArchive", "Endpoints", "Mirror",
           "NetworkError", "OfflineError", "Upstream", "ValuesText", "inspect_archive",
           "read_member", "resolve_chart_archive", "resolve_values"]
