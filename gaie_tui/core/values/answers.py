"""The answers a values file is generated from (`generate.Answers`), in a module with no heavy
imports: the wizard's first screen shows them before yaml or chart knowledge is loaded."""
from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_SELECTOR = {"llm-d.ai/inferenceServing": "true"}


@dataclass
class Answers:
    release: str = "gaie-inference"
    namespace: str = "llm-d"
    provider: str = "istio"
    image: str | None = None                 # REGISTRY/REPO:TAG; None = the paired default
    hf_secret: str | None = None             # secret name; None = no HF token
    hf_secret_key: str = "HF_TOKEN"
    zmq: bool = True
    monitoring: bool = False
    selector: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SELECTOR))
    model_server_type: str = "vllm"
    target_ports: list[int] = field(default_factory=lambda: [8000])
    replicas: int = 1
