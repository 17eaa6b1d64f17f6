"""What one run of gaie-tui works with: which kubeconfig and context, whether there is a cluster at
all, the chart knowledge store (with the upstream session, so a version only the registry knows
can be loaded), the cluster connection, and where records go. The wizard keeps one; nothing here
imports anything heavy until it is asked for (the wizard's first frame pays for none of it).

Thread-safe where the wizard's workers use it: the store and the connection are made once, under
a lock.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path


class Session:
    def __init__(self, *, kubeconfig: str | None = None, context: str | None = None, offline: bool = False,
                 record_dir: str | Path | None = None, upstream_offline: bool = False) -> None:
        self.kubeconfig = kubeconfig or os.environ.get("KUBECONFIG") or None
        self.context = context
        self.offline = offline                 # no cluster: values and review only
        self.record_dir = Path(record_dir) if record_dir else Path("gaie-records")
        self.record_dir_is_temporary = False   # the demo's own folder, removed when it exits
        self.upstream_offline = upstream_offline   # versions and charts from the cache and bundled data only
        self.upstream_options: dict = {}       # Http timeouts/retries (tests make them short)
        self.wait_timeout = "5m0s"             # helm's --wait timeout
        self.verify_wait = 120.0               # how long verification may settle
        self.observe_interval = 1.0            # seconds between looks at the cluster while helm waits
        self._lock = threading.Lock()
        self._store = None
        self._upstream = None
        self._cluster = None

    # ---- charts ---------------------------------------------------------------------------
    def upstream(self):
        """The upstream session (registries, GitHub, the cache) this run shares."""
        with self._lock:
            return self._upstream_locked()

    def _upstream_locked(self):
        if self._upstream is None:
            from .upstream.session import Upstream
            self._upstream = Upstream.from_env(offline=self.upstream_offline, **self.upstream_options)
        return self._upstream

    @property
    def store(self):
        """Charts from local archives, bundled knowledge, then the cache and the registry."""
        with self._lock:
            if self._store is None:
                from .charts.store import KnowledgeStore
                self._store = KnowledgeStore(upstream=self._upstream_locked())
            return self._store

    def chart(self, ref_text: str | None = None):
        """The chart for a reference text ("inferencepool@v1.5.0", a path, oci://…); the newest
        inferencepool when None. Raises UserError with what to do."""
        from .charts.refs import default_ref, parse_ref
        ref = parse_ref(ref_text) if ref_text else default_ref()
        store = self.store
        with self._lock:
            return store.get(ref)

    def versions_report(self, families: list[str] | None = None):
        """Newest EPP release and chart versions with where each answer came from. Network-bound:
        call it from a worker thread."""
        from .upstream.versions_report import build_report
        return build_report(self.upstream(), families)

    def archive_status(self, ref_text: str, registry_reachable: bool | None):
        from .charts.availability import archive_status
        return archive_status(ref_text, self.upstream(), registry_reachable)

    # ---- the cluster ----------------------------------------------------------------------
    def contexts(self) -> tuple[list[str], str | None]:
        """Context names of the kubeconfig (no network) and the current one."""
        from .cluster.kube import list_contexts
        infos, current = list_contexts(self.kubeconfig)
        return [i.name for i in infos], current

    def namespace_default(self, context: str | None) -> tuple[str | None, str]:
        from .cluster.kube import namespace_default
        return namespace_default(self.kubeconfig, context)

    def connect(self, context: str | None):
        """Reach the cluster of `context` (raises ClusterError with what to do); the connection is
        kept for every later question."""
        from .cluster.kube import Cluster, ClusterError
        if self.offline:
            raise ClusterError("offline mode: no cluster", "start without --offline to use a cluster", kind="config")
        cluster = Cluster.connect(self.kubeconfig, context)
        cluster.ping()
        with self._lock:
            old, self._cluster = self._cluster, cluster
            self.context = cluster.context
        if old is not None and old is not cluster:
            old.close()
        return cluster

    def cluster(self):
        """The connected cluster, or None (offline, or not connected yet)."""
        with self._lock:
            return None if self.offline else self._cluster

    def kube_args(self) -> list[str]:
        """helm's options for this session's kubeconfig and context."""
        args: list[str] = []
        if self.kubeconfig:
            args += ["--kubeconfig", self.kubeconfig]
        if self.context:
            args += ["--kube-context", self.context]
        return args

    @staticmethod
    def helm_binary() -> str:
        """The helm the headless commands use too (GAIE_TUI_HELM, PATH, a checkout's .tools)."""
        from .cluster.helm import find_helm
        return find_helm()

    def deployed_values(self, release: str, namespace: str) -> str | None:
        """The values of the deployed release (None offline or when there is none)."""
        if self.offline:
            return None
        from .deploy.release import deployed_values
        return deployed_values(self.helm_binary(), release, namespace, self.kube_args())

    def close(self) -> None:
        with self._lock:
            cluster, self._cluster = self._cluster, None
            upstream, self._upstream = self._upstream, None
        if cluster is not None:
            cluster.close()
        if upstream is not None:
            try:
                upstream.http.close()
            except Exception:  # noqa: BLE001 - closing must never fail
                pass

    # ---- a deploy -------------------------------------------------------------------------
    def plan(self, chart, values, *, release: str, namespace: str, create_namespace: bool = False,
             values_name: str = "values.yaml"):
        """The Plan for these answers against this session's cluster and helm."""
        from .deploy.plan import make_plan
        return make_plan(chart, values, release=release, namespace=namespace, kubeconfig=self.kubeconfig,
                         context=None if self.offline else self.context, create_namespace=create_namespace,
                         wait_timeout=self.wait_timeout, values_name=values_name)

    def engine(self, plan, chart, on_event=None):
        """A deploy engine for the plan, sharing this session's cluster connection."""
        from .deploy.engine import DeployEngine
        return DeployEngine(plan, chart=chart, record_parent=self.record_dir, verify_wait=self.verify_wait,
                            on_event=on_event, cluster=self.cluster(), observe_interval=self.observe_interval)

    # ---- releases already in the cluster (day two) ------------------------------------------
    # The front ends name a release; helm, its kubeconfig options and the cluster connection
    # stay here, so a screen never runs helm itself.
    def _connected(self):
        from .errors import UserError
        cluster = self.cluster()
        if cluster is None:
            raise UserError("not connected to a cluster (yet)", "Setup connects; r tries again")
        return cluster

    def list_releases(self, *, scope=None, namespace: str | None = None, health: bool = True,
                      production_patterns=()):
        """Every release of our chart families in `scope` (or `namespace`, or all it may list)."""
        from .cluster.releases import list_releases, release_scope
        cluster = self._connected()
        if scope is None and namespace:
            scope = release_scope(cluster, [namespace])
        return list_releases(cluster, self.helm_binary(), scope=scope, health=health,
                             production_patterns=production_patterns)

    def refresh_releases(self, listing, *, production_patterns=()):
        """core.cluster.releases.refresh of `listing` in place; the changed fields."""
        from .cluster.releases import refresh
        return refresh(listing, self._connected(), self.helm_binary(), production_patterns=production_patterns)

    def release_row(self, release: str, namespace: str) -> tuple[dict | None, str]:
        """helm's list row of the release (None when there is none) and an error ("" when helm answered)."""
        from .cluster.helm import release_row
        return release_row(self.helm_binary(), release, namespace, self.kube_args())

    def release_history(self, release: str, namespace: str):
        from .deploy.actions import history
        return history(self.helm_binary(), release, namespace, self.kube_args())

    def diagnose_release(self, release: str, namespace: str):
        """What happened to a stuck release and the recoveries that fit."""
        from .deploy.actions import diagnose
        return diagnose(self.helm_binary(), release, namespace, self.kube_args(), self.cluster())

    def deployed_values_text(self, release: str, namespace: str) -> str:
        """The deployed values, commented for the editor."""
        from .deploy.actions import deployed_values_text
        return deployed_values_text(self.helm_binary(), release, namespace, self.kube_args())

    def plan_uninstall(self, release: str, namespace: str):
        from .deploy.actions import plan_uninstall
        return plan_uninstall(release, namespace, self.kube_args(), helm=self.helm_binary(),
                              context=self.context or "", wait_timeout=self.wait_timeout)

    def plan_rollback(self, release: str, namespace: str, *, revision: int | None = None, hist=None):
        from .deploy.actions import plan_rollback
        return plan_rollback(release, namespace, self.kube_args(), revision=revision, helm=self.helm_binary(),
                             context=self.context or "", wait_timeout=self.wait_timeout, hist=hist)

    def plan_recovery(self, diagnosis):
        from .deploy.actions import plan_recovery
        return plan_recovery(diagnosis, self.kube_args(), helm=self.helm_binary(), context=self.context or "",
                             wait_timeout=self.wait_timeout)

    def release_verification(self, release: str, namespace: str):
        """A verification run of a deployed release (the dashboard), recorded like a deploy."""
        from .deploy.release_runs import ReleaseVerification
        return ReleaseVerification(release, namespace, cluster=self.cluster(), helm=self.helm_binary(),
                                   kube_args=self.kube_args(), context=self.context or "",
                                   record_parent=self.record_dir, verify_wait=self.verify_wait,
                                   interval=self.observe_interval)

    def migration_proof(self, migration, text: str):
        """The migration's proof for the values as edited since (core.migrate.release.proof_for)."""
        from .migrate.release import proof_for
        return proof_for(migration, text, self.helm_binary())

    def migrate_files(self, files, src_ref: str, dst_ref: str):
        """(core.migrate result, whether it was proven) for values written for `src_ref`: proven
        when helm and both chart archives are here, else migrated without the proof."""
        from .check.deep import find_helm
        from .migrate import migrate
        src, dst = self.chart(src_ref), self.chart(dst_ref)
        helm = find_helm()
        provable = helm is not None and all(self.store.ensure_archive(c) is not None for c in (src, dst))
        return migrate(files, src, dst, helm=helm, prove_it=provable), provable
