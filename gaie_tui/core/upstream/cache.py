"""A small JSON cache of network answers in the XDG cache folder.

Each answer is one file `<root>/answers/<kind>/<hash of key>.json` holding the key, the time it
was fetched and the value. Kinds have a time-to-live: lists of releases and tags change, so they
are re-asked after a few hours; anything keyed by an exact version or a digest never changes, so
it lives forever. An expired entry is not thrown away: offline, it is still the best answer we
have, shown with its date.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HOUR = timedelta(hours=1)

# None = forever. Unknown kinds are forever too: callers who cache by digest or exact version
# (chart knowledge) need no registration.
DEFAULT_TTLS: dict[str, timedelta | None] = {
    "releases": 6 * HOUR,  # GitHub releases of a repository
    "tags": 6 * HOUR,  # OCI tags lists
    "values_at_tag": None,  # a file at a release tag never changes
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    value: Any
    fetched_at: datetime
    expired: bool


@dataclass
class Cache:
    root: Path
    clock: Callable[[], datetime] = utcnow
    ttls: dict[str, timedelta | None] = field(default_factory=lambda: dict(DEFAULT_TTLS))

    def ttl(self, kind: str) -> timedelta | None:
        return self.ttls.get(kind)

    def _file(self, kind: str, key: str) -> Path:
        if not kind.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"cache kind {kind!r} must be a plain word")  # it becomes a folder name
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
        return self.root / "answers" / kind / f"{digest}.json"

    def entry(self, kind: str, key: str) -> Entry | None:
        """The stored answer whether or not it has expired (None if absent or unreadable)."""
        path = self._file(kind, key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("key") != key:  # a hash collision or a hand-edited file: not ours
                return None
            fetched = parse_iso(data["fetched_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        ttl = self.ttl(kind)
        expired = ttl is not None and self.clock() - fetched > ttl
        return Entry(data.get("value"), fetched, expired)

    def get(self, kind: str, key: str) -> tuple[Any, datetime] | None:
        """(value, fetched_at) while the answer is fresh for its kind, else None."""
        entry = self.entry(kind, key)
        if entry is None or entry.expired:
            return None
        return entry.value, entry.fetched_at

    def put(self, kind: str, key: str, value: Any, fetched_at: datetime | None = None) -> datetime:
        """Store an answer (JSON-serialisable). Written atomically: a crash or a parallel run
        never leaves half a file for the next reader."""
        when = fetched_at or self.clock()
        path = self._file(kind, key)
        write_atomic(path, json.dumps({"key": key, "fetched_at": iso(when), "value": value},
                                      indent=1, sort_keys=True).encode("utf-8"))
        return when


def write_atomic(path: Path, data: bytes) -> None:
    from ..safeio import write_file
    write_file(path, data, private=True)
