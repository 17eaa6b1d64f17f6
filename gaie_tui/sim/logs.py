"""Pod logs, generated from the pod's state rather than stored: the endpoint picker's start-up
story (and the failure a scenario injects), vLLM-like lines for model servers.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .errors import ApiError
from .faults import EPP_SELECTORS, Fault, fault_for, is_epp
from .kubelet import pool_exists
from .selectors import labels_match, selector_from_match
from .store import Store

PLUGINS_PARSE_ERROR = ('failed to load the plugins configuration: error unmarshaling JSON: while decoding '
                       'JSON: json: unknown field "schedulingProfile" (did you mean "schedulingProfiles"?)')


def _arg(args: list[str], flag: str) -> str:
    for i, a in enumerate(args):
        if a == f"--{flag}" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(f"--{flag}="):
            return a.split("=", 1)[1]
    return ""


def _clock(pod: dict):
    start = (pod.get("status") or {}).get("startTime") or pod["metadata"].get("creationTimestamp")
    try:
        base = datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        base = datetime.now(UTC)
    step = [0]

    def ts() -> str:
        step[0] += 1
        return (base + timedelta(milliseconds=37 * step[0])).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    return ts


def _container(pod: dict, name: str | None) -> dict:
    containers = (pod.get("spec") or {}).get("containers") or []
    if not containers:
        raise ApiError.bad_request(f'pod "{pod["metadata"]["name"]}" has no containers')
    if name is None:
        if len(containers) > 1:
            raise ApiError.bad_request(
                f'a container name must be specified for pod {pod["metadata"]["name"]}, choose one of: '
                f'[{" ".join(c["name"] for c in containers)}]')
        return containers[0]
    for c in containers:
        if c["name"] == name:
            return c
    raise ApiError.bad_request(f'container {name} is not valid for pod {pod["metadata"]["name"]}')


def _waiting_reason(pod: dict, container: str) -> str:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == container and "waiting" in (cs.get("state") or {}):
            return cs["state"]["waiting"].get("reason", "")
    return ""


def pod_log(pod: dict, store: Store, faults: tuple[Fault, ...] = (), container: str | None = None,
            previous: bool = False) -> list[str]:
    """The pod's log lines; `faults` are the cluster's active faults (they decide the failure story)."""
    c = _container(pod, container)
    meta = pod["metadata"]
    waiting = _waiting_reason(pod, c["name"])
    statuses = (pod.get("status") or {}).get("containerStatuses")
    if not statuses or waiting in ("ContainerCreating", "ErrImagePull", "ImagePullBackOff"):
        what = "trying and failing to pull image" if "Image" in waiting else "ContainerCreating"
        raise ApiError.bad_request(f'container "{c["name"]}" in pod "{meta["name"]}" is waiting to start: {what}')
    restarts = next((cs.get("restartCount", 0) for cs in statuses if cs.get("name") == c["name"]), 0)
    if previous and not restarts:
        raise ApiError.bad_request(f'previous terminated container "{c["name"]}" in pod "{meta["name"]}" not found')
    fault = fault_for(faults, meta.get("labels"))
    if is_epp(meta.get("labels")):
        return _epp_lines(pod, c, store, fault)
    if _looks_like_model_server(pod, c):
        return _vllm_lines(pod, c)
    ts = _clock(pod)
    return [f"{ts()} container {c['name']} started"]


def _looks_like_model_server(pod: dict, c: dict) -> bool:
    labels = pod["metadata"].get("labels") or {}
    ports = {p.get("containerPort") for p in c.get("ports") or []}
    return any(k.startswith("llm-d.ai/") for k in labels) or 8000 in ports or "vllm" in c.get("image", "")


def _epp_lines(pod: dict, c: dict, store: Store, fault) -> list[str]:
    meta, args = pod["metadata"], [str(a) for a in c.get("args") or []]
    ns = meta["namespace"]
    label = next((meta["labels"][k] for k in EPP_SELECTORS if k in (meta.get("labels") or {})), "")
    pool = _arg(args, "pool-name") or label.removesuffix("-epp")
    pool_ns = _arg(args, "pool-namespace") or ns
    image = c.get("image", "")
    ts = _clock(pod)
    lines = [
        f'{ts()}\tINFO\tsetup\tStarting the endpoint picker\t{{"image": "{image}", "pool": "{pool_ns}/{pool}"}}',
        f'{ts()}\tINFO\tsetup\tFlags processed\t{{"flags": "{" ".join(args)[:300]}"}}',
        f'{ts()}\tINFO\tsetup\tLoading the plugins configuration\t{{"file": "{_arg(args, "config-file") or "default"}"}}',
    ]
    if fault and fault.kind == "crashloop":
        lines.append(f"{ts()}\tERROR\tsetup\t{fault.message or PLUGINS_PARSE_ERROR}")
        lines.append(f'{ts()}\tERROR\tsetup\tfailed to run the endpoint picker\t{{"error": "invalid plugins configuration"}}')
        return lines
    lines += [
        f'{ts()}\tINFO\tsetup\tPlugins configured\t{{"profiles": ["default"], "plugins": ["queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer", "max-score-picker"]}}',
        f'{ts()}\tINFO\tcontroller-runtime.metrics\tServing metrics server\t{{"bindAddress": ":9090", "secure": true}}',
        f"{ts()}\tINFO\tsetup\tStarting the gRPC health server\t{{\"port\": 9003}}",
        f"{ts()}\tINFO\tStarting EventSource\t{{\"controller\": \"inferencepool\", \"source\": \"kind source: *v1.InferencePool\"}}",
        f"{ts()}\tINFO\tStarting EventSource\t{{\"controller\": \"pod\", \"source\": \"kind source: *v1.Pod\"}}",
    ]
    if fault and fault.reason == "forbidden":
        sa = (pod.get("spec") or {}).get("serviceAccountName") or "default"
        for res, grp in (("inferencepools", "inference.networking.k8s.io"), ("pods", "")):
            lines.append(f'{ts()}\tERROR\tcache\tFailed to watch\t{{"error": "failed to list *v1.{"InferencePool" if grp else "Pod"}: '
                         f'{res}{"." + grp if grp else ""} is forbidden: User \\"system:serviceaccount:{ns}:{sa}\\" cannot list '
                         f'resource \\"{res}\\" in API group \\"{grp}\\" in the namespace \\"{pool_ns}\\""}}')
        return lines
    pool_obj = next((store.peek(k, pool_ns, pool) for k in (("inference.networking.k8s.io", "inferencepools"),
                                                              ("inference.networking.x-k8s.io", "inferencepools"))
                     if store.peek(k, pool_ns, pool) is not None), None)
    if pool_obj is None or not pool_exists(store, pool_ns) or (fault and fault.reason == "pool-missing"):
        for _ in range(3):
            lines.append(f"{ts()}\tERROR\tdatastore\tPool is not initialized, skipping refreshing metrics")
        return lines
    selector = (pool_obj.get("spec") or {}).get("selector") or {}
    match = selector.get("matchLabels", selector)  # v1 uses selector.matchLabels, v1alpha2 a plain map
    reqs = selector_from_match({"matchLabels": match})
    pods = [p for p in store.objects.get(("", "pods"), {}).get(pool_ns, {}).values()
            if labels_match(reqs, p["metadata"].get("labels"))]
    lines += [
        f'{ts()}\tINFO\tSuccessfully synced the InferencePool\t{{"pool": "{pool_ns}/{pool}", "selector": {match}}}'.replace("'", '"'),
        f"{ts()}\tINFO\tsetup\tServing ext-proc gRPC\t{{\"port\": 9002}}",
    ]
    if not pods:
        lines.append(f'{ts()}\tINFO\tdatastore\tNo model-server pods match the pool selector\t{{"pool": "{pool}", "endpoints": 0}}')
    for p in pods:
        lines.append(f'{ts()}\tINFO\tdatastore\tPod added to the pool\t{{"pod": "{p["metadata"]["name"]}", '
                     f'"address": "{(p.get("status") or {}).get("podIP", "")}"}}')
    if fault and fault.kind == "never-ready":
        lines.append(f"{ts()}\tINFO\tleader-election\tattempting to acquire leader lease {pool_ns}/{pool}-epp...")
    return lines


def _vllm_lines(pod: dict, c: dict) -> list[str]:
    args = [str(a) for a in (c.get("args") or []) + (c.get("command") or [])]
    model = _arg(args, "model") or (pod["metadata"].get("labels") or {}).get("llm-d.ai/model", "Qwen/Qwen3-0.6B")
    port = next((p.get("containerPort") for p in c.get("ports") or []), 8000)
    start = datetime.now(UTC)
    stamp = start.strftime("%m-%d %H:%M:%S")
    return [
        f"INFO {stamp} [api_server.py:1880] vLLM API server version 0.11.0",
        f"INFO {stamp} [utils.py:328] non-default args: {{'model': '{model}', 'port': {port}}}",
        f"INFO {stamp} [model_runner.py:1090] Loading model weights took 1.1386 GiB",
        f"INFO {stamp} [kv_cache_utils.py:850] GPU KV cache size: 312,624 tokens",
        f"INFO {stamp} [api_server.py:1942] Starting vLLM API server 0 on http://0.0.0.0:{port}",
        f"INFO {stamp} [launcher.py:29] Available routes are: /health, /metrics, /v1/models, /v1/completions, /v1/chat/completions",
        "INFO:     Started server process [1]",
        "INFO:     Waiting for application startup.",
        "INFO:     Application startup complete.",
        f'INFO:     10.244.0.{(hash(pod["metadata"]["name"]) % 200) + 2}:51234 - "GET /metrics HTTP/1.1" 200 OK',
    ]
