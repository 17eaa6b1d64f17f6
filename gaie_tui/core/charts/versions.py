"""Version strings as charts and images use them (`v1.2.3`)."""
from __future__ import annotations

import re

RELEASE_TAG = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


def parse(version: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) for a plain release version, None for anything else (rc, sync tags)."""
    m = RELEASE_TAG.match(version.strip())
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def key(version: str) -> tuple[int, int, int]:
    """Sort key; non-release strings sort first."""
    return parse(version) or (-1, -1, -1)


def is_release(tag: str) -> bool:
    return bool(RELEASE_TAG.match(tag)) and tag.startswith("v")


def newest(tags: list[str]) -> str | None:
    releases = [t for t in tags if is_release(t)]
    return max(releases, key=key) if releases else None


def in_range(version: str, low: str | None = None, high: str | None = None) -> bool:
    """low <= version <= high (inclusive; either bound may be None)."""
    v = key(version)
    if low is not None and v < key(low):
        return False
    if high is not None and v > key(high):
        return False
    return True
