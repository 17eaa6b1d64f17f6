"""Field documentation in our own words for the keys users touch most.

Keys are written against a layout's placeholders ({epp}, {pool}, {istio} …) so one text serves
every chart version; `key_docs(layout)` expands them to concrete paths.
"""
from __future__ import annotations

from .layouts import Layout

_DOCS: dict[str, str] = {
    "{epp}": "The endpoint picker (EPP): the ext-proc service the gateway asks which model-server pod gets each request.",
    "{epp}.replicas": "Number of EPP pods. Above 1 the pods elect a leader and only the leader is Ready, so a healthy Deployment shows readyReplicas = 1.",
    "{epp}.image": "The EPP container image. Pin an explicit release tag; `latest` and `main` change under you.",
    "{epp}.image.{img0}": "Registry part of the EPP image (the image is <registry>/<repository>:<tag>).",
    "{epp}.image.{img1}": "Repository part of the EPP image. llm-d's picker is llm-d-router-endpoint-picker (renamed from llm-d-inference-scheduler in May 2026).",
    "{epp}.image.tag": "EPP image tag: an explicit release such as v0.10.0. Match it to the chart version; a newer EPP may need RBAC an older chart lacks.",
    "{epp}.image.pullPolicy": "When the kubelet pulls the image: Always, IfNotPresent or Never.",
    "{epp}.extProcPort": "gRPC ext-proc port of the EPP. Leave it at 9002: the chart changes the Service and pool but not the container port.",
    "{epp}.flags": "Extra EPP command-line flags. Booleans set to false are rendered as a separate \"false\" argument that Go reads as true on inferencepool charts; remove the flag instead.",
    "{epp}.flags.v": "EPP log verbosity. 1 is right for production; higher values cost throughput under load.",
    "{epp}.env": "Extra environment variables for the EPP container, as a list of {name, value} or {name, valueFrom}. A map here is silently wrong or fails to render.",
    "{epp}.extraContainerPorts": "Additional ports on the EPP container, e.g. zmq 5557 for KV-cache events.",
    "{extra_service_ports}": "Additional ports on the EPP Service, e.g. zmq 5557 for KV-cache events.",
    "{epp}.pluginsConfigFile": "Which plugins configuration file the EPP loads (one of the chart's built-in files, or a key of pluginsCustomConfig).",
    "{epp}.pluginsCustomConfig": "Your own plugins configuration files: a map of file name to file content, mounted into the EPP.",
    "{epp}.resources": "CPU and memory requests/limits of the EPP container.",
    "{epp}.affinity": "Pod affinity rules for the EPP pods.",
    "{epp}.tolerations": "Tolerations for the EPP pods.",
    "{epp}.failureMode": "What the gateway does when the EPP cannot answer: FailOpen routes anyway, FailClose rejects.",
    "{monitoring}": "Metrics collection for the EPP.",
    "{monitoring}.prometheus.enabled": "Create a ServiceMonitor for the EPP's metrics. Needs the Prometheus operator's CRDs in the cluster.",
    "{monitoring}.prometheus.auth.secretName": "Secret holding the token Prometheus uses to read EPP metrics. Make it unique per release: two releases in one namespace collide on the default.",
    "{monitoring}.interval": "How often Prometheus scrapes the EPP.",
    "{pool}": "The InferencePool: which model-server pods requests are routed to.",
    "{match_labels}": "Labels the model-server pods carry; the pool routes to every Ready pod with all of them. Required. llm-d used llm-d.ai/inferenceServing until early 2026, then llm-d.ai/inference-serving.",
    "{target_ports}": "Ports on the model-server pods that serve inference (a list of {number: N}). The pods must expose them.",
    "{target_ports}[].number": "A model-server port, 8000 for vLLM by default.",
    "{model_server_type}": "Which model server the pods run; decides which metrics the EPP scrapes.",
    "provider": "Gateway provider settings: which gateway implementation the chart configures extra objects for.",
    "provider.name": "Gateway provider: istio renders a DestinationRule, gke renders GKE policies, none renders nothing extra. Lower-case: `Istio` renders nothing.",
    "{istio}": "Istio settings, used only when the provider is istio.",
    "{istio}.destinationRule": "The DestinationRule the chart creates for the EPP Service.",
    "{istio}.destinationRule.host": "Host the DestinationRule applies to; defaults to <release>-epp.<namespace>.svc.cluster.local.",
    "{istio}.destinationRule.trafficPolicy": "Only connectionPool is copied into the DestinationRule; loadBalancer, outlierDetection and tls here are dropped.",
    "{istio}.destinationRule.trafficPolicy.connectionPool": "Envoy connection-pool limits towards the EPP. llm-d raises them to 256000 because the default circuit breaker (1024) overflows ext-proc under load.",
    "inferencePool.apiVersion": "Which InferencePool API the chart renders: inference.networking.k8s.io/v1 (current) or the older x-k8s.io v1alpha2.",
    "experimentalHttpRoute.enabled": "Render an HTTPRoute to the pool from the named gateway (needs the Gateway API CRDs).",
    "httpRoute.create": "Render an HTTPRoute to the pool from the named gateway (needs the Gateway API CRDs).",
    "{epp}.tracing": "OpenTelemetry tracing of the EPP.",
    "{epp}.latencyPredictor.enabled": "Run the latency-predictor sidecars that enable SLO-aware routing.",
}


def key_docs(layout: Layout) -> dict[str, str]:
    """Our documentation for concrete key paths of one layout (istio docs omitted when absent)."""
    subs = {
        "epp": layout.epp, "pool": layout.pool, "match_labels": layout.match_labels,
        "target_ports": layout.target_ports, "model_server_type": layout.model_server_type,
        "extra_service_ports": layout.extra_service_ports, "monitoring": layout.monitoring,
        "img0": layout.image_keys[0], "img1": layout.image_keys[1], "istio": layout.istio or "",
    }
    out: dict[str, str] = {}
    for pattern, text in _DOCS.items():
        if "{istio}" in pattern and not layout.istio:
            continue
        if "{epp}.tracing" in pattern and layout.id == "D":
            continue
        out[pattern.format(**subs)] = text
    return out
