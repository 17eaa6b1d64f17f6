"""The answer cache: TTL per kind, expired entries kept for offline use, atomic JSON files."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from gaie_tui.core.paths import cache_dir
from gaie_tui.core.upstream.cache import Cache
from gaie_tui.core.upstream.session import Upstream


def test_session_cache_lives_in_the_configured_cache_folder(isolated):
    session = Upstream.from_env()
    assert session.cache.root == cache_dir() == isolated / "cache"


def test_ttl_per_kind(tmp_path, clock):
    cache = Cache(tmp_path, clock=clock)
    cache.put("tags", "k", ["v1.0.0"])
    cache.put("values_at_tag", "k", "a: 1")
    cache.put("chart_knowledge", "sha256:abc", {"x": 1})  # an unregistered kind: forever
    clock.advance(hours=5, minutes=59)
    assert cache.get("tags", "k") == (["v1.0.0"], clock.now - timedelta(hours=5, minutes=59))
    clock.advance(minutes=2)
    assert cache.get("tags", "k") is None
    entry = cache.entry("tags", "k")
    assert entry.expired and entry.value == ["v1.0.0"]  # still there for offline use
    clock.advance(days=3650)
    assert cache.get("values_at_tag", "k")[0] == "a: 1"
    assert cache.get("chart_knowledge", "sha256:abc")[0] == {"x": 1}


def test_ttls_can_be_tuned(tmp_path, clock):
    cache = Cache(tmp_path, clock=clock, ttls={"tags": timedelta(minutes=1)})
    cache.put("tags", "k", 1)
    clock.advance(minutes=2)
    assert cache.get("tags", "k") is None


def test_writes_are_atomic_json_files(tmp_path, clock):
    cache = Cache(tmp_path, clock=clock)
    cache.put("releases", "https://api.github.com/repos/llm-d/llm-d-router", {"tags": ["v0.10.0"]})
    files = list((tmp_path / "answers" / "releases").iterdir())
    assert len(files) == 1 and files[0].suffix == ".json"  # no temporary files left behind
    data = json.loads(files[0].read_text())
    assert data["key"] == "https://api.github.com/repos/llm-d/llm-d-router"
    assert data["fetched_at"] == "2026-11-27T12:00:00+00:00"


def test_damaged_or_foreign_entries_are_ignored(tmp_path, clock):
    cache = Cache(tmp_path, clock=clock)
    cache.put("tags", "k", 1)
    path = next((tmp_path / "answers" / "tags").iterdir())
    path.write_text("{not json")
    assert cache.get("tags", "k") is None
    path.write_text(json.dumps({"key": "other", "fetched_at": "2026-11-27T12:00:00+00:00", "value": 2}))
    assert cache.get("tags", "k") is None


def test_kind_must_be_a_plain_word(tmp_path):
    with pytest.raises(ValueError):
        Cache(tmp_path).put("../escape", "k", 1)
