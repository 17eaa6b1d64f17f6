"""Helpers shared by the engine tests (not fixtures: plain functions)."""
from __future__ import annotations

from pathlib import Path

from gaie_tui.core.charts.refs import parse_ref
from gaie_tui.core.charts.store import KnowledgeStore
from gaie_tui.core.cluster.checks import FAIL, PASS, SKIP, WARN
from gaie_tui.core.deploy.engine import DeployEngine
from gaie_tui.core.deploy.plan import make_plan
from gaie_tui.core.values.generate import Answers, generate

READY_DELAY = 0.15


def chart_for(archive_or_ref: str | Path):
    return KnowledgeStore().get(parse_ref(str(archive_or_ref)))


def values_for(chart, release: str = "gaie", namespace: str = "llm-d", **kw) -> str:
    answers = Answers(release=release, namespace=namespace, provider=kw.pop("provider", "istio"),
                      hf_secret=kw.pop("hf_secret", "llm-d-hf-token"), **kw)
    return generate(chart, answers).text


def deploy(sc, chart, values: str, tmp_path: Path, *, release: str = "gaie", namespace: str = "llm-d",
           wait_timeout: str = "20s", verify_wait: float = 15.0, events: list | None = None, **kw):
    plan = make_plan(chart, values, release=release, namespace=namespace, kubeconfig=str(sc.kubeconfig),
                     context=sc.context, wait_timeout=wait_timeout, create_namespace=kw.pop("create_namespace", False))
    engine = DeployEngine(plan, chart=chart, record_parent=tmp_path / "records", verify_wait=verify_wait,
                          on_event=(events.append if events is not None else None), observe_interval=0.3,
                          approved_by=kw.pop("approved_by", "--yes"), **kw)
    return engine, engine.run()


def by_id(checks) -> dict:
    return {c.id: c for c in checks}


def green(checks, allow_warn: tuple[str, ...] = ()) -> list[str]:
    """Problems: every check must pass or skip (warn only for the ids allowed)."""
    bad = []
    for c in checks:
        if c.status in (PASS, SKIP) or (c.status == WARN and c.id in allow_warn):
            continue
        bad.append(f"{c.id}: {c.status}: {c.evidence} → {c.remedy}")
    return bad


def writes(server) -> list[str]:
    """Mutating requests the emulator saw (SelfSubjectAccessReviews change nothing)."""
    return [r for r in server.request_log if r.split()[0] in ("POST", "PUT", "PATCH", "DELETE")
            and "selfsubjectaccessreviews" not in r]


__all__ = ["FAIL", "PASS", "SKIP", "WARN"]
