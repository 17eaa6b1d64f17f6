"""Preflight: everything that can be known before a deploy, without changing the cluster.

The objects the chart will create come from `helm template` of the exact chart and values (the
`Expected` of verify.py); the cluster is asked only read-only questions plus
SelfSubjectAccessReviews (which change nothing). Each answer is a `Check`.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from ..verify.checks import Expected, model_server_check
from .checks import FAIL, PASS, SKIP, WARN, Check

# group of each kind a chart renders; CRD-backed kinds need their CRD served
BUILTIN_GROUPS = {"", "apps", "rbac.authorization.k8s.io", "policy", "batch", "autoscaling", "networking.k8s.io"}
PLURALS = {
    "ServiceAccount": "serviceaccounts", "ConfigMap": "configmaps", "Secret": "secrets", "Service": "services",
    "Deployment": "deployments", "Role": "roles", "RoleBinding": "rolebindings", "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings", "InferencePool": "inferencepools",
    "InferenceObjective": "inferenceobjectives", "DestinationRule": "destinationrules",
    "ServiceMonitor": "servicemonitors", "HTTPRoute": "httproutes", "HealthCheckPolicy": "healthcheckpolicies",
    "GCPBackendPolicy": "gcpbackendpolicies", "PodMonitor": "podmonitors",
}
CRD_HINTS = {
    "InferencePool": "install the Gateway API Inference Extension CRDs (kubectl apply -f the manifests/ of the "
                     "GAIE release, v1.0.0 or newer, which serve inference.networking.k8s.io/v1)",
    "DestinationRule": "install Istio (its CRDs) or choose a provider other than istio",
    "ServiceMonitor": "install the Prometheus operator CRDs, or turn monitoring.prometheus.enabled off",
    "HTTPRoute": "install the Gateway API CRDs (gateway.networking.k8s.io), or turn the HTTPRoute off",
    "HealthCheckPolicy": "this is GKE's Gateway API: use provider gke only on GKE with the gateway enabled",
    "GCPBackendPolicy": "this is GKE's Gateway API: use provider gke only on GKE with the gateway enabled",
}
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "Namespace", "CustomResourceDefinition"}


def _group_version(api_version: str) -> tuple[str, str]:
    g, _, v = api_version.rpartition("/")
    return g, v


# Diagnostic codes by which the checker says it could not check (rather than found nothing).
COULD_NOT_CHECK_CODES = ("checker-crashed", "checker-failed", "could-not-check")


def values_check(values, chart) -> Check:
    """Layers 1–3 of the values checker (it blocks errors). `values` is one file's text, or layered
    values — a `core.values.layers.Layered` or (file, text) pairs in helm's order — checked merged,
    each finding named by the file and line that set the value. A checker that crashes, or says it
    could not check, is a failing check — never a warning, never a pass: "no findings" from a
    checker that did not run would let a broken file through."""
    from ..redact import redact
    layered = None if isinstance(values, str) else values
    if isinstance(layered, list | tuple):
        from ..values.layers import merge_layers
        layered = merge_layers(list(layered))
    files = layered.files if layered is not None else []
    what = f"{' + '.join(files)}" if layered is not None else "the values file"
    looked = f"{what} against {getattr(chart, 'name', '?')} {getattr(chart, 'version', '?')}"
    command = ("gaie-tui validate " + " ".join(f"-f {f}" for f in files)) if layered is not None else \
        "gaie-tui validate FILE"
    remedy = (f"run `{command}` for details; if it keeps failing, report it with "
              "gaie-tui.log from the state folder")
    title = "Values file" if layered is None else f"Values files ({len(files)} layers)"
    try:
        from ..check import checker
        from ..values.diagnostics import counts
        diags = checker.check_text(values, chart) if layered is None else checker.check_layered(layered, chart)
    except Exception as exc:  # noqa: BLE001 - a checker bug must not hide the rest of preflight
        from ..errorlog import describe, write_error_log
        write_error_log(exc, "values checker")
        return Check("values", title, FAIL, f"could not check the values: {describe(exc)}", remedy, looked)
    crashed = [d for d in diags if d.code in COULD_NOT_CHECK_CODES]
    if crashed:
        return Check("values", title, FAIL, f"could not check the values: {redact(crashed[0].message)}",
                     remedy, looked, [redact(d.message) for d in crashed[1:12]])
    c = counts(diags)
    errs = [d for d in diags if d.severity == "error"]
    warns = [d for d in diags if d.severity == "warning"]
    where = (lambda d: f"{d.file}:{d.line}") if layered is not None else (lambda d: f"line {d.line}")
    details = [redact(f"{d.severity} {where(d)}: {d.path or '(file)'}: {d.message}") for d in (errs + warns)[:12]]
    if errs:
        return Check("values", title, FAIL, f"{_n(c.get('error', 0), 'error')}, "
                     f"{_n(c.get('warning', 0), 'warning')}",
                     f"fix the errors ({command} shows hints); helm would silently ignore or "
                     "misread these keys", looked, details)
    if warns:
        return Check("values", title, WARN, _n(len(warns), "warning"), "read them; deploy if intended",
                     looked, details)
    return Check("values", title, PASS, "no problems found", "", looked)


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def pull_secret_names(exp: Expected, cluster=None) -> list[str]:
    """The image pull secrets the EPP's pods would get: the rendered pod spec's, the rendered
    ServiceAccount's, and (for an upgrade) those someone added to the live ServiceAccount.
    No released chart version renders any, so this is usually empty."""
    dep = exp.rendered.get("Deployment") or {}
    pod = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    names = [str(s.get("name")) for s in pod.get("imagePullSecrets") or [] if isinstance(s, dict) and s.get("name")]
    sa_name = pod.get("serviceAccountName") or pod.get("serviceAccount")
    sa = exp.rendered.get("ServiceAccount") or {}
    if sa_name and (sa.get("metadata") or {}).get("name") == sa_name:
        names += [str(s.get("name")) for s in sa.get("imagePullSecrets") or [] if isinstance(s, dict) and s.get("name")]
    if sa_name and cluster is not None:
        try:
            live = cluster.get(f"/api/v1/namespaces/{quote(exp.namespace)}/serviceaccounts/{quote(sa_name)}",
                               what=f"get serviceaccount {sa_name}")
        except Exception:  # noqa: BLE001 - unreadable: we just know fewer secrets
            live = None
        names += [str(s.get("name")) for s in (live or {}).get("imagePullSecrets") or []
                  if isinstance(s, dict) and s.get("name")]
    return list(dict.fromkeys(names))


def image_check(exp: Expected, cluster=None, session=None) -> Check:
    """The EPP image resolves in its registry (or the configured mirror), the way a kubelet would
    pull it: anonymously, else with the pull secrets the pods get. `latest`, a missing tag, a missing
    repository or a refused pull fail, naming the image and what to choose instead; no network is a
    skip with a note."""
    from ..upstream import images as img
    image = exp.epp_image
    looked = f"HEAD of the manifest of {image or 'the EPP image'} in its registry (OCI distribution API)"
    title = "EPP image pulls"
    if not image:
        return Check("epp-image-pull", title, SKIP, "the rendered Deployment names no EPP image", "", looked)
    own = session is None
    if own:
        from ..upstream.session import Upstream
        try:
            session = Upstream.from_env(retries=1, backoff=0.2, connect_timeout=3.0)
        except Exception as exc:  # noqa: BLE001 - e.g. a malformed GAIE_TUI_REGISTRY_MIRRORS
            return Check("epp-image-pull", title, WARN, f"{image} not checked: {exc}",
                         getattr(exc, "hint", "") or "fix GAIE_TUI_REGISTRY_MIRRORS", looked)
    try:
        names = pull_secret_names(exp, cluster)
        creds = img.secret_credentials(cluster, exp.namespace, names) if names and cluster is not None else None
        status = img.pull_status(session, image, credentials=creds)
        looked = f"HEAD {status.source or image}" + (f"; pull secrets {', '.join(names)}" if names else "")
        if status.ok:
            return Check("epp-image-pull", title, PASS, status.message + (
                f" ({status.digest[:19]}…)" if status.digest else ""), "", looked)
        if status.state == img.OFFLINE:
            return Check("epp-image-pull", title, SKIP, status.message, status.hint, looked)
        if status.state == img.ERROR:
            return Check("epp-image-pull", title, WARN, status.message, status.hint, looked)
        choices = img.image_choices(exp.chart_name or "inferencepool", exp.chart_version or "v1.5.0", session,
                                    check=False)
        others = [f"{c.image} ({c.label})" for c in choices.choices if c.image != image]
        instead = ("; or choose " + ", ".join(others)) if others else ""
        if status.state == img.DENIED:
            why = (f"the pull secret(s) {', '.join(names)} do not open it" if names else
                   "this chart version renders no imagePullSecrets, so the nodes pull it with their own "
                   "credentials or none")
            remedy = (f"{why}: mirror the image to a registry the nodes can pull from (GAIE_TUI_REGISTRY_MIRRORS "
                      f"makes this check ask the mirror){instead}")
        elif status.state == img.UNPINNED:
            remedy = status.hint
        else:
            remedy = (status.hint + "; " if status.hint else "") + (f"choose {', '.join(others)}" if others else
                                                                    "choose an image that exists")
        if choices.successor_note and status.state != img.UNPINNED:
            remedy += f". {choices.successor_note}"
        return Check("epp-image-pull", title, FAIL, status.message, remedy, looked)
    finally:
        if own:
            session.close()


def run_preflight(cluster, exp: Expected, *, create_namespace: bool = False,
                  release_state: Callable[[], tuple[str, int] | None] | None = None,
                  match_labels_path: str = "inferencePool.modelServers.matchLabels",
                  on_check: Callable[[Check], None] | None = None, image_session=None) -> list[Check]:
    """Read-only checks of the cluster for the rendered release. Stops early when the cluster
    cannot be reached. `release_state` overrides how the release's status is learnt (tests)."""
    from .kube import ClusterError
    checks: list[Check] = []

    def add(c: Check) -> Check:
        checks.append(c)
        if on_check:
            on_check(c)
        return c

    ns = exp.namespace
    # reachable (raises for 401 too: that's not a check result, it's the answer)
    looked = f"GET /version and /api on {cluster.server} (context {cluster.context})"
    try:
        version = cluster.ping()
    except ClusterError as exc:
        add(Check("cluster", "Cluster reachable", FAIL, exc.message, exc.hint, looked))
        return checks
    add(Check("cluster", "Cluster reachable", PASS, f"Kubernetes {version.get('gitVersion', '?')} via context "
              f"{cluster.context}", "", looked))

    try:
        _cluster_checks(cluster, exp, ns, create_namespace, release_state, match_labels_path, add)
    except ClusterError as exc:
        if exc.kind == "forbidden":  # a read we need is denied: a finding, not "could not run"
            add(Check("read-access", "Read access", FAIL, exc.message, exc.hint, f"context {cluster.context}"))
        else:
            add(Check("cluster-access", "Cluster access", FAIL, exc.message, exc.hint, f"context {cluster.context}"))
    add(image_check(exp, cluster, image_session))
    return checks


def _cluster_checks(cluster, exp: Expected, ns: str, create_namespace: bool, release_state, match_labels_path,
                    add) -> None:
    from .kube import ClusterError
    # namespace
    looked = f"namespace {ns}"
    ns_exists = cluster.namespace_exists(ns)
    if ns_exists:
        add(Check("namespace", "Namespace", PASS, f"{ns} exists", "", looked))
    elif create_namespace:
        add(Check("namespace", "Namespace", PASS, f"{ns} does not exist; helm will create it (agreed)", "", looked))
    else:
        add(Check("namespace", "Namespace", FAIL, f"{ns} does not exist",
                  f"create it (kubectl create namespace {ns}) or agree to --create-namespace", looked))

    # CRDs for every custom kind rendered
    kinds: dict[tuple[str, str], str] = {}
    for api, kind, _ons, _name in exp.objects:
        g, v = _group_version(api)
        if g not in BUILTIN_GROUPS:
            kinds[(api, kind)] = g
    for (api, kind), g in sorted(kinds.items(), key=lambda kv: kv[0][1] != "InferencePool"):
        _, v = _group_version(api)
        plural = PLURALS.get(kind, kind.lower() + "s")
        looked = f"API discovery of {api} (resource {plural})"
        served = cluster.served(g, v, plural)
        cid = "crd-" + kind.lower()
        if served:
            add(Check(cid, f"{kind} CRD", PASS, f"{plural}.{g} served at {api}", "", looked))
        else:
            add(Check(cid, f"{kind} CRD", FAIL, f"{plural}.{g} is not served at {api}: the chart renders a {kind}, "
                      "helm would fail with 'no matches for kind'", CRD_HINTS.get(kind, f"install the CRD for {kind}"),
                      looked))

    # may the user create what the chart renders?
    wanted: dict[tuple[str, str, bool], None] = {}
    for api, kind, _ons, _name in exp.objects:
        g, _v = _group_version(api)
        wanted[(g, PLURALS.get(kind, kind.lower() + "s"), kind in CLUSTER_SCOPED)] = None
    denied, unknown, asked = [], [], 0
    for g, plural, cluster_scoped in wanted:
        for verb in ("create", "patch"):
            asked += 1
            try:
                allowed, reason = cluster.can_i(verb, g, plural, None if cluster_scoped else ns)
            except ClusterError as exc:
                if exc.kind == "forbidden":
                    unknown.append(f"{verb} {plural}")
                    continue
                raise
            if allowed is None:
                unknown.append(reason)
                break
            if not allowed:
                where = "cluster-wide" if cluster_scoped else f"in namespace {ns}"
                denied.append(f"{verb} {plural}{'.' + g if g else ''} {where}" + (f" ({reason})" if reason else ""))
    looked = f"{asked} SelfSubjectAccessReview(s): create and patch of each kind the chart renders"
    if denied:
        verbs = sorted({d.split()[0] for d in denied})
        add(Check("rbac", "Permissions", FAIL, f"context {cluster.context} may not " + "; ".join(denied),
                  f"ask a cluster admin to grant {'/'.join(verbs)} on those resources (a Role in {ns}, or a "
                  "ClusterRole for cluster-scoped ones), or deploy with a context that has them", looked, denied))
    elif unknown:
        add(Check("rbac", "Permissions", SKIP, f"not checked: {unknown[0]}", "", looked))
    else:
        add(Check("rbac", "Permissions", PASS, f"create and patch allowed for all {len(wanted)} kinds", "", looked))

    if not ns_exists:
        for cid, title in (("release-state", "Existing release"), ("hf-secret", "Secrets the EPP reads"),
                           ("model-servers", "Model-server pods"), ("collisions", "Name collisions")):
            add(Check(cid, title, SKIP, f"namespace {ns} does not exist yet", "", f"namespace {ns}"))
        return

    # release state (labels of helm's release secrets: status and revision, no data)
    looked = f"helm release secrets of {exp.release} in {ns} (labels owner=helm,name={exp.release}; metadata only)"
    if release_state is not None:
        state = release_state()
    else:
        metas = cluster.secrets(ns, label_selector=f"owner=helm,name={exp.release}")
        latest = max(metas, key=lambda s: int(s.labels.get("version", "0") or 0), default=None)
        state = (latest.labels.get("status", "?"), int(latest.labels.get("version", "0") or 0)) if latest else None
    if state is None:
        add(Check("release-state", "Existing release", PASS, f"no release {exp.release} yet: a new install", "",
                  looked))
    else:
        status, revision = state
        if status.startswith("pending") or status == "uninstalling":
            add(Check("release-state", "Existing release", FAIL,
                      f"{exp.release} revision {revision} is {status}: helm refuses every install or upgrade "
                      "while it is (another operation is in progress)",
                      f"roll back to the last deployed revision (helm rollback {exp.release} -n {ns}); if the "
                      f"first install never finished, uninstall it (helm uninstall {exp.release} -n {ns}) and "
                      "deploy again", looked, actions=["rollback", "uninstall"]))
        elif status == "failed":
            add(Check("release-state", "Existing release", WARN, f"{exp.release} revision {revision} failed",
                      "the upgrade will replace it; read helm history first", looked, actions=["rollback"]))
        else:
            add(Check("release-state", "Existing release", PASS,
                      f"{exp.release} revision {revision} is {status}: this will be an upgrade", "", looked))

    # secrets the EPP reads (by name; values never read)
    secrets = cluster.secrets(ns)
    by_name = {s.name: s for s in secrets}
    looked = f"secret names in {ns} (metadata only)"
    if not exp.secret_refs:
        cands = [s.name for s in secrets if s.name in ("llm-d-hf-token", "hf-token", "hf-secret")]
        add(Check("hf-secret", "Secrets the EPP reads", SKIP, "the values reference no secret" + (
            f" (a Hugging Face token secret exists: {', '.join(cands)})" if cands else ""), "", looked))
    else:
        missing = [f"{n} (key {k})" for n, k in exp.secret_refs if n not in by_name]
        badkey = [f"{n} has no key {k} (keys: {', '.join(by_name[n].keys)})" for n, k in exp.secret_refs
                  if n in by_name and k and by_name[n].keys is not None and k not in by_name[n].keys]
        if missing or badkey:
            hf = [s.name for s in secrets if "hf" in s.name or "token" in s.name]
            add(Check("hf-secret", "Secrets the EPP reads", FAIL, "missing: " + "; ".join(missing + badkey),
                      f"create the secret in {ns} (kubectl create secret generic NAME --from-literal=HF_TOKEN=…) or "
                      "reference an existing one" + (f"; candidates here: {', '.join(hf)}" if hf else ""), looked))
        else:
            add(Check("hf-secret", "Secrets the EPP reads", PASS, ", ".join(
                f"{n}" + (f" (key {k})" if k else "") for n, k in exp.secret_refs) + " exist", "", looked))

    # model servers
    pods = cluster.list(f"/api/v1/namespaces/{quote(ns)}/pods", label_selector=exp.pool_label_selector,
                        what="list pods") if exp.pool_selector else []
    similar = [] if pods else cluster.list(f"/api/v1/namespaces/{quote(ns)}/pods", metadata_only=True,
                                           what="list pods")
    c = model_server_check(exp, pods, similar, id_="model-servers", none_status=WARN,
                           match_labels_path=match_labels_path)
    c.title = "Model-server pods"
    add(c)

    # objects that exist and belong to someone else (metrics-reader secret collision, …)
    clashes = []
    for api, kind, ons, name in exp.objects:
        if kind in CLUSTER_SCOPED:
            continue
        if kind == "Secret":
            live_meta = by_name.get(name)
            owner = (live_meta.annotations.get("meta.helm.sh/release-name") if live_meta else None)
            exists = live_meta is not None
        else:
            g, v = _group_version(api)
            base = f"/apis/{g}/{v}" if g else f"/api/{v}"
            try:
                live = cluster.get(f"{base}/namespaces/{quote(ons or ns)}/{PLURALS.get(kind, kind.lower() + 's')}/"
                                   f"{quote(name)}", what=f"get {kind} {name}")
            except ClusterError as exc:
                if exc.kind == "forbidden":
                    continue
                raise
            exists = live is not None
            owner = ((live or {}).get("metadata", {}).get("annotations") or {}).get("meta.helm.sh/release-name")
        if exists and owner != exp.release:
            clashes.append((kind, name, owner))
    looked = f"GET of each of the {len(exp.objects)} rendered objects (secrets by name only)"
    if clashes:
        text = "; ".join(f"{k} {n} exists and belongs to " + (f"release {o}" if o else "no helm release")
                         for k, n, o in clashes)
        remedy = ("give this release its own metrics-reader secret name (monitoring.prometheus.auth.secretName) "
                  if any(k == "Secret" for k, _, _ in clashes) else "") + \
            "or pick another release name; helm refuses to adopt objects of another release"
        add(Check("collisions", "Name collisions", FAIL, text, remedy, looked))
    else:
        add(Check("collisions", "Name collisions", PASS, "no rendered object belongs to another release", "", looked))
