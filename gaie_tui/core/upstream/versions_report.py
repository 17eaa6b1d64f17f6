"""The `versions` answer: newest endpoint-picker release and the chart versions, each with where
it came from and when.

Order for every list: a fresh cache entry (no network) → the registry's tags list → GitHub
releases (when the registry cannot answer) → the last cached answer however old → the knowledge
bundled with gaie-tui. Offline is a normal state: the answer then says so once, with the date of
the data.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from ..charts import versions
from ..errors import UserError
from . import github, oci
from .cache import iso
from .net import NetworkError
from .session import Upstream


@dataclass(frozen=True)
class Answer:
    newest: str | None
    versions: list[str]  # release versions, newest first
    source: str  # the URL asked, "cache" or "bundled"
    fetched_at: datetime
    cached: bool  # True when the answer came from gaie-tui's cache (fresh or, offline, expired)

    def describe_source(self) -> str:
        """Where and when, for people: the same words in the CLI and the wizard."""
        if self.source == "bundled":
            return f"bundled with gaie-tui (data of {when(self.fetched_at)})"
        if self.source == "cache":
            return f"cache (fetched {when(self.fetched_at)})"
        return f"{self.source} ({when(self.fetched_at)})"


@dataclass(frozen=True)
class Bundled:
    data_date: str
    epp_image: str
    epp_repo: str
    epp_tags: list[str]
    charts: dict[str, dict[str, Any]]  # family → {"oci", "versions", optional "github_repo"}

    @property
    def fetched_at(self) -> datetime:
        return datetime.fromisoformat(self.data_date).replace(tzinfo=UTC)


def load_bundled() -> Bundled:
    data = json.loads(resources.files("gaie_tui").joinpath("data/bundled_versions.json")
                      .read_text(encoding="utf-8"))
    epp = data["endpoint_picker"]
    # chart versions and addresses have one home, chartref.FAMILIES; the file adds only what
    # chartref does not know (a GitHub repository to ask when the registry is down)
    from ..charts.refs import FAMILIES

    extra = data.get("charts", {})
    charts = {name: {"oci": fam.oci, "versions": list(reversed(fam.released)),
                     **({"github_repo": extra[name]["github_repo"]} if extra.get(name, {}).get("github_repo") else {})}
              for name, fam in FAMILIES.items()}
    return Bundled(data["data_date"], epp["image"], epp["github_repo"], list(epp["tags"]), charts)


@dataclass
class VersionsReport:
    image: str
    endpoint_picker: Answer
    charts: dict[str, Answer]
    offline: bool
    forced_offline: bool
    notes: list[str] = field(default_factory=list)
    bundled_date: str = ""

    def status_lines(self) -> list[str]:
        """What a person should be told besides the versions: offline (once, with the date of
        the data shown) and the session's notes (rate limits, stale answers)."""
        lines: list[str] = []
        if self.offline:
            answers = [self.endpoint_picker, *self.charts.values()]
            parts = []
            cached = sorted(a.fetched_at for a in answers if a.source == "cache")
            if cached:
                span = when(cached[0]) if cached[0] == cached[-1] else f"{when(cached[0])} to {when(cached[-1])}"
                parts.append(f"the cache (fetched {span})")
            if any(a.source == "bundled" for a in answers):
                parts.append(f"the knowledge bundled with gaie-tui (data of {self.bundled_date})")
            why = "--offline" if self.forced_offline else "no upstream could be reached"
            lines.append(f"offline ({why}): versions come from {' and '.join(parts)}.")
        lines.extend(self.notes)
        return lines

    def to_json(self) -> dict[str, Any]:
        epp = self.endpoint_picker
        return {
            "endpoint_picker": {"image": self.image, "newest": epp.newest, "tags": epp.versions,
                                "source": epp.source, "fetched_at": iso(epp.fetched_at),
                                "cached": epp.cached},
            "charts": {name: {"newest": a.newest, "versions": a.versions, "source": a.source,
                              "fetched_at": iso(a.fetched_at), "cached": a.cached}
                       for name, a in self.charts.items()},
        }


def when(at: datetime) -> str:
    """A date for people: the day alone for bundled data, else minutes in UTC."""
    at = at.astimezone(UTC)
    if at.hour == at.minute == at.second == 0:
        return f"{at:%Y-%m-%d}"
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _from_tags(t: oci.Tags) -> Answer:
    return Answer(t.newest, t.releases, t.source, t.fetched_at, t.cached)


def _from_releases(r: github.Releases) -> Answer:
    return Answer(r.newest, r.tags, r.source, r.fetched_at, r.cached)


def _lookup(session: Upstream, what: str, image: str, repo: str | None,
            bundled: list[str], bundled_at: datetime) -> Answer:
    """One list of versions, trying each source in turn; never raises for network trouble."""
    tried: list[Callable[[], Answer]] = [lambda: _from_tags(oci.tags(session, image, stale_ok=False))]
    if repo:
        tried.append(lambda: _from_releases(github.releases(session, repo, stale_ok=False)))
    for attempt in tried:
        try:
            answer = attempt()
        except NetworkError as exc:
            if isinstance(exc, github.RateLimited):
                session.note(exc.message)
            continue
        if answer.versions:
            return answer
    stale = [_from_tags(t) for t in [oci.cached_tags(session, image)] if t and t.releases]
    if repo:
        stale += [_from_releases(r) for r in [github.cached_releases(session, repo)] if r and r.tags]
    if stale:
        best = max(stale, key=lambda a: a.fetched_at)
        if not session.offline:
            session.note(f"{what}: no network answer, using the cached one from {best.fetched_at:%Y-%m-%d %H:%M} UTC")
        return best
    ordered = sorted(bundled, key=versions.key, reverse=True)
    if not session.offline:
        session.note(f"{what}: no network answer and nothing cached, using the versions bundled "
                     f"with gaie-tui (data of {bundled_at:%Y-%m-%d})")
    return Answer(versions.newest(ordered), ordered, "bundled", bundled_at, cached=False)


def endpoint_picker_versions(session: Upstream, family: str | None = None) -> Answer:
    """Release tags of the endpoint-picker image, newest first, with their source.

    Both chart families deploy the llm-d endpoint picker today (`family` is accepted so callers
    need not change if that ever differs); which EPP version suits which chart version is chart
    knowledge, not this module's business.
    """
    bundled = load_bundled()
    return _lookup(session, "endpoint picker", bundled.epp_image, bundled.epp_repo,
                   bundled.epp_tags, bundled.fetched_at)


def chart_versions(session: Upstream, family: str) -> Answer:
    """Released versions of a chart family, newest first, with their source."""
    bundled = load_bundled()
    if family not in bundled.charts:
        raise UserError(f"unknown chart family {family!r}", f"known: {', '.join(bundled.charts)}")
    info = bundled.charts[family]
    return _lookup(session, f"chart {family}", info["oci"].removeprefix("oci://"),
                   info.get("github_repo"), list(info["versions"]), bundled.fetched_at)


def build_report(session: Upstream, families: list[str] | None = None) -> VersionsReport:
    """Everything `gaie-tui versions` shows. `families` limits the charts (default: all known)."""
    bundled = load_bundled()
    epp = endpoint_picker_versions(session)
    charts = {name: chart_versions(session, name) for name in families or list(bundled.charts)}
    return VersionsReport(bundled.epp_image, epp, charts, session.offline, session.http.forced_offline,
                          list(session.notes), bundled.data_date)
