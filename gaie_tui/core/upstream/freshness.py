"""One line for people about a versions answer: the newest chart version and EPP release, where
the answer came from and how old it is ("from ghcr.io tags, 2 h ago", "bundled data of …")."""
from __future__ import annotations

from datetime import UTC, datetime


def versions_line(report, family: str, now: datetime | None = None) -> str:
    chart = report.charts.get(family)
    epp = report.endpoint_picker
    parts = []
    if chart is not None and chart.newest:
        parts.append(f"newest {chart.newest}")
    if epp.newest:
        parts.append(f"EPP {epp.newest}")
    answer = chart if chart is not None else epp
    parts.append(answer_source(answer, report.offline, now))
    return " · ".join(parts)


def answer_source(answer, offline: bool, now: datetime | None = None) -> str:
    """"from ghcr.io tags, 2 h ago", "cached answer of 3 h ago", "bundled data of 2026-08-17 (offline)"."""
    from urllib.parse import urlsplit
    if answer.source == "bundled":
        text = f"bundled data of {answer.fetched_at:%Y-%m-%d}"
    else:
        age = _age((now or datetime.now(UTC)) - answer.fetched_at)
        if answer.source == "cache":
            text = f"cached answer of {age}"
        else:
            url = urlsplit(answer.source)
            what = "GitHub releases" if "/releases" in url.path else "tags"
            text = f"from {url.netloc} {what}, {age}"
    return text + (" (offline)" if offline else "")


def _age(delta) -> str:
    secs = max(0, int(delta.total_seconds()))
    if secs < 90:
        return "just now"
    if secs < 90 * 60:
        return f"{round(secs / 60)} min ago"
    if secs < 36 * 3600:
        return f"{round(secs / 3600)} h ago"
    return f"{round(secs / 86400)} d ago"
