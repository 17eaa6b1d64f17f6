"""Helpers for the day-two tests (imported by name; tests/releases is on sys.path under pytest)."""
from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

from support import upstream_fakes

fakes = upstream_fakes()

SCHEDULER_PATH = "llm-d/llm-d-inference-scheduler"
ROUTER_EPP_PATH = "llm-d/llm-d-router-endpoint-picker"
GAIE_EPP_PATH = "gateway-api-inference-extension/epp"
USER, PASSWORD = "robot", "s3cret-pull-password"
USER_TOKEN = "token-for-a-logged-in-user"


class PrivateRegistry(fakes.FakeRegistry):
    """A registry where the repositories in `private` answer only with a login, like a private (or
    withdrawn) package on ghcr.io: the token realm refuses anonymous pull tokens with 401 and gives
    one to USER:PASSWORD; `deny_manifests` instead hands out the anonymous token and answers the
    manifest with 403 DENIED (the other way registries say no)."""

    def __init__(self, private: set[str], deny_manifests: bool = False) -> None:
        super().__init__(auth=True)
        self.private = private
        self.deny_manifests = deny_manifests

    @staticmethod
    def _repo_of(path: str) -> str:
        rest = urlsplit(path).path[len("/v2/"):]
        for marker in ("/tags/list", "/manifests/", "/blobs/"):
            if marker in rest:
                return rest.split(marker)[0]
        return ""

    def answer(self, method, path, headers):
        url = urlsplit(path)
        if url.path == "/token":
            scope = parse_qs(url.query).get("scope", [""])[0]
            repo = scope.split(":")[1] if scope.count(":") >= 2 else ""
            basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if repo in self.private and headers.get("Authorization") == basic:
                return fakes._json(200, {"token": USER_TOKEN})
            if repo in self.private and not self.deny_manifests:
                return fakes._json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
        repo = self._repo_of(path) if url.path.startswith("/v2/") else ""
        if repo in self.private:
            if headers.get("Authorization") == f"Bearer {USER_TOKEN}":
                headers = {**{k: v for k, v in headers.items()}, "Authorization": f"Bearer {self.TOKEN}"}
            elif self.deny_manifests and headers.get("Authorization") == f"Bearer {self.TOKEN}":
                return fakes._json(403, {"errors": [{"code": "DENIED", "message": "requested access to the "
                                                     "resource is denied"}]})
        return super().answer(method, path, headers)


def docker_config(host: str) -> str:
    """The .dockerconfigjson of an image pull secret for `host` (base64 as the API stores it)."""
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return base64.b64encode(json.dumps({"auths": {host: {"auth": auth}}}).encode()).decode()


# ---- the emulator, the real helm, the real charts -------------------------------------------------
READY = 0.15


def kube_args(sc) -> list[str]:
    return ["--kubeconfig", str(sc.kubeconfig), "--kube-context", sc.context]


def connect(sc):
    from gaie_tui.core.cluster.kube import Cluster
    return Cluster.connect(str(sc.kubeconfig), sc.context)


def api(sc):
    from kubernetes import config
    return config.new_client_from_config(config_file=str(sc.kubeconfig), context=sc.context)


def release_secrets(sc, name: str, namespace: str) -> list[dict]:
    """helm's own record of a release, as the emulator holds it: (revision, status) per Secret."""
    store = sc.server.store
    items = store.objects.get(("", "secrets"), {}).get(namespace, {}).values()
    return sorted((int(s["metadata"]["labels"]["version"]), s["metadata"]["labels"]["status"]) for s in items
                   if (s["metadata"].get("labels") or {}).get("owner") == "helm"
                   and s["metadata"]["labels"].get("name") == name)


def live(sc, group: str, plural: str, namespace: str, name: str) -> dict | None:
    return sc.server.store.peek((group, plural), namespace, name)


def chart(ref: str):
    from gaie_tui.core.charts.refs import parse_ref
    from gaie_tui.core.charts.store import KnowledgeStore
    return KnowledgeStore().get(parse_ref(ref))


def values_for(chart_, release: str = "gaie", namespace: str = "llm-d", **kw) -> str:
    from gaie_tui.core.values.generate import Answers, generate
    answers = Answers(release=release, namespace=namespace, provider=kw.pop("provider", "istio"),
                      hf_secret=kw.pop("hf_secret", "llm-d-hf-token"), **kw)
    return generate(chart_, answers).text


def deploy(sc, chart_, values: str, records, *, release: str = "gaie", namespace: str = "llm-d"):
    from gaie_tui.core.deploy.engine import DeployEngine
    from gaie_tui.core.deploy.plan import make_plan
    plan = make_plan(chart_, values, release=release, namespace=namespace, kubeconfig=str(sc.kubeconfig),
                     context=sc.context, wait_timeout="30s")
    return plan, DeployEngine(plan, chart=chart_, record_parent=records, verify_wait=15.0,
                              observe_interval=0.3, approved_by="--yes").run()


def by_id(checks) -> dict:
    return {c.id: c for c in checks}
