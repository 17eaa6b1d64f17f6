"""Gateway-provider profiles: the GAIE part of llm-d's per-provider settings, as package data."""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

import yaml

from ..errors import UserError

PROVIDERS = ("istio", "gke", "kgateway", "agentgateway", "none")


@dataclass(frozen=True)
class ProviderProfile:
    name: str
    provider_name: str          # the chart's provider.name
    source: str
    date: str
    why: str = ""
    deprecated: bool = False
    flags: dict = field(default_factory=dict)
    connection_pool: dict = field(default_factory=dict)
    host_from_release: bool = False


def load_profile(name: str) -> ProviderProfile:
    if name not in PROVIDERS:
        raise UserError(f"unknown provider {name!r}", f"choose one of: {', '.join(PROVIDERS)}")
    text = (resources.files("gaie_tui") / "data" / "providers" / f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    dr = data.get("destination_rule") or {}
    return ProviderProfile(
        name=data["provider"], provider_name=data["provider_name"], source=data["source"],
        date=str(data["date"]), why=data.get("why", ""), deprecated=bool(data.get("deprecated")),
        flags=dict(data.get("flags") or {}), connection_pool=dict(dr.get("connectionPool") or {}),
        host_from_release=bool(dr.get("host_from_release")),
    )
