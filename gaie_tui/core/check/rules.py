"""Layer 3: the silent traps of `facts/charts.md`, the provider profile and the seed's policies.

Each rule reads the user's values through a checker.Ctx, emits diagnostics at the setting's own
line and claims the paths it explained (so the schema layer does not say the same thing again).
`UNKNOWN_EXPLAINERS` turn a key the schema does not know into the specific story (an image key of
another version, the istio block in the wrong place, a trafficPolicy field the chart drops …).
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..charts import images, layouts, versions
from ..charts.schema import KeyNode
from ..values.diagnostics import format_path, shown_value
from .context import ERROR, INFO, WARNING, Ctx, _split, family_index, version_span

EXT_PROC_PORT = 9002
ZMQ_PORT = 5557
_HF_TOKEN = re.compile(r"\bhf_[A-Za-z0-9]{20,}\b")
_TOKEN_ENV = re.compile(r"(^|_)(HF|HUGGING_?FACE(_HUB)?)_?(API_)?TOKEN$", re.I)


def _is_ip(ctx: Ctx) -> bool:
    return ctx.f.family == "inferencepool"


def _vkey(ctx: Ctx) -> tuple[int, int, int]:
    return versions.key(ctx.f.version)


# ---------------------------------------------------------------------------------------------
def rule_chart_notes(ctx: Ctx) -> None:
    note = ctx.f.chart.layout.note
    if note:
        ctx.emit("chart-version-unknown", INFO, (), note)
    if _is_ip(ctx) and ctx.f.version == "v1.1.0":
        ctx.emit("chart-bug-tracing", WARNING, (),
                 "inferencepool v1.1.0 has a chart bug whatever the values: it always passes \"--tracing\" "
                 "\"false\" as two arguments, so the EPP (Go flag parsing) turns tracing on and stops reading "
                 "flags there — every later flag is silently dropped",
                 "use inferencepool v1.2.0 or later")


def rule_deprecated_top_level(ctx: Ctx) -> None:
    for key in ctx.f.chart.knowledge.forbidden:
        if key not in ctx.values:
            continue
        ctx.claim((key,))
        sub = ctx.values[key]
        moves = []
        if isinstance(sub, dict):
            for k in sub:
                target = router_path((key, k))
                if target:
                    moves.append(f"{key}.{k} → {target}")
        hint = ("move the settings under `router`: " + "; ".join(moves[:6])) if moves else \
            "its settings moved under `router` (see the migration table in the chart's README)"
        ctx.emit("deprecated-top-level", ERROR, (key,),
                 f"{ctx.f.family} {ctx.f.version} refuses a top-level `{key}`: the render fails "
                 "(\"deprecated, migrate to router.*\")", hint)


def router_path(keys) -> str | None:
    """Where an inferencepool v1.5.0 setting lives in llm-d-router-gateway (facts/charts.md)."""
    keys = [k for k in keys if isinstance(k, str)]
    if not keys:
        return None
    top, rest = keys[0], keys[1:]
    if top == "inferenceExtension":
        if not rest:
            return "router.epp"
        special = {"extraServicePorts": "router.extraServicePorts", "metricsPort": "router.metricsPort",
                   "failureMode": "router.inferencePool.failureMode", "monitoring": "router.monitoring",
                   "tracing": "router.tracing", "latencyPredictor": "router.latencyPredictor"}
        if rest[0] in special:
            return ".".join([special[rest[0]]] + rest[1:])
        return ".".join(["router.epp"] + rest)
    if top == "inferencePool":
        if rest[:2] == ["modelServers", "matchLabels"]:
            return ".".join(["router.modelServers.matchLabels"] + rest[2:])
        m = {"targetPorts": "router.modelServers.targetPorts", "modelServerType": "router.modelServers.type",
             "modelServerProtocol": "router.modelServers.protocol", "modelServers": "router.modelServers"}
        if rest and rest[0] in m:
            return ".".join([m[rest[0]]] + rest[1:])
        return "router.modelServers" if not rest else None
    if top == "experimentalHttpRoute":
        return "httpRoute.create" if rest[:1] == ["enabled"] else "httpRoute"
    return None


def _flags_keys(ctx: Ctx) -> tuple:
    return _split(ctx.lay.epp) + ("flags",)


def rule_flags(ctx: Ctx) -> None:
    keys = _flags_keys(ctx)
    flags = get_user(ctx, keys)
    if flags is None:
        return
    shape = ctx.lay.flags_shape
    name = format_path(keys)
    if shape == "list" and isinstance(flags, dict):
        ctx.claim(keys)
        as_list = [{"name": k, "value": v} for k, v in flags.items()]
        ctx.emit("flags-shape", ERROR, keys,
                 f"`{name}` is a list of {{name, value}} on {ctx.f.family} {ctx.f.version}; a map fails to render",
                 "write flags as `- name: v` / `  value: 1` items (the map form is for v1.2.0 and later)",
                 ctx.value_fix(keys, as_list, "rewrite flags as a list of name/value"))
        return
    if shape == "map" and isinstance(flags, list):
        ctx.claim(keys)
        fixed = {}
        for item in flags:
            if isinstance(item, dict) and "name" in item:
                fixed[str(item["name"])] = item.get("value")
        ctx.emit("flags-shape", ERROR, keys,
                 f"`{name}` is a map on {ctx.f.family} {ctx.f.version}; a list renders garbage arguments "
                 "(`--0 map[...]`) that the EPP rejects or misreads",
                 "write flags as a map, e.g. `flags: {v: 1}` (the list form was for v1.0.x–v1.1.0)",
                 ctx.value_fix(keys, fixed, "rewrite flags as a map") if fixed else None)
        return
    items: list[tuple[tuple, str, object]] = []
    if isinstance(flags, dict):
        items = [(keys + (k,), str(k), v) for k, v in flags.items()]
    elif isinstance(flags, list):
        for i, it in enumerate(flags):
            if isinstance(it, dict) and "name" in it:
                items.append((keys + (i, "value") if "value" in it else keys + (i,), str(it["name"]), it.get("value")))
    for fkeys, fname, v in items:
        if _is_ip(ctx) and (v is False or (isinstance(v, str) and v.strip().lower() == "false")):
            ctx.emit("flag-false", WARNING, fkeys,
                     f"flag `{fname}: false` renders `--{fname} \"false\"`: Go's flag parsing reads a bare "
                     "boolean flag as true and stops at the separate \"false\", dropping the flags after it",
                     f"remove `{fname}` if false is its default; inferencepool charts cannot pass a false boolean")
        if fname == "v" and isinstance(v, (int, str)) and not isinstance(v, bool):
            try:
                level = int(v)
            except ValueError:
                continue
            if level > 1:
                # a deliberate choice in llm-d's own precise-prefix-cache guides: advice, not a mistake
                ctx.emit("flags-verbose", INFO, fkeys,
                         f"EPP log verbosity v={level}: above 1 the endpoint picker logs per request, which costs "
                         "throughput under load", "fine while debugging; use v: 1 for production traffic "
                         "(llm-d's istio profile sets 1)",
                         ctx.value_fix(fkeys, 1, "set v to 1"))


def get_user(ctx: Ctx, keys):
    from ..values.source import get
    return get(ctx.values, keys)


def rule_env(ctx: Ctx) -> None:
    keys = _split(ctx.lay.epp) + ("env",)
    env = get_user(ctx, keys)
    if isinstance(env, dict):
        ctx.claim(keys)
        fixed = []
        for k, v in env.items():
            if isinstance(v, dict):
                fixed.append({"name": k, **v})
            else:
                fixed.append({"name": k, "value": v})
        literal = any(_TOKEN_ENV.search(str(k)) and not isinstance(v, dict) and v for k, v in env.items())
        how = "a render error" if (_is_ip(ctx) and _vkey(ctx) >= (1, 4, 0)) or not _is_ip(ctx) else \
            "a stray, invalid container key (the variables never reach the EPP)"
        ctx.emit("env-map", ERROR, keys,
                 f"`{format_path(keys)}` is a map; it must be a list of EnvVar ({{name, value}} or "
                 f"{{name, valueFrom}}) — on {ctx.f.family} {ctx.f.version} a map gives {how}",
                 "write `- name: X` / `  value: …` items",
                 None if literal else ctx.value_fix(keys, fixed, "rewrite env as a list"))
        for k, v in env.items():
            if _TOKEN_ENV.search(str(k)) and not isinstance(v, dict) and v:
                _hf_literal(ctx, keys + (k,), str(k))
        return
    if isinstance(env, list):
        for i, item in enumerate(env):
            if not isinstance(item, dict):
                continue
            name = str(item.get("name", ""))
            if _TOKEN_ENV.search(name) and item.get("value") not in (None, ""):
                _hf_literal(ctx, keys + (i, "value"), name)


DEFAULT_HF_SECRET = ("llm-d-hf-token", "HF_TOKEN")   # llm-d's convention (facts/llm-d.md)
_TOKEN_KEYS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_TOKEN", "token")


def hf_secret_for(ctx: Ctx, env_name: str) -> tuple[str, str, str]:
    """(secret, key, what the user still has to do) for reading `env_name` from a Secret: a secret
    the caller found and a key it really has, else llm-d's convention and the command creating it."""
    create = (f"create it: kubectl create secret generic {DEFAULT_HF_SECRET[0]} "
              f"--from-literal={DEFAULT_HF_SECRET[1]}=<token>")
    for want in (env_name, *_TOKEN_KEYS):
        for s in ctx.secrets:
            if s.keys and want in s.keys:
                return s.name, want, f"Secret {s.name} has the key {want}"
    for s in ctx.secrets:
        if s.keys is None:
            return s.name, DEFAULT_HF_SECRET[1], f"check that Secret {s.name} has the key {DEFAULT_HF_SECRET[1]}"
    if ctx.secrets:
        s = ctx.secrets[0]
        return s.name, DEFAULT_HF_SECRET[1], (f"Secret {s.name} has no token key ({', '.join(s.keys or ())}); "
                                              f"add {DEFAULT_HF_SECRET[1]} to it")
    return DEFAULT_HF_SECRET[0], DEFAULT_HF_SECRET[1], create


def _hf_literal(ctx: Ctx, keys, name: str) -> None:
    ctx.claim(keys)
    secret, skey, todo = hf_secret_for(ctx, name)
    fix = None
    if keys[-1] == "value":
        item = get_user(ctx, keys[:-1])
        e = ctx.src.positions.get(tuple(keys))
        if e is not None and isinstance(item, dict) and item.get("valueFrom") is not None:
            fix = _drop_value_fix(ctx, keys, e)
        elif e is not None:
            indent = " " * (e.column - 1)
            text = (f"valueFrom:\n{indent}  secretKeyRef:\n{indent}    name: {secret}\n"
                    f"{indent}    key: {skey}")
            from ..values.diagnostics import Fix
            fix = Fix(f"read the token from Secret {secret} (key {skey})", e.line, e.column, e.value_end_line,
                      e.value_end_column, text, file=ctx.file_of(keys))
    has_ref = keys[-1] == "value" and isinstance(get_user(ctx, keys[:-1]), dict) and \
        get_user(ctx, keys[:-1] + ("valueFrom",)) is not None
    ctx.emit("hf-token-literal", ERROR, keys,
             f"`{name}` holds a literal token in the values file (value not shown); values files end up in "
             "helm's release history, records and git",
             ("delete the literal `value`: this item already reads the token through `valueFrom`; revoke the "
              "exposed token") if has_ref else
             (f"use `valueFrom: {{secretKeyRef: {{name: {secret}, key: {skey}}}}}` ({todo}); revoke the exposed "
              "token"), fix)


def _drop_value_fix(ctx: Ctx, keys, e):
    """Delete `value: <token>` from an env item that already has `valueFrom`."""
    from ..values.diagnostics import Fix
    lines = ctx.src.text_of(keys).splitlines(keepends=True)
    file = ctx.file_of(keys)
    title = "delete the literal value (valueFrom already reads the Secret)"
    prefix = lines[e.line - 1][: e.column - 1]
    if not prefix.strip():
        return Fix(title, e.line, 1, e.value_end_line + 1, 1, "", file=file)
    # `- value: …` carries the item's dash: pull the next key up onto the dash line
    nxt = e.value_end_line + 1
    if nxt <= len(lines) and lines[nxt - 1].strip() and not lines[nxt - 1].lstrip().startswith("#"):
        ind = len(lines[nxt - 1]) - len(lines[nxt - 1].lstrip(" "))
        return Fix(title, e.line, e.column, nxt, ind + 1, "", file=file)
    return None


def rule_token_anywhere(ctx: Ctx) -> None:
    from ..values.source import leaves
    for keys, v in leaves(ctx.values):
        if isinstance(v, str) and _HF_TOKEN.search(v) and not ctx.is_claimed(keys):
            ctx.claim(keys)
            ctx.emit("hf-token-literal", ERROR, keys,
                     "a Hugging Face token is written into the values file (value not shown)",
                     "keep tokens in a Secret and reference it with valueFrom.secretKeyRef; revoke the exposed token")


def rule_ext_proc_port(ctx: Ctx) -> None:
    keys = _split(ctx.lay.epp) + ("extProcPort",)
    v = get_user(ctx, keys)
    if v is None or v == EXT_PROC_PORT or str(v) == str(EXT_PROC_PORT):
        return
    ctx.claim(keys)
    ctx.emit("ext-proc-port", ERROR, keys,
             f"extProcPort {shown_value(v)}: the chart uses it for the Service and the InferencePool but the EPP container "
             f"keeps listening on {EXT_PROC_PORT}, so the gateway's ext-proc calls go nowhere",
             f"leave extProcPort at {EXT_PROC_PORT}", ctx.value_fix(keys, EXT_PROC_PORT, f"set extProcPort to {EXT_PROC_PORT}"))


def rule_provider(ctx: Ctx) -> None:
    keys = ("provider", "name")
    v = get_user(ctx, keys)
    if not isinstance(v, str):
        return
    low = v.strip().lower()
    if low == "istio" and v != "istio":
        ctx.claim(keys)
        ctx.emit("provider-case", ERROR, keys,
                 f"provider.name `{v}`: the chart matches \"istio\" case-sensitively, so no DestinationRule is rendered",
                 "write it in lower case: istio", ctx.value_fix(keys, "istio", "write istio in lower case"))
        return
    if low == "istio" and ctx.lay.istio is None:
        ctx.claim(keys)
        ctx.emit("no-istio-support", ERROR, keys,
                 f"{ctx.f.family} {ctx.f.version} has no istio support: no DestinationRule is rendered",
                 "use inferencepool v1.0.1 or later (v1.2.0+ recommended), or provider none")
        return
    if low not in ("istio", "gke", "none", ""):
        ctx.emit("provider-name", INFO, keys,
                 f"provider.name `{shown_value(v)}`: the chart renders extra objects only for istio and gke; anything else "
                 "behaves like none", "use none for kgateway/agentgateway (they need nothing from this chart)")


def rule_provider_profile(ctx: Ctx) -> None:
    """Istio: llm-d's connection-pool limits and flags, one diagnostic per missing/changed setting."""
    name = get_user(ctx, ("provider", "name"))
    # `Istio` means istio (provider-case says so): check the profile too, so fixing the case
    # brings no surprise findings
    if not isinstance(name, str) or name.strip().lower() != "istio" or ctx.lay.istio is None:
        return
    profile = _istio_profile()
    block = _split(ctx.lay.istio)
    if block[0] not in ctx.values and block != ("istio",) and "istio" in ctx.values:
        return  # istio-location already explains it
    if block == ("istio",) and "provider" in ctx.values and isinstance(ctx.values["provider"], dict) \
            and "istio" in ctx.values["provider"]:
        return
    pool = block + ("destinationRule", "trafficPolicy", "connectionPool")
    for sub, expected in _profile_leaves(profile.connection_pool):
        keys = pool + sub
        have = get_user(ctx, keys)
        dotted = format_path(keys)
        if have is None:
            ctx.emit("provider-incomplete", WARNING, keys,
                     f"`{dotted}` is not set: llm-d's istio profile sets {expected}; without it Envoy's default "
                     "circuit breaker (1024) can overflow the ext-proc stream under load",
                     f"add {sub[-1]}: {expected} under {format_path(keys[:-1])}")
        elif str(have) != str(expected):
            shown = shown_value(have)
            ctx.emit("provider-changed", WARNING, keys,
                     f"`{dotted}` is {shown}; llm-d's istio profile sets {expected}",
                     f"use {expected} unless you have measured otherwise",
                     ctx.value_fix(keys, expected, f"set {sub[-1]} to {expected}"))
    fkeys = _flags_keys(ctx)
    for name, expected in profile.flags.items():
        flags = get_user(ctx, fkeys)
        present = (isinstance(flags, dict) and name in flags) or (
            isinstance(flags, list) and any(isinstance(i, dict) and i.get("name") == name for i in flags))
        if not present:
            ctx.emit("provider-incomplete", INFO, fkeys,
                     f"llm-d's istio profile sets the EPP flag {name}: {expected}; this file does not",
                     f"add it under {format_path(fkeys)}")


@lru_cache(maxsize=1)
def _istio_profile():
    from ..values.providers import load_profile
    return load_profile("istio")


def _profile_leaves(d, prefix=()):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _profile_leaves(v, prefix + (k,))
        else:
            yield prefix + (k,), v


def rule_zmq(ctx: Ctx) -> None:
    if ctx.src.header.get("zmq", "").lower() in ("off", "false", "no"):
        return
    ckeys = _split(ctx.lay.extra_container_ports)
    skeys = _split(ctx.lay.extra_service_ports)
    cports = get_user(ctx, ckeys)
    sports = get_user(ctx, skeys)
    on_c = isinstance(cports, list) and any(isinstance(p, dict) and str(p.get("containerPort")) == str(ZMQ_PORT)
                                            for p in cports)
    on_s = isinstance(sports, list) and any(isinstance(p, dict) and str(p.get("port")) == str(ZMQ_PORT)
                                            for p in sports)
    if on_c and on_s:
        return
    if not on_c and not on_s:
        ctx.emit("zmq-port-missing", INFO, ckeys,
                 f"no zmq port {ZMQ_PORT} for KV-cache events (needed for precise prefix-cache routing)",
                 f"add it to {ctx.lay.extra_container_ports} and {ctx.lay.extra_service_ports}, or write "
                 "`# gaie-tui: zmq=off` at the top of the file to say you do not want it")
        return
    missing, present = (skeys, ckeys) if on_c else (ckeys, skeys)
    ctx.emit("zmq-port-missing", WARNING, missing if ctx.src.has(missing) else present,
             f"zmq port {ZMQ_PORT} is on {'the container' if on_c else 'the Service'} but not on "
             f"{'the Service' if on_c else 'the container'}: KV-cache events cannot reach the EPP",
             f"add port {ZMQ_PORT} to `{format_path(missing)}` too")


def rule_monitoring(ctx: Ctx) -> None:
    keys = _split(ctx.lay.monitoring) + ("prometheus", "enabled")
    if get_user(ctx, keys) is True:
        ctx.emit("monitoring-enabled", INFO, keys,
                 "Prometheus monitoring is on: the chart renders a ServiceMonitor, which needs the Prometheus "
                 "operator's CRDs in the cluster (preflight checks them)",
                 "make monitoring.prometheus.auth.secretName unique per release when two releases share a namespace")


def rule_image(ctx: Ctx) -> None:
    ikeys = _split(ctx.lay.epp) + ("image",)
    user_img = get_user(ctx, ikeys)
    if not isinstance(user_img, dict):
        return
    img = ctx.effective(".".join(ikeys)) or {}
    reg_key, repo_key = ctx.lay.image_keys
    registry, repository, tag = img.get(reg_key), img.get(repo_key), img.get("tag")
    repo = f"{registry.rstrip('/')}/{repository}" if isinstance(registry, str) and isinstance(repository, str) \
        else None
    if "tag" in user_img:
        t = user_img.get("tag")
        if t is None or images.is_unpinned(str(t)):
            tag_hint = images.suggest_tag(repo, ctx.f.family, ctx.f.version) if repo else None
            ctx.emit("image-unpinned", WARNING, ikeys + ("tag",),
                     f"image tag `{shown_value(t)}` is not a release: it changes under you and the chart may not "
                     "match it",
                     f"pin a release tag of {repo}, e.g. {tag_hint}" if tag_hint else
                     f"pin the release tag (vX.Y.Z) of {repo or 'the image'} you tested",
                     ctx.value_fix(ikeys + ("tag",), tag_hint, f"pin tag {tag_hint}") if tag_hint else None)
    if repo is None:
        return
    at = ikeys + (repo_key,) if repo_key in user_img else ikeys + (reg_key,) if reg_key in user_img else ikeys
    if repo == images.RENAMED_REPO:
        ctx.emit("image-renamed", INFO, at, images.RENAMED_NOTE,
                 f"use {images.CURRENT_REPO} (v0.9.0+) with llm-d-router-gateway, or mirror the old image")
    tag = str(tag) if tag is not None else ""
    if not tag or images.is_unpinned(tag):
        return
    fam = ctx.f.family
    paired = images.paired_tags(fam, ctx.f.version)
    if repo in (images.RENAMED_REPO, images.CURRENT_REPO):
        if paired and tag not in paired:
            # the paired tag may live in the other repository (renamed in May 2026): name it whole
            in_repo = paired[-1] in images.known_tags(repo)
            other = images.CURRENT_REPO if repo == images.RENAMED_REPO else images.RENAMED_REPO
            use = f"tag {paired[-1]}" if in_repo else f"{other}:{paired[-1]}"
            ctx.emit("image-unpaired", INFO, ikeys + ("tag",) if "tag" in user_img else at,
                     f"llm-d deployed {fam} {ctx.f.version} with endpoint picker {', '.join(paired)}, not {tag}; "
                     "a chart's RBAC and flags match the EPP of its time (skew can crash-loop with \"forbidden\")",
                     f"use {use}, or check the EPP's release notes for RBAC changes")
        elif not paired:
            ctx.emit("image-unpaired", INFO, ikeys + ("tag",) if "tag" in user_img else at,
                     f"llm-d never paired an endpoint picker with {fam} {ctx.f.version}; {tag} is untested with it",
                     "check the EPP's release notes for RBAC and flag changes")
    elif repo == images.GAIE_REPO and fam == "inferencepool" and tag != ctx.f.version:
        ctx.emit("image-unpaired", INFO, ikeys + ("tag",) if "tag" in user_img else at,
                 f"the GAIE epp {tag} with chart {ctx.f.version}: the chart's default is epp {ctx.f.version}",
                 f"use tag {ctx.f.version} unless you know the chart and EPP agree")


def rule_model_server_type(ctx: Ctx) -> None:
    keys = _split(ctx.lay.model_server_type)
    v = get_user(ctx, keys)
    if not isinstance(v, str):
        return
    supported = layouts.model_server_types(ctx.f.family, ctx.f.version)
    if v in supported:
        return
    have = layouts.versions_supporting_type(ctx.f.family, v) if ctx.f.family in ("inferencepool", "llm-d-router-gateway") else []
    ctx.claim(keys)
    near = [s for s in supported if s.lower() == v.lower()]
    ctx.emit("model-server-type", ERROR, keys,
             f"model-server type `{v}` is not supported by {ctx.f.family} {ctx.f.version}",
             (f"it exists from {ctx.f.family} {have[0]}; " if have else "") + f"this version accepts: {', '.join(supported)}",
             ctx.value_fix(keys, near[0], f"write {near[0]}") if near else None)


def rule_traffic_policy(ctx: Ctx) -> None:
    if ctx.lay.istio is None:
        return
    keys = _split(ctx.lay.istio) + ("destinationRule", "trafficPolicy")
    tp = get_user(ctx, keys)
    if not isinstance(tp, dict):
        return
    for k in tp:
        if k == "connectionPool":
            continue
        ctx.claim(keys + (k,))
        extra = " (the chart always writes tls: {mode: SIMPLE, insecureSkipVerify: true})" if k == "tls" else ""
        ctx.emit("traffic-policy-dropped", WARNING, keys + (k,),
                 f"trafficPolicy.{k} is dropped: the chart copies only trafficPolicy.connectionPool into the "
                 f"DestinationRule{extra}",
                 "remove it here; apply it with your own DestinationRule or an istio policy if you need it")


def rule_objectives(ctx: Ctx) -> None:
    if _is_ip(ctx) and ctx.f.version == "v1.5.0":
        v = get_user(ctx, ("inferenceObjectives",))
        if isinstance(v, list) and v:
            ctx.emit("chart-bug-objectives", ERROR, ("inferenceObjectives",),
                     "inferencepool v1.5.0 fails to render any inferenceObjectives entry (a chart bug)",
                     "leave inferenceObjectives empty and create InferenceObjective objects separately")
            ctx.claim(("inferenceObjectives",))


def rule_istio_legacy(ctx: Ctx) -> None:
    """inferencepool v1.2.0–v1.3.1 still read a legacy top-level `istio`, but only as a fallback behind
    `provider.istio`, which always has defaults: the legacy block never takes effect."""
    if ctx.lay.istio == "provider.istio" and "istio" in ctx.values:
        ctx.claim(("istio",))
        explain_istio(ctx, None, ("istio",), ctx.values["istio"])


RULES = (rule_chart_notes, rule_deprecated_top_level, rule_istio_legacy, rule_flags, rule_env, rule_token_anywhere,
         rule_ext_proc_port, rule_provider, rule_provider_profile, rule_zmq, rule_monitoring, rule_image,
         rule_model_server_type, rule_traffic_policy, rule_objectives)


# ---------------------------------------------------------------------------------------------
# explanations for keys the schema does not know (return True when handled)
_IMAGE_SWAP = {"hub": "registry", "name": "repository", "registry": "hub", "repository": "name"}


def explain_image_key(ctx: Ctx, parent: KeyNode, keys, value) -> bool:
    key = keys[-1]
    if len(keys) < 2 or keys[-2] != "image" or key not in _IMAGE_SWAP:
        return False
    other = _IMAGE_SWAP[key]
    if other not in parent.children:
        return False
    which = "hub`/`name" if key in ("hub", "name") else "registry`/`repository"
    image = get_user(ctx, keys[:-1])
    if isinstance(image, dict) and other in image:
        # both layouts' keys, on purpose (one file for several chart versions): harmless here
        ctx.emit("ignored-image-key", INFO, keys,
                 f"`{format_path(keys)}` is ignored by {ctx.f.family} {ctx.f.version}, which reads `{other}` "
                 f"(also set here); `{key}` only serves charts with the other image keys",
                 f"nothing to do if this file serves several chart versions; otherwise remove `{key}`")
        return True
    ctx.emit("ignored-image-key", ERROR, keys,
             f"`{format_path(keys)}` is ignored by {ctx.f.family} {ctx.f.version}: its image keys are "
             f"`{'registry`/`repository' if key in ('hub', 'name') else 'hub`/`name'}`, so `{which}` leave the "
             "chart's default image running",
             f"rename `{key}` to `{other}`", ctx.rename_fix(keys, other, f"rename {key} to {other}"))
    return True


def explain_istio(ctx: Ctx, parent: KeyNode, keys, value) -> bool:
    at_top = keys == ("istio",)
    under_provider = tuple(keys) == ("provider", "istio")
    if not (at_top or under_provider):
        return False
    if ctx.lay.istio is None:
        ctx.emit("no-istio-support", ERROR, keys,
                 f"{ctx.f.family} {ctx.f.version} has no istio support: `{format_path(keys)}` is ignored and no "
                 "DestinationRule is rendered", "use inferencepool v1.0.1 or later (v1.2.0+ recommended)")
        return True
    right = ctx.lay.istio
    ctx.emit("istio-location", ERROR, keys,
             f"`{format_path(keys)}` is ignored by {ctx.f.family} {ctx.f.version}: the istio block is "
             f"`{right}` here, so no DestinationRule settings take effect",
             ("on v1.0.1–v1.1.0 the istio block is top-level `istio`; " if right == "istio" else
              "from v1.2.0 the istio block is `provider.istio` (top-level `istio` was v1.0.1–v1.1.0); ")
             + f"move it to `{right}`")
    return True


def explain_misplaced_known(ctx: Ctx, parent: KeyNode, keys, value) -> bool:
    """Known mistakes: the seed's `inferenceExtension.provider`, `routing.*`/`gateway.*` from other charts."""
    epp = _split(ctx.lay.epp)
    if len(keys) >= 2 and keys[-1] == "provider" and tuple(keys[:-1]) in (epp, epp[:1], _split(ctx.lay.pool)):
        ctx.emit("misplaced-key", ERROR, keys,
                 f"`{format_path(keys)}` is ignored: the chart reads the gateway provider at the top level "
                 "(`provider`), so no DestinationRule or GKE policy is rendered",
                 "move the block to top-level `provider:` (with `name: istio` or `gke` and, for istio, "
                 f"`{ctx.lay.istio or 'provider.istio'}.destinationRule`)")
        return True
    if tuple(keys) in (epp + ("service",), epp[:1] + ("service",)):
        ports = ctx.lay.extra_service_ports
        ctx.emit("unknown-key", ERROR, keys,
                 f"`{format_path(keys)}` is ignored: {ctx.f.family} {ctx.f.version} renders the EPP Service "
                 "itself (ClusterIP, the ext-proc, health and metrics ports) and takes no Service settings",
                 f"remove it; extra Service ports go in `{ports}` (a list of name/port/protocol/targetPort); "
                 "a different Service type or annotations need a patch after install (e.g. a kustomize "
                 "post-renderer)")
        return True
    if len(keys) == 1 and keys[0] in ("routing", "gateway", "modelservice", "ms"):
        ctx.emit("misplaced-key", ERROR, keys,
                 f"`{keys[0]}` belongs to another chart (llm-d's infra or model-service charts); "
                 f"{ctx.f.family} ignores it", "move it to the values of the chart it belongs to")
        return True
    if len(keys) >= 2 and keys[0] == "inferencePool" and keys[1] in ("pluginsConfigFile", "pluginsCustomConfig",
                                                                      "plugins"):
        ctx.emit("misplaced-key", ERROR, keys, f"`{format_path(keys)}` is ignored: plugins are configured on the EPP",
                 f"move it to `{ctx.lay.epp}.{keys[1]}`")
        return True
    return False


def explain_other_family(ctx: Ctx, parent: KeyNode, keys, value) -> bool:
    """A key of the other chart family (router.* on inferencepool, inferenceExtension.* on the router chart)."""
    if ctx.f.family == "inferencepool" and keys and keys[0] in ("router", "httpRoute") and len(keys) == 1:
        ctx.emit("misplaced-key", ERROR, keys,
                 f"`{keys[0]}` is the llm-d-router-gateway layout; {ctx.f.family} {ctx.f.version} ignores it",
                 "use inferenceExtension.* / inferencePool.* here, or deploy llm-d-router-gateway")
        return True
    return False


def explain_epp_resources(ctx: Ctx, parent: KeyNode, keys, value) -> bool:
    if _is_ip(ctx) and tuple(keys) == ("inferenceExtension", "resources"):
        found = family_index(ctx.f.family).get("inferenceExtension.resources", [])
        ctx.emit("not-in-version", ERROR, keys,
                 f"`inferenceExtension.resources` is ignored before inferencepool v1.4.0 (this is {ctx.f.version}): "
                 "the EPP runs without these requests/limits",
                 f"it is read by {ctx.f.family} {version_span(found, ctx.f.family)}; remove it or upgrade the chart")
        return True
    return False


UNKNOWN_EXPLAINERS = (explain_image_key, explain_istio, explain_misplaced_known, explain_other_family,
                      explain_epp_resources)
