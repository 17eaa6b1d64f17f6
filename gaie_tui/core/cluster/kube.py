"""Cluster access as users have it: kubeconfig files (KUBECONFIG may list several), contexts and
their namespaces, in-cluster config. Every call has a timeout; failures become `ClusterError`s that
name the context and say what to do.

Requests go through the kubernetes client's auth machinery (tokens, client certificates, exec
plugins) but answers are read as plain JSON dicts: verifying 1,000 pods must not pay for model
deserialisation. Secrets are only ever listed as metadata (`PartialObjectMetadataList`), so their
data never crosses the wire. `kubernetes` is imported lazily, on first connection.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from ..errors import UserError
from ..redact import redact

DEFAULT_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
METADATA_ACCEPT = ("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,"
                   "application/json;as=PartialObjectMetadataList;v=v1beta1;g=meta.k8s.io,application/json")
HF_SECRET_NAMES = ("llm-d-hf-token", "hf-token", "hf-secret", "huggingface-token", "hf-token-secret")
IN_CLUSTER = "in-cluster"


class ClusterError(UserError):
    """A cluster call failed. `kind`: config, unreachable, timeout, unauthorized, forbidden, api."""

    def __init__(self, message: str, hint: str = "", kind: str = "api", context: str = "",
                 status: int = 0) -> None:
        super().__init__(redact(message), hint)
        self.kind = kind
        self.context = context
        self.status = status


# ---- kubeconfig without the kubernetes package (the wizard's first frame lists contexts) -------
@dataclass(frozen=True)
class ContextInfo:
    name: str
    cluster: str = ""
    user: str = ""
    namespace: str = ""
    server: str = ""


def kubeconfig_paths(explicit: str | None = None) -> list[Path]:
    """The files kubectl would read: --kubeconfig, else every file in KUBECONFIG, else ~/.kube/config."""
    raw = explicit or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p]


def _load_files(paths: list[Path]) -> tuple[dict[str, dict], dict[str, dict], str]:
    """kubectl's merge: the first file that defines a name (or current-context) wins."""
    contexts: dict[str, dict] = {}
    clusters: dict[str, dict] = {}
    current = ""
    for path in paths:
        if not path.is_file():
            continue
        data = _read_kubeconfig(path)
        if not isinstance(data, dict):
            raise ClusterError(f"kubeconfig {path} is not a mapping", "fix or remove the file", kind="config")
        current = current or str(data.get("current-context") or "")
        for item in data.get("contexts") or []:
            if isinstance(item, dict) and item.get("name") and item["name"] not in contexts:
                contexts[item["name"]] = item.get("context") or {}
        for item in data.get("clusters") or []:
            if isinstance(item, dict) and item.get("name") and item["name"] not in clusters:
                clusters[item["name"]] = item.get("cluster") or {}
    return contexts, clusters, current


KUBECONFIG_MAX_BYTES = 16 * 1024 * 1024   # many contexts with embedded certificates stay far below


def _read_kubeconfig(path: Path) -> dict:
    """One kubeconfig file under the bounded loader's budget (size, aliases, nesting): a file we
    did not write must not be able to hang or exhaust the wizard before its first frame."""
    from ..charts.safeyaml import load
    try:
        if path.stat().st_size > KUBECONFIG_MAX_BYTES:
            raise ClusterError(f"kubeconfig {path} is {path.stat().st_size / 1024 / 1024:.1f} MB; files over "
                               f"{KUBECONFIG_MAX_BYTES // 1024 // 1024} MB are not read", "fix or remove the file",
                               kind="config")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ClusterError(f"cannot read kubeconfig {path}: {exc}", "fix or remove the file", kind="config") from None
    try:
        return load(text, f"kubeconfig {path}", max_bytes=KUBECONFIG_MAX_BYTES, hint="fix or remove the file") or {}
    except UserError as exc:
        raise ClusterError(exc.message, exc.hint, kind="config") from None


def list_contexts(kubeconfig: str | None = None) -> tuple[list[ContextInfo], str | None]:
    """Every context in the kubeconfig files and the current one (None when unset)."""
    contexts, clusters, current = _load_files(kubeconfig_paths(kubeconfig))
    out = [ContextInfo(name=name, cluster=str(c.get("cluster") or ""), user=str(c.get("user") or ""),
                       namespace=str(c.get("namespace") or ""),
                       server=str((clusters.get(c.get("cluster") or "") or {}).get("server") or ""))
           for name, c in contexts.items()]
    return out, (current or None)


SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def in_cluster_available(sa_dir: Path = SERVICE_ACCOUNT_DIR) -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and (sa_dir / "token").is_file()


def namespace_default(kubeconfig: str | None = None, context: str | None = None) -> tuple[str | None, str]:
    """The one namespace rule (DESIGN): LLMDBENCH_VLLM_COMMON_NAMESPACE, then the namespace the
    context names (but not `default`, which is kubectl's fallback rather than a choice), else
    (None, "") — ask. The second element says where the answer came from."""
    if ns := os.environ.get("LLMDBENCH_VLLM_COMMON_NAMESPACE"):
        return ns, "from LLMDBENCH_VLLM_COMMON_NAMESPACE"
    try:
        infos, current = list_contexts(kubeconfig)
    except ClusterError:
        return None, ""
    name = context or current
    ns = next((i.namespace for i in infos if i.name == name and i.namespace), None)
    if ns and ns != "default":
        return ns, f"the namespace of context {name}"
    return None, ""


def default_namespace(kubeconfig: str | None = None, context: str | None = None) -> str | None:
    """The namespace `namespace_default` settles on, or None."""
    return namespace_default(kubeconfig, context)[0]


# ---- the connection ------------------------------------------------------------------------
@dataclass(frozen=True)
class SecretMeta:
    """A secret as seen without its data: name, type, and the data keys that managedFields reveal."""
    name: str
    type: str = ""
    keys: tuple[str, ...] | None = None  # None: not learnable without reading the secret
    labels: dict = field(default_factory=dict, hash=False, compare=False)
    annotations: dict = field(default_factory=dict, hash=False, compare=False)


class Cluster:
    """One connection to one context. Thread-safe enough for the UI's worker threads (urllib3 pool)."""

    def __init__(self, api_client, context: str, server: str, namespace: str | None,
                 kubeconfig: str | None, timeout: float = DEFAULT_TIMEOUT, user: str = "") -> None:
        self._api = api_client
        self.context = context
        self.server = server
        self.namespace = namespace
        self.kubeconfig = kubeconfig
        self.timeout = timeout
        self.user = user
        self.metadata_only_honoured: bool | None = None  # learnt on the first metadata list

    # -- construction
    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None,
                timeout: float = DEFAULT_TIMEOUT, sa_dir: Path = SERVICE_ACCOUNT_DIR) -> Cluster:
        """Load credentials (no request yet; call `ping()` to reach the server)."""
        try:
            from kubernetes import client as kclient  # lazy: heavy import
            from kubernetes import config as kconfig
        except ImportError as exc:  # pragma: no cover - it is a dependency
            raise ClusterError("the kubernetes Python package is not installed",
                               "pip install kubernetes", kind="config") from exc
        cfg = kclient.Configuration()
        paths = kubeconfig_paths(kubeconfig)
        have_files = any(p.is_file() for p in paths)
        if not have_files and context is None and in_cluster_available(sa_dir):
            try:
                from kubernetes.config.incluster_config import InClusterConfigLoader

                InClusterConfigLoader(token_filename=str(sa_dir / "token"),
                                      cert_filename=str(sa_dir / "ca.crt")).load_and_set(cfg)
            except kconfig.ConfigException as exc:
                raise ClusterError(f"in-cluster configuration failed: {exc}",
                                   "run inside a pod with a service account, or give --kubeconfig",
                                   kind="config", context=IN_CLUSTER) from None
            ns_file = sa_dir / "namespace"
            ns = ns_file.read_text().strip() if ns_file.is_file() else None
            cfg.retries = 1
            return cls(kclient.ApiClient(cfg), IN_CLUSTER, cfg.host, ns, None, timeout)
        if not have_files:
            where = ", ".join(str(p) for p in paths)
            raise ClusterError(f"no kubeconfig found (looked at {where})",
                               "give --kubeconfig FILE, set KUBECONFIG, or run offline", kind="config")
        infos, current = list_contexts(kubeconfig)
        name = context or current
        if not name:
            raise ClusterError("the kubeconfig has no current context",
                               f"choose one with --context ({', '.join(i.name for i in infos) or 'none defined'})",
                               kind="config")
        info = next((i for i in infos if i.name == name), None)
        if info is None:
            known = ", ".join(i.name for i in infos) or "none"
            raise ClusterError(f"context {name!r} is not in the kubeconfig", f"known contexts: {known}",
                               kind="config", context=name)
        try:
            with _logged_errors() as logged:
                kconfig.load_kube_config(config_file=os.pathsep.join(str(p) for p in paths), context=name,
                                         client_configuration=cfg, persist_config=False)
        except Exception as exc:  # ConfigException, bad base64, missing cert files, exec plugin failures
            raise ClusterError(f"cannot use context {name!r}: {exc}",
                               "check the context's cluster, user and certificate entries (kubectl config view)",
                               kind="config", context=name) from None
        if logged:
            # the client logs a failed exec credential plugin and carries on without credentials,
            # which the server then answers with 401: say what really happened instead
            raise _exec_plugin_error(name, logged[0])
        cfg.retries = 1
        return cls(kclient.ApiClient(cfg), name, cfg.host, info.namespace or None,
                   kubeconfig, timeout, user=info.user)

    def close(self) -> None:
        try:
            self._api.close()
        except Exception:  # noqa: BLE001 - closing must never fail a command
            pass

    def helm_args(self) -> list[str]:
        """Options that point helm at the same cluster and context."""
        args: list[str] = []
        if self.context == IN_CLUSTER:
            return args
        if self.kubeconfig:
            args += ["--kubeconfig", self.kubeconfig]
        args += ["--kube-context", self.context]
        return args

    # -- raw requests
    def request(self, method: str, path: str, query: dict | None = None, body=None,
                accept: str = "application/json", content_type: str | None = None,
                timeout: float | None = None, what: str = "") -> tuple[int, bytes]:
        """One request; returns (status, body). Raises ClusterError for transport failures, 401,
        and 403 (with the verb and resource named)."""
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        elif body is not None:
            headers["Content-Type"] = "application/json"
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        t = timeout or self.timeout
        try:
            m, url, hdrs, b, post = self._api.param_serialize(method, path, query_params=params,
                                                               header_params=headers, body=body,
                                                               auth_settings=["BearerToken"])
            resp = self._api.call_api(m, url, hdrs, b, post, _request_timeout=(min(CONNECT_TIMEOUT, t), t))
            data = resp.read()
            status = resp.status
        except ClusterError:
            raise
        except Exception as exc:  # noqa: BLE001 - transport errors of every shape
            raise self._transport_error(exc, t) from None
        if status == 401:
            raise ClusterError(
                f"the API server at {self.server} rejected the credentials of context {self.context!r} "
                "(401 Unauthorized)",
                "the token or client certificate has expired or is wrong: log in again (refresh it with "
                "your cloud CLI or get a new kubeconfig), or choose another context with --context",
                kind="unauthorized", context=self.context, status=401)
        if status == 403:
            message = _status_message(data) or f"{method} {path} is forbidden"
            raise ClusterError(
                f"context {self.context!r} is not allowed to {what or _verb(method, path)}: {message}",
                "ask a cluster admin for a Role/ClusterRole that grants it, or use a context that has it",
                kind="forbidden", context=self.context, status=403)
        return status, data

    def _transport_error(self, exc: Exception, t: float) -> ClusterError:
        text = f"{type(exc).__name__}: {exc}"
        if tls := _tls_config_error(text, self.context):
            return tls
        if "Timeout" in type(exc).__name__ or "timed out" in text.lower():
            return ClusterError(f"the API server at {self.server} (context {self.context!r}) did not answer "
                                f"within {t:g}s",
                                "check the network path to the cluster (VPN, bastion tunnel) and retry",
                                kind="timeout", context=self.context)
        reason = "connection refused" if "refused" in text.lower() else (
            "certificate verification failed" if "CERTIFICATE" in text.upper() else "no connection")
        return ClusterError(f"cannot reach the Kubernetes API at {self.server} (context {self.context!r}): {reason}",
                            "check the cluster is running and the context's server address "
                            f"(kubectl --context {self.context} cluster-info); on a bastion, check the tunnel",
                            kind="unreachable", context=self.context)

    def get(self, path: str, query: dict | None = None, what: str = "") -> dict | None:
        """The object at `path`, or None on 404."""
        status, data = self.request("GET", path, query, what=what or f"get {path}")
        if status == 404:
            return None
        return self._json(status, data, path)

    def list(self, path: str, label_selector: str | None = None, field_selector: str | None = None,
             metadata_only: bool = False, what: str = "") -> list[dict]:
        """Items of a collection (follows `continue` pages). 404 → []."""
        items: list[dict] = []
        query = {"labelSelector": label_selector or None, "fieldSelector": field_selector or None, "limit": 500}
        accept = METADATA_ACCEPT if metadata_only else "application/json"
        while True:
            status, data = self.request("GET", path, query, accept=accept, what=what or f"list {path}")
            if status == 404:
                return []
            body = self._json(status, data, path)
            cont = (body.get("metadata") or {}).get("continue")
            if metadata_only:
                honoured = body.get("kind") == "PartialObjectMetadataList"
                self.metadata_only_honoured = honoured if self.metadata_only_honoured is None else (
                    self.metadata_only_honoured and honoured)
                # keep nothing but metadata (+ type) even when a server sent more
                items.extend({"metadata": i.get("metadata") or {}, "type": i.get("type", "")}
                             for i in body.get("items") or [])
            else:
                items.extend(body.get("items") or [])
            del body, data
            if not cont:
                return items
            query["continue"] = cont

    def post(self, path: str, body: dict, what: str = "") -> dict:
        status, data = self.request("POST", path, body=body, what=what or f"create {path}")
        return self._json(status, data, path)

    def _json(self, status: int, data: bytes, path: str) -> dict:
        if status >= 400:
            raise ClusterError(f"{path}: {status} {_status_message(data) or data[:200]!r}",
                               "see the API server's message", kind="api", context=self.context, status=status)
        try:
            return json.loads(data) if data else {}
        except ValueError:
            raise ClusterError(f"{path}: the API server answered with something that is not JSON",
                               "is the context's server address a Kubernetes API server?",
                               kind="api", context=self.context) from None

    # -- questions the engine asks
    def ping(self) -> dict:
        """GET /version: proves reachability and credentials (401 surfaces here)."""
        version = self.get("/version") or {}
        # /version is public on many clusters; ask something that needs credentials too
        self.request("GET", "/api", what="read the API discovery document")
        return version

    def namespaces(self) -> list[str]:
        return sorted(i["metadata"]["name"] for i in self.list("/api/v1/namespaces", metadata_only=True,
                                                                 what="list namespaces"))

    def pods(self, namespace: str, label_selector: str | None = None) -> list[dict]:
        """The pods of a namespace (optionally by label selector), as the API returns them."""
        return self.list(f"/api/v1/namespaces/{quote(namespace)}/pods", label_selector=label_selector,
                         what=f"list pods in namespace {namespace}")

    def namespace_exists(self, namespace: str) -> bool:
        return self.get(f"/api/v1/namespaces/{quote(namespace)}", what=f"get namespace {namespace}") is not None

    def secrets(self, namespace: str, label_selector: str | None = None) -> list[SecretMeta]:
        """Secrets in a namespace by name, type and (from managedFields) key names — never data."""
        items = self.list(f"/api/v1/namespaces/{quote(namespace)}/secrets", label_selector=label_selector,
                          metadata_only=True, what=f"list secrets in namespace {namespace}")
        return [SecretMeta(name=i["metadata"]["name"], type=i.get("type", "") or "",
                           keys=_managed_keys(i["metadata"]), labels=i["metadata"].get("labels") or {},
                           annotations=i["metadata"].get("annotations") or {}) for i in items]

    def hf_token_candidates(self, namespace: str, found: list[SecretMeta] | None = None) -> list[SecretMeta]:
        """Secrets that look like a Hugging Face token, the usual names first."""
        found = self.secrets(namespace) if found is None else found
        rank = {n: i for i, n in enumerate(HF_SECRET_NAMES)}
        cands = [s for s in found if s.name in rank or ("hf" in s.name.lower().split("-") and "token" in s.name)
                 or "huggingface" in s.name.lower() or (s.keys and "HF_TOKEN" in s.keys)]
        return sorted(cands, key=lambda s: (rank.get(s.name, 99), s.name))

    def secret_choices(self, namespace: str) -> tuple[list[str], list[str]]:
        """(token-like secret names, the other secret names) from one listing; helm's own release
        storage is no choice for a token."""
        found = [s for s in self.secrets(namespace)
                 if s.type != "helm.sh/release.v1" and not s.name.startswith("sh.helm.release.")]
        candidates = [s.name for s in self.hf_token_candidates(namespace, found)]
        return candidates, sorted(s.name for s in found if s.name not in candidates)

    def served(self, group: str, version: str, plural: str) -> bool:
        """Is `plural` served at group/version (discovery)?"""
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        doc = self.get(path, what=f"read API discovery of {group or 'core'}/{version}")
        return bool(doc) and any(r.get("name") == plural for r in doc.get("resources") or [])

    def can_i(self, verb: str, group: str, resource: str, namespace: str | None) -> tuple[bool | None, str]:
        """SelfSubjectAccessReview: (allowed, reason). (None, why) when the server offers no review."""
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": resource,
                                                **({"namespace": namespace} if namespace else {})}}}
        status, data = self.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=body,
                                    what="create selfsubjectaccessreviews")
        if status in (404, 405):
            return None, "the server offers no SelfSubjectAccessReview"
        review = self._json(status, data, "selfsubjectaccessreviews")
        st = review.get("status") or {}
        return bool(st.get("allowed")), str(st.get("reason") or st.get("evaluationError") or "")

    def pod_log(self, namespace: str, pod: str, container: str | None = None, tail: int = 20,
                previous: bool = False) -> tuple[list[str], str]:
        """(last lines, "") or ([], why not) — a waiting container has no log yet."""
        q = {"tailLines": str(tail), "container": container, "previous": "true" if previous else None}
        status, data = self.request("GET", f"/api/v1/namespaces/{quote(namespace)}/pods/{quote(pod)}/log", q,
                                    accept="text/plain, */*", what=f"read logs of pod {pod}")
        if status >= 400:
            return [], _status_message(data) or f"HTTP {status}"
        return [redact(line) for line in data.decode("utf-8", "replace").splitlines()], ""


def _managed_keys(meta: dict) -> tuple[str, ...] | None:
    """Data key names recorded in managedFields (`f:data: {f:HF_TOKEN: {}}`): names, never values."""
    keys: set[str] = set()
    seen = False
    for entry in meta.get("managedFields") or []:
        fields = entry.get("fieldsV1") or {}
        for section in ("f:data", "f:stringData"):
            if isinstance(fields.get(section), dict):
                seen = True
                keys.update(k[2:] for k in fields[section] if k.startswith("f:"))
    return tuple(sorted(keys)) if seen else None


class _Captured:
    def __init__(self) -> None:
        import logging
        self.records: list[str] = []
        self.handler = logging.Handler(logging.ERROR)
        self.handler.emit = lambda record: self.records.append(record.getMessage())  # type: ignore[method-assign]


@contextlib.contextmanager
def _logged_errors():
    """Collect what the kubernetes client logs at ERROR on the root logger meanwhile, instead of
    letting it reach the terminal: `logging.error()` with no handler configures one on stderr for
    the whole process, so one failed plugin printed `ERROR:root:…` and every later warning too."""
    import logging
    root = logging.getLogger()
    cap = _Captured()
    root.addHandler(cap.handler)
    try:
        yield cap.records
    finally:
        root.removeHandler(cap.handler)


def _exec_plugin_error(context: str, logged: str) -> ClusterError:
    missing = re.search(r"No such file or directory: '([^']+)'", logged)
    if missing:
        plugin = missing.group(1)
        return ClusterError(f"the credential plugin {plugin!r} of context {context!r} is not installed "
                            "(not found on PATH)",
                            "install it (for GKE: gke-gcloud-auth-plugin; EKS: aws; AKS: kubelogin) or put it on "
                            "PATH, then retry; or choose another context with --context",
                            kind="config", context=context)
    return ClusterError(f"the credential plugin of context {context!r} failed: {logged.strip()[:300]}",
                        "run the plugin's login step again (e.g. gcloud auth login, aws sso login), or choose "
                        "another context with --context", kind="config", context=context)


def _tls_config_error(text: str, context: str) -> ClusterError | None:
    """A kubeconfig whose certificates cannot be loaded fails at the first request, as an SSL
    error: it is a configuration problem, not an unreachable cluster."""
    if "PEM lib" in text or "NO_CERTIFICATE_OR_CRL_FOUND" in text or "no certificate or crl found" in text.lower():
        what = ("certificate authority (certificate-authority-data / certificate-authority)" if "X509" in text
                else "client certificate or key (client-certificate-data / client-key-data)")
        return ClusterError(f"the {what} of context {context!r} is not a valid PEM certificate",
                            "fix that entry in the kubeconfig (kubectl config view --raw shows it), or get a new "
                            "kubeconfig from your cluster's provider", kind="config", context=context)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text.lower():
        return ClusterError(f"the API server's certificate is not trusted by context {context!r} "
                            "(certificate verification failed)",
                            "check the context's certificate-authority entry matches this cluster, and the server "
                            "address is the cluster's (not a proxy's)", kind="config", context=context)
    return None


def _status_message(data: bytes) -> str:
    try:
        body = json.loads(data)
    except (ValueError, TypeError):
        return ""
    return str(body.get("message") or "") if isinstance(body, dict) else ""


def _verb(method: str, path: str) -> str:
    return {"GET": "read", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, method) + " " + path
