"""The `Upstream` session: what every upstream call needs, carried explicitly (no globals).

One session per command run or wizard: it remembers which hosts failed (so offline is detected
once, not per request), holds the cache and the clock (tests move time), and collects the calm
one-line notes the user should see once (offline, rate limited, stale data).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..paths import cache_dir
from .cache import Cache, utcnow
from .net import Endpoints, Http


@dataclass
class Upstream:
    endpoints: Endpoints
    http: Http
    cache: Cache
    clock: Callable[[], datetime] = utcnow
    helm: str | None = None  # explicit helm binary; None = GAIE_TUI_HELM, then PATH
    notes: list[str] = field(default_factory=list)
    # Answers fetched from the network during this session, so a second lookup of the same list
    # (the EPP and the successor chart share llm-d-router's releases) reports its real source.
    fetched: dict[tuple[str, str], object] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, *, offline: bool = False, cache_root: Path | None = None,
                 clock: Callable[[], datetime] = utcnow, **http_options) -> Upstream:
        """The usual session: endpoints and mirrors from the environment, cache in the XDG
        cache folder. `http_options` tune timeouts/retries (tests make them short)."""
        return cls(
            endpoints=Endpoints.from_env(),
            http=Http(forced_offline=offline, **http_options),
            cache=Cache(cache_root or cache_dir(), clock=clock),
            clock=clock,
        )

    @property
    def offline(self) -> bool:
        return self.http.offline

    def note(self, text: str) -> None:
        """Say something once per session, however many lookups run into it."""
        if text not in self.notes:
            self.notes.append(text)

    def github_token(self) -> str | None:
        # Read at use, never stored on the object: a repr or a log of the session must not leak it.
        return os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or None

    def helm_binary(self) -> str | None:
        from ..cluster.helm import locate_helm

        return self.helm or locate_helm()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Upstream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
