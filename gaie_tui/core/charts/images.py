"""Endpoint-picker images: current and renamed repositories, and which EPP llm-d deployed with
which chart version (facts from llm-d's guides; a chart's RBAC and flags match the EPP of its time)."""
from __future__ import annotations

from dataclasses import dataclass

from . import versions

CURRENT_REPO = "ghcr.io/llm-d/llm-d-router-endpoint-picker"
RENAMED_REPO = "ghcr.io/llm-d/llm-d-inference-scheduler"
GAIE_REPO = "registry.k8s.io/gateway-api-inference-extension/epp"
RENAMED_NOTE = ("ghcr.io/llm-d/llm-d-inference-scheduler was renamed to "
                "ghcr.io/llm-d/llm-d-router-endpoint-picker in May 2026 (tags v0.9.0 and later live "
                "there); the old repository is reported as no longer anonymously pullable since "
                "September 2026 — mirror the image or use the successor chart llm-d-router-gateway.")
UNPINNED_TAGS = {"latest", "main", "master", "dev", "nightly"}


@dataclass(frozen=True)
class Image:
    registry: str      # e.g. ghcr.io/llm-d
    repository: str    # e.g. llm-d-router-endpoint-picker
    tag: str

    @property
    def ref(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"

    @property
    def repo(self) -> str:
        return f"{self.registry}/{self.repository}"

    @classmethod
    def parse(cls, text: str) -> Image:
        """`REGISTRY/REPO:TAG`; the last path element is the repository, the rest the registry."""
        ref, _, digest = text.partition("@")
        base, sep, tag = ref.rpartition(":")
        if not sep or "/" in tag:
            base, tag = ref, ""
        registry, _, repository = base.rpartition("/")
        return cls(registry=registry, repository=repository, tag=tag or (f"@{digest}" if digest else ""))


# chart version → EPP tags llm-d's guides deployed with it (oldest first); all in RENAMED_REPO
PAIRINGS: dict[tuple[str, str], tuple[str, ...]] = {
    ("inferencepool", "v1.0.1"): ("v0.3.1", "v0.3.2"),
    ("inferencepool", "v1.2.0"): ("v0.4.0",),
    ("inferencepool", "v1.2.1"): ("v0.4.0",),
    ("inferencepool", "v1.3.0"): ("v0.4.0", "v0.5.0"),
    ("inferencepool", "v1.3.1"): ("v0.6.0",),
    ("inferencepool", "v1.4.0"): ("v0.6.0", "v0.7.0", "v0.7.1"),
    ("inferencepool", "v1.5.0"): ("v0.7.0", "v0.8.0"),
    ("llm-d-router-gateway", "v0.9.0"): ("v0.9.0",),
    ("llm-d-router-gateway", "v0.10.0"): ("v0.10.0",),
}


# release tags each endpoint-picker repository is known to have (facts/llm-d.md); a hint never
# suggests a tag the repository does not have
KNOWN_TAGS: dict[str, tuple[str, ...]] = {
    RENAMED_REPO: ("v0.1.0", "v0.2.0", "v0.3.0", "v0.3.1", "v0.3.2", "v0.4.0", "v0.5.0", "v0.6.0", "v0.7.0",
                   "v0.7.1", "v0.8.0"),
    CURRENT_REPO: ("v0.9.0", "v0.10.0"),
}


def known_tags(repo: str) -> tuple[str, ...]:
    if repo == GAIE_REPO:
        from .refs import FAMILIES
        return FAMILIES["inferencepool"].released  # the GAIE epp is tagged like its chart
    return KNOWN_TAGS.get(repo, ())


def suggest_tag(repo: str, family: str, chart_version: str) -> str | None:
    """A release tag of `repo` to pin: the one llm-d paired with this chart version when that
    pairing lives in this repository, else the repository's newest known release; None when we
    know no tag of the repository."""
    tags = known_tags(repo)
    if not tags:
        return None
    paired = [t for t in paired_tags(family, chart_version) if t in tags]
    if paired:
        return paired[-1]
    if repo == GAIE_REPO and family == "inferencepool" and chart_version in tags:
        return chart_version
    return max(tags, key=versions.key)


def paired_tags(family: str, chart_version: str) -> tuple[str, ...]:
    return PAIRINGS.get((family, chart_version), ())


def default_image(family: str, chart_version: str) -> tuple[Image, str]:
    """The EPP to deploy with a chart version, and a note saying why."""
    if family == "llm-d-router-gateway":
        return (Image("ghcr.io/llm-d", "llm-d-router-endpoint-picker", chart_version),
                "the endpoint picker released with this chart version")
    tags = paired_tags(family, chart_version)
    if tags:
        return (Image("ghcr.io/llm-d", "llm-d-inference-scheduler", tags[-1]),
                f"llm-d deployed llm-d-inference-scheduler {tags[-1]} with inferencepool {chart_version}")
    # versions llm-d never paired: the newest pairing of an older chart version
    older = sorted((v for (f, v) in PAIRINGS if f == family and versions.key(v) <= versions.key(chart_version)),
                   key=versions.key)
    source = older[-1] if older else min((v for (f, v) in PAIRINGS if f == family), key=versions.key)
    tag = PAIRINGS[(family, source)][-1]
    return (Image("ghcr.io/llm-d", "llm-d-inference-scheduler", tag),
            f"llm-d's guides never paired an endpoint picker with inferencepool {chart_version}; "
            f"this is the one they used with {source}")


def proposed_image(family: str, chart_version: str) -> Image:
    """The EPP to propose before any registry has been asked: the one llm-d paired with the chart
    version, unless that lives in the renamed repository (reported as no longer anonymously
    pullable) — then the chart's own default endpoint picker, made with that chart version (its
    RBAC and flags match). `upstream.images.proposed()` replaces it once registries have answered."""
    img, _ = default_image(family, chart_version)
    if family == "inferencepool" and img.repo == RENAMED_REPO:
        registry, _, repository = GAIE_REPO.rpartition("/")
        return Image(registry, repository, chart_version)
    return img


def is_unpinned(tag: str) -> bool:
    return tag.lower() in UNPINNED_TAGS or not tag
