"""What a release should look like, from the manifest helm rendered for it (`helm template` before
a deploy, `helm get manifest` for an existing release): the EPP Deployment and its image, the
InferencePool's selector, target ports and endpoint-picker reference, the DestinationRule."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..names import epp_name
from . import drift

POOL_GROUP, POOL_VERSION = "inference.networking.k8s.io", "v1"
EXT_PROC_PORT = 9002


# ---- what the release should look like -----------------------------------------------------
@dataclass
class Expected:
    release: str
    namespace: str
    chart_name: str = ""
    chart_version: str = ""
    epp_label: str = "inferencepool"           # EPP pod label key (value <release>-epp)
    epp: str = ""                              # Deployment / Service name
    epp_image: str = ""
    epp_replicas: int = 1
    pool: str = ""
    pool_api: str = f"{POOL_GROUP}/{POOL_VERSION}"
    pool_selector: dict = field(default_factory=dict)
    target_ports: list[int] = field(default_factory=lambda: [8000])
    ext_proc_port: int = EXT_PROC_PORT
    destination_rule: dict | None = None      # the rendered DestinationRule, when istio is on
    objects: list[tuple[str, str, str, str]] = field(default_factory=list)  # apiVersion, kind, ns, name
    secret_refs: list[tuple[str, str]] = field(default_factory=list)       # (secret, key) the EPP reads
    extra_kinds: set[str] = field(default_factory=set)
    rendered: dict[str, dict] = field(default_factory=dict)  # kind → manifest object drift compares (drift.py)

    @property
    def epp_selector(self) -> str:
        return f"{self.epp_label}={self.epp}"

    @property
    def pool_label_selector(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self.pool_selector.items()))


MANIFEST_MAX_BYTES = 32 * 1024 * 1024   # this chart renders ~30 kB; a release's manifest is helm's output


def parse_manifest(text: str, namespace: str) -> list[dict]:
    """The objects of a rendered manifest (namespace filled in where helm would). The manifest is
    helm's output for a chart and a release we did not write: read under the bounded loader's
    budget (size, aliases, nesting), a broken one is a UserError, never a traceback."""
    from ..charts.safeyaml import load_all
    out = []
    for doc in load_all(text or "", "the manifest helm rendered", max_bytes=MANIFEST_MAX_BYTES,
                        hint="look at it with helm template / helm get manifest; the chart or the release "
                             "holds something gaie-tui cannot read"):
        if isinstance(doc, dict) and doc.get("kind"):
            meta = doc.setdefault("metadata", {})
            if doc["kind"] not in _CLUSTER_KINDS:
                meta.setdefault("namespace", namespace)
            out.append(doc)
    return out


_CLUSTER_KINDS = {"ClusterRole", "ClusterRoleBinding", "Namespace", "CustomResourceDefinition"}


def expected_from_objects(objects: list[dict], *, release: str, namespace: str, chart_name: str = "",
                          chart_version: str = "", epp_label: str = "") -> Expected:
    exp = Expected(release=release, namespace=namespace, chart_name=chart_name, chart_version=chart_version,
                   epp=epp_name(release), pool=release)
    exp.epp_label = epp_label or ("llm-d-router-gateway" if chart_name == "llm-d-router-gateway" else "inferencepool")
    for obj in objects:
        kind, meta = obj.get("kind"), obj.get("metadata") or {}
        exp.objects.append((str(obj.get("apiVersion", "")), kind, meta.get("namespace", ""), meta.get("name", "")))
        spec = obj.get("spec") or {}
        if kind == "Deployment":
            tmpl = (spec.get("template") or {})
            labels = (tmpl.get("metadata") or {}).get("labels") or {}
            if any(str(v).endswith("-epp") for v in labels.values()) or not exp.epp_image:
                exp.epp = meta.get("name", exp.epp)
                for k, v in labels.items():
                    if k in ("inferencepool", "llm-d-router-gateway") and str(v) == exp.epp:
                        exp.epp_label = k
                exp.epp_replicas = int(spec.get("replicas", 1) or 1) if str(spec.get("replicas", 1)).isdigit() else 1
                containers = (tmpl.get("spec") or {}).get("containers") or []
                if containers:
                    exp.epp_image = str(containers[0].get("image", ""))
                for c in containers:
                    for env in c.get("env") or []:
                        ref = ((env or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
                        if ref.get("name"):
                            exp.secret_refs.append((str(ref["name"]), str(ref.get("key", ""))))
        elif kind == "InferencePool":
            exp.pool = meta.get("name", exp.pool)
            exp.pool_api = str(obj.get("apiVersion", exp.pool_api))
            sel = spec.get("selector") or {}
            exp.pool_selector = {str(k): str(v) for k, v in (sel.get("matchLabels", sel) or {}).items()}
            ports = spec.get("targetPorts") or ([{"number": spec["targetPortNumber"]}]
                                                if spec.get("targetPortNumber") else [])
            exp.target_ports = [int(p.get("number")) for p in ports if str(p.get("number", "")).isdigit()] or [8000]
            ref = spec.get("endpointPickerRef") or spec.get("extensionRef") or {}
            port = ref.get("port") or {}
            num = port.get("number") if isinstance(port, dict) else port
            if str(num or "").isdigit():
                exp.ext_proc_port = int(num)
        elif kind == "DestinationRule":
            exp.destination_rule = obj
        else:
            exp.extra_kinds.add(kind)
    exp.rendered = drift.rendered_objects(objects, exp.epp, exp.pool)
    return exp
