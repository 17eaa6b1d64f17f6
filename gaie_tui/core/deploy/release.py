"""An existing release: its state as helm and the cluster tell it (absent, deployed, pending-…, or
unknown when nobody could be asked), the actions that fit that state, and running them.

Named `release` (not `actions`): the day-two commands keep their recorded actions elsewhere."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..cluster import helm as helm_mod
from ..errors import UserError
from ..names import check_namespace, check_release
from ..verify.expected import Expected, expected_from_objects, parse_manifest

ABSENT, UNKNOWN = "absent", "unknown"


@dataclass
class ReleaseState:
    """`status` is helm's (deployed, failed, pending-install, pending-upgrade, pending-rollback,
    uninstalling), or "absent" (no such release), or "unknown" (helm and the cluster could not be
    asked; `error` says why)."""
    status: str
    revision: int | None = None
    chart: str = ""
    error: str = ""
    seen_at: float = 0.0

    @property
    def known(self) -> bool:
        return self.status != UNKNOWN

    def describe(self) -> str:
        if self.status == ABSENT:
            return "the release does not exist"
        if self.status == UNKNOWN:
            return f"the release state is unknown ({self.error})" if self.error else "the release state is unknown"
        return f"the release is {self.status}" + (f" (revision {self.revision})" if self.revision else "")

    def to_dict(self) -> dict:
        return {"status": self.status, "revision": self.revision, "chart": self.chart, "error": self.error,
                "seen_at": self.seen_at}


def read_state(helm: str, release: str, namespace: str, kube_args: list[str], timeout: float = 30.0) -> ReleaseState:
    """The release's state from `helm list` (any live state); unknown when helm could not ask."""
    row, error = helm_mod.release_row(helm, release, namespace, kube_args, timeout=timeout)
    now = time.time()
    if error:
        return ReleaseState(UNKNOWN, error=error, seen_at=now)
    if row is None:
        return ReleaseState(ABSENT, seen_at=now)
    return ReleaseState(str(row.get("status", "")), int(row.get("revision", 0) or 0) or None,
                        str(row.get("chart", "")), seen_at=now)


def state_from_secrets(cluster, namespace: str, release: str) -> ReleaseState:
    """The release's state from the labels of helm's release secrets (metadata only, no data): what
    the engine watches while helm runs, so a cluster that goes away leaves a last state seen."""
    metas = cluster.secrets(namespace, label_selector=f"owner=helm,name={release}")
    latest = max(metas, key=lambda s: int(s.labels.get("version", "0") or 0), default=None)
    if latest is None:
        return ReleaseState(ABSENT, seen_at=time.time())
    return ReleaseState(str(latest.labels.get("status", "")), int(latest.labels.get("version", "0") or 0) or None,
                        seen_at=time.time())


def actions_for(state: ReleaseState | None) -> list[str]:
    """What can be done about the release now: `rollback` (to the last deployed revision),
    `uninstall`, or `refresh` (ask again) — nothing when it is deployed or does not exist."""
    if state is None or state.status == ABSENT or state.status == "deployed":
        return []
    if state.status == UNKNOWN:
        return ["refresh"]
    first = (state.revision or 1) <= 1
    if state.status in ("pending-install", "uninstalling") or (first and state.status in ("failed", "pending-upgrade")):
        return ["uninstall"]
    return ["rollback", "uninstall"]


def look_command(release: str, namespace: str, kube_args: list[str]) -> str:
    """The command a person runs to see for themselves."""
    return " ".join(["helm", "status", release, "-n", namespace, *kube_args])


def rollback(helm: str, release: str, namespace: str, kube_args: list[str], revision: int | None = None,
             on_line: Callable[[helm_mod.LogLine], None] | None = None) -> helm_mod.HelmResult:
    """helm rollback (to the previous revision by default)."""
    check_release(release)
    check_namespace(namespace)
    binary, version = helm_mod.check_helm(helm)
    return helm_mod.run(helm_mod.rollback_argv(binary, version[0], release, namespace, revision, kube_args),
                        on_line=on_line)


def uninstall(helm: str, release: str, namespace: str, kube_args: list[str],
              on_line: Callable[[helm_mod.LogLine], None] | None = None) -> helm_mod.HelmResult:
    check_release(release)
    check_namespace(namespace)
    binary, _ = helm_mod.check_helm(helm)
    return helm_mod.run(helm_mod.uninstall_argv(binary, release, namespace, kube_args), on_line=on_line)


def deployed_values(helm: str, release: str, namespace: str, kube_args: list[str]) -> str | None:
    """The values of the deployed release (for the upgrade diff), or None when there is none."""
    text, _err = helm_mod.get_values(helm, release, namespace, kube_args)
    return text


def expected_for_release(helm: str, release: str, namespace: str, kube_args: list[str], *,
                         chart_name: str = "", chart_version: str = "") -> tuple[Expected, dict | None]:
    """What an existing release should look like (its own manifest) and its helm list row."""
    check_release(release)
    check_namespace(namespace)
    rel, error = helm_mod.release_row(helm, release, namespace, kube_args)
    if error:
        raise UserError(f"cannot ask helm about release {release} in namespace {namespace}: {error}",
                        "check that the cluster can be reached with this context")
    if rel is None:
        raise UserError(f"no helm release {release!r} in namespace {namespace}",
                        "check the release name, namespace and context (helm list -A lists every release)")
    manifest, err = helm_mod.get_manifest(helm, release, namespace, kube_args)
    if manifest is None:
        raise UserError(f"cannot read the manifest of release {release}: {err[:300]}", "check helm can reach the cluster")
    if not chart_name or not chart_version:
        name, _, ver = str(rel.get("chart", "")).rpartition("-")
        chart_name = chart_name or name
        chart_version = chart_version or ver
    exp = expected_from_objects(parse_manifest(manifest, namespace), release=release, namespace=namespace,
                                chart_name=chart_name, chart_version=chart_version)
    return exp, rel
