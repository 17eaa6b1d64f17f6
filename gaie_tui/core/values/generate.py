"""Generate a commented values file in the layout of the exact chart version.

The answers (provider, image, HF secret, zmq, selector …) go through one `Answers` dataclass so
the wizard's Setup screen and `gaie-tui generate` produce byte-identical files for the same input.
"""
from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime

import yaml

from ..charts import images, layouts
from ..charts.images import Image
from ..charts.store import Chart
from ..errors import UserError
from ..names import check_namespace, check_release, epp_name
from .answers import DEFAULT_SELECTOR, Answers  # noqa: F401 - re-exported (callers import them from here)
from .providers import load_profile

ZMQ_PORT = 5557
HEADER_MARK = "# gaie-tui: chart="


@dataclass
class Generated:
    text: str
    image: Image
    image_note: str
    notes: list[str]


class _Block:
    """An ordered YAML mapping whose entries carry comments."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, object, list[str]]] = []

    def set(self, key: str, value, *comment: str) -> _Block:
        self.entries.append((key, value, [c for c in comment if c]))
        return value if isinstance(value, _Block) else self

    def block(self, key: str, *comment: str) -> _Block:
        for k, v, _ in self.entries:
            if k == key and isinstance(v, _Block):
                return v
        child = _Block()
        self.entries.append((key, child, [c for c in comment if c]))
        return child

    def at(self, dotted: str, *comment: str) -> _Block:
        node = self
        parts = dotted.split(".")
        for i, p in enumerate(parts):
            node = node.block(p, *(comment if i == len(parts) - 1 else ()))
        return node

    def render(self, indent: int = 0) -> list[str]:
        pad = " " * indent
        out: list[str] = []
        for key, value, comments in self.entries:
            for c in comments:
                out.extend(textwrap.wrap(c, width=max(40, 96 - indent), initial_indent=f"{pad}# ",
                                         subsequent_indent=f"{pad}# ", break_on_hyphens=False))
            k = _scalar(key)
            if isinstance(value, _Block):
                out.append(f"{pad}{k}:")
                out.extend(value.render(indent + 2))
            elif isinstance(value, (list, dict)) and value:
                out.append(f"{pad}{k}:")
                dumped = yaml.safe_dump(value, default_flow_style=False, sort_keys=False, width=1000)
                out.extend(f"{pad}  {line}" for line in dumped.rstrip("\n").splitlines())
            else:
                out.append(f"{pad}{k}: {_scalar(value)}")
        return out


def _scalar(value) -> str:
    if isinstance(value, (list, dict)):
        return "[]" if isinstance(value, list) else "{}"
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    if text.endswith("\n..."):
        text = text[:-4].strip()
    if text.endswith("..."):
        text = text[:-3].strip()
    if text.startswith("'"):
        text = json.dumps(value)  # double quotes read better and survive copy-paste
    return text


def generate(chart: Chart, answers: Answers, *, now: datetime | None = None) -> Generated:
    check_release(answers.release)
    check_namespace(answers.namespace)
    profile = load_profile(answers.provider)
    match = chart.layout
    lay = match.layout
    family, version = lay.family, chart.version
    notes: list[str] = [match.note] if match.note else []

    supported = layouts.model_server_types(family, version)
    if answers.model_server_type not in supported:
        have = layouts.versions_supporting_type(family, answers.model_server_type)
        where = f"it exists from {family} {have[0]}" if have else "no released version has it"
        raise UserError(f"model-server type {answers.model_server_type!r} is not supported by {family} {version}",
                        f"{where}; {version} accepts: {', '.join(supported)}")
    if profile.name == "istio" and lay.istio is None:
        raise UserError(f"{family} {version} has no istio support (it renders no DestinationRule)",
                        "use inferencepool v1.0.1 or later, or --provider none")
    if answers.monitoring and chart.tree.find(f"{lay.monitoring}.prometheus.enabled") is None:
        raise UserError(f"{family} {version} has no Prometheus monitoring settings",
                        "monitoring exists from inferencepool v1.0.1; drop --monitoring or choose a newer chart")
    if answers.replicas < 1:
        raise UserError(f"--replicas {answers.replicas} must be at least 1", "e.g. --replicas 1")
    for port in answers.target_ports:
        if not 1 <= port <= 65535:
            raise UserError(f"target port {port} is not a port number", "use 1-65535, e.g. --target-port 8000")
    if not answers.selector:
        raise UserError("the model-server selector is empty", "give at least one --selector KEY=VALUE")

    if answers.image:
        image = Image.parse(answers.image)
        if not image.registry or not image.repository or not image.tag:
            raise UserError(f"image {answers.image!r} is not REGISTRY/REPOSITORY:TAG",
                            "e.g. --image ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0")
        if images.is_unpinned(image.tag):
            raise UserError(f"image tag {image.tag!r} is not a release",
                            "pin an explicit version tag such as v0.10.0 (never latest or main)")
        image, own = _chart_split(chart, lay, image)
        image_note = "the chart's own default endpoint picker" if own else "chosen explicitly"
    else:
        image, image_note = images.default_image(family, version)

    root = _Block()
    epp = root.at(lay.epp)
    epp.set("replicas", answers.replicas,
            "Endpoint picker (EPP) replicas." + (" Above 1 the replicas elect a leader; only the leader "
                                                  "is Ready, so expect readyReplicas = 1."
                                                  if answers.replicas > 1 else ""))
    img = epp.block("image", f"Endpoint-picker image ({image_note}).",
                    *([images.RENAMED_NOTE] if image.repo == images.RENAMED_REPO else []))
    img.set(lay.image_keys[0], image.registry)
    img.set(lay.image_keys[1], image.repository)
    img.set("tag", image.tag, "An explicit release tag: never latest or main.")
    img.set("pullPolicy", "Always")

    flags = dict(profile.flags)
    if flags:
        flag_comment = f"EPP command-line flags ({'list of name/value' if lay.flags_shape == 'list' else 'map'}" \
                       f" on {family} {version}); v: 1 keeps logging cheap under load."
        if lay.flags_shape == "list":
            epp.set("flags", [{"name": k, "value": v} for k, v in flags.items()], flag_comment)
        else:
            epp.set("flags", flags, flag_comment)

    if answers.hf_secret:
        epp.set("env", [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {
            "name": answers.hf_secret, "key": answers.hf_secret_key}}}],
            f"Hugging Face token for the tokenizer, read from Secret {answers.hf_secret} at run time.",
            "Never put the token itself in this file.")

    if answers.zmq:
        epp.set("extraContainerPorts", [{"name": "zmq", "containerPort": ZMQ_PORT, "protocol": "TCP"}],
                "zmq port for KV-cache events (precise prefix-cache routing), on the container ...")
        svc_parent = root.at(lay.extra_service_ports.rsplit(".", 1)[0])
        svc_parent.set(lay.extra_service_ports.rsplit(".", 1)[1],
                       [{"name": "zmq", "port": ZMQ_PORT, "protocol": "TCP", "targetPort": ZMQ_PORT}],
                       "... and on the EPP Service.")

    if chart.tree.find(f"{lay.monitoring}.prometheus.enabled") is not None:
        mon = root.at(lay.monitoring)
        prom = mon.block("prometheus", "Prometheus ServiceMonitor for EPP metrics"
                         + (" (needs the Prometheus operator's CRDs in the cluster)." if answers.monitoring
                            else ": off unless asked for."))
        prom.set("enabled", bool(answers.monitoring))
        if answers.monitoring:
            secret = f"{answers.release}-metrics-reader-secret"
            if chart.tree.find(f"{lay.monitoring}.prometheus.auth.secretName") is not None:
                prom.block("auth").set("secretName", secret,
                                       "Unique per release: two releases sharing the default name collide.")
            elif chart.tree.find(f"{lay.monitoring}.secret.name") is not None:
                mon.block("secret").set("name", secret,
                                        "Unique per release: two releases sharing the default name collide.")

    pool = root.at(lay.pool, "Which model-server pods the InferencePool routes to.")
    ports = [{"number": p} for p in answers.target_ports]
    tp_key = lay.target_ports.rsplit(".", 1)[1]
    type_key = lay.model_server_type.rsplit(".", 1)[1]
    if lay.id == "D":
        pool.block("matchLabels", "Labels the model-server pods carry (required).").entries.extend(
            (k, v, []) for k, v in answers.selector.items())
        pool.set(tp_key, ports, "Ports the model servers listen on.")
        pool.set(type_key, answers.model_server_type, f"One of: {', '.join(supported)}.")
    else:
        pool.set(tp_key, ports, "Ports the model servers listen on.")
        pool.set(type_key, answers.model_server_type, f"One of: {', '.join(supported)}.")
        pool.block("modelServers").block("matchLabels", "Labels the model-server pods carry (required).") \
            .entries.extend((k, v, []) for k, v in answers.selector.items())

    prov = root.block("provider", f"Gateway provider: {profile.name}. {profile.why}".strip(),
                      f"Profile source: {profile.source}.")
    prov.set("name", profile.provider_name)
    if profile.name == "istio" and lay.istio:
        dr = root.at(f"{lay.istio}.destinationRule",
                     *(["On this chart version the istio block is top-level `istio` (from v1.2.0 it is "
                        "`provider.istio`)."] if lay.istio == "istio" else []))
        dr.set("host", f"{epp_name(answers.release)}.{answers.namespace}.svc.cluster.local",
               "The EPP Service, as llm-d's installers set it.")
        dr.block("trafficPolicy", "Only connectionPool is copied into the DestinationRule; "
                 "the chart always adds tls mode SIMPLE.").set(
            "connectionPool", profile.connection_pool,
            "llm-d's limits: Envoy's default circuit breaker (1024) overflows ext-proc under load.")

    if family == "inferencepool" and version == "v1.1.0":
        notes.append("inferencepool v1.1.0 always renders \"--tracing\" \"false\" as two arguments; "
                     "the EPP stops reading flags there (a chart bug). Prefer v1.2.0 or later.")

    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    head = [
        f"{HEADER_MARK}{_ref_text(chart)}",
        *(["# gaie-tui: zmq=off   (no zmq KV-cache-events port, on purpose; the checker will not ask for it)"]
          if not answers.zmq else []),
        f"# Values for the {family} chart {version} (layout {lay.id}), generated by gaie-tui on {stamp}.",
        f"# Release {answers.release} in namespace {answers.namespace}; gateway provider {profile.name}.",
        "# Check it with: gaie-tui validate <this file>   (add --deep to render it with helm)",
    ]
    for n in notes:
        head.extend(textwrap.wrap(f"Note: {n}", width=96, initial_indent="# ", subsequent_indent="#   "))
    text = "\n".join(head) + "\n\n" + "\n".join(root.render()) + "\n"
    return Generated(text=text, image=image, image_note=image_note, notes=notes)


def _ref_text(chart: Chart) -> str:
    ref = chart.ref
    if ref.path is not None:
        return str(ref.path)
    if ref.oci:
        return f"{ref.oci}@{chart.version}"
    return f"{chart.layout.layout.family}@{chart.version}"


def _chart_split(chart, lay, image: Image) -> tuple[Image, bool]:
    """An image in the repository the chart names by default keeps the chart's own split between
    registry and repository (`registry.k8s.io` + `gateway-api-inference-extension/epp`), so choosing
    the chart's own endpoint picker is not reported as a deviation from its defaults. The flag says
    whether it is exactly the chart's default image (its tag too)."""
    keys = [chart.tree.find(f"{lay.epp}.image.{k}") for k in (*lay.image_keys[:2], "tag")]
    if all(k is not None and k.has_default and isinstance(k.default, str) for k in keys[:2]):
        registry, repository = keys[0].default, keys[1].default
        if f"{registry}/{repository}" == image.repo:
            tag = keys[2].default if keys[2] is not None and keys[2].has_default else None
            return Image(registry, repository, image.tag), tag == image.tag
    return image, False


def chart_from_header(text: str) -> str | None:
    """The chart reference a `# gaie-tui: chart=…` line names, if any (first 20 lines)."""
    for line in text.splitlines()[:20]:
        s = line.strip()
        if s.startswith(HEADER_MARK):
            value = s[len(HEADER_MARK):].strip()
            return value or None
    return None
