"""Chart references: `inferencepool@v1.3.0`, `llm-d-router-gateway@v0.10.0`, a local archive or
folder, or `oci://host/path/name@version`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from . import versions


@dataclass(frozen=True)
class Family:
    name: str
    oci: str
    released: tuple[str, ...]  # every released version we know of, oldest first
    epp_pod_label: str  # label key on EPP pods (value: <release>-epp)


FAMILIES: dict[str, Family] = {
    "inferencepool": Family(
        name="inferencepool",
        oci="oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool",
        released=("v1.0.0", "v1.0.1", "v1.0.2", "v1.1.0", "v1.2.0", "v1.2.1", "v1.3.0", "v1.3.1",
                  "v1.4.0", "v1.5.0"),
        epp_pod_label="inferencepool",
    ),
    "llm-d-router-gateway": Family(
        name="llm-d-router-gateway",
        oci="oci://ghcr.io/llm-d/charts/llm-d-router-gateway",
        released=("v0.9.0", "v0.10.0"),
        epp_pod_label="llm-d-router-gateway",
    ),
}
DEFAULT_FAMILY = "inferencepool"


@dataclass(frozen=True)
class ChartRef:
    """Where a chart comes from. Exactly one of (family+version), oci, path is the source."""

    family: str | None = None
    version: str | None = None
    oci: str | None = None  # full oci:// address without version
    path: Path | None = None

    @property
    def oci_address(self) -> str | None:
        if self.oci:
            return self.oci
        if self.family:
            return FAMILIES[self.family].oci
        return None

    def __str__(self) -> str:
        if self.path is not None:
            return str(self.path)
        if self.oci:
            return f"{self.oci}@{self.version}" if self.version else self.oci
        return f"{self.family}@{self.version}" if self.version else str(self.family)


def default_ref(family: str = DEFAULT_FAMILY) -> ChartRef:
    fam = FAMILIES[family]
    return ChartRef(family=family, version=fam.released[-1])


def family_of_name(chart_name: str) -> str | None:
    return chart_name if chart_name in FAMILIES else None


def parse_ref(text: str) -> ChartRef:
    """Parse what a user typed. Raises UserError with a hint on anything we cannot use."""
    text = text.strip()
    if not text:
        raise UserError("empty chart reference", "use e.g. inferencepool@v1.5.0")
    if text.startswith("oci://"):
        addr, _, version = text.partition("@")
        if not version:
            raise UserError(f"chart reference {text!r} has no version",
                            f"add one, e.g. {addr}@v1.5.0 (helm needs an exact --version)")
        _check_version(version, text)
        name = addr.rstrip("/").rsplit("/", 1)[-1]
        return ChartRef(family=family_of_name(name), version=version, oci=addr)
    p = Path(text).expanduser()
    if p.exists() or text.endswith((".tgz", ".tar.gz")) or "/" in text:
        if not p.exists():
            raise UserError(f"chart archive {text} does not exist",
                            "check the path, or use a reference like inferencepool@v1.5.0")
        return ChartRef(path=p.resolve())
    name, _, version = text.partition("@")
    if name not in FAMILIES:
        known = ", ".join(FAMILIES)
        raise UserError(f"unknown chart {name!r}", f"known charts: {known}; or give a path or an oci:// address")
    fam = FAMILIES[name]
    if not version:
        return ChartRef(family=name, version=fam.released[-1])
    if not version.startswith("v") and versions.parse(version):
        version = "v" + version  # the charts' versions carry the v; users often drop it
    _check_version(version, text)
    return ChartRef(family=name, version=version)


def _check_version(version: str, text: str) -> None:
    if not versions.parse(version):
        raise UserError(f"{version!r} in {text!r} is not a chart version",
                        "use a release version such as v1.5.0")
