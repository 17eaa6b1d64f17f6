"""core.kube against the emulator: contexts, namespaces, secrets by name, access reviews, 403."""
from __future__ import annotations

import pytest
from enginehelp import READY_DELAY

from gaie_tui.core.cluster.kube import Cluster, ClusterError
from gaie_tui.sim.demo import simulated_cluster


def test_cluster_questions_the_wizard_asks():
    with simulated_cluster("llm-d-ready", ready_delay=READY_DELAY, namespace="llm-d") as sc:
        c = Cluster.connect(str(sc.kubeconfig), sc.context)
        assert c.namespace == "llm-d" and c.context == sc.context
        assert c.ping()["gitVersion"]
        assert "llm-d" in c.namespaces() and c.namespace_exists("llm-d") and not c.namespace_exists("nope")
        assert [s.name for s in c.hf_token_candidates("llm-d")] == ["llm-d-hf-token"]
        # secrets are asked for as metadata only
        assert any("/secrets" in r for r in sc.server.request_log)
        assert c.served("inference.networking.k8s.io", "v1", "inferencepools")
        assert not c.served("monitoring.coreos.com", "v1", "servicemonitors")
        assert c.can_i("create", "apps", "deployments", "llm-d")[0] is True
        assert c.helm_args() == ["--kubeconfig", str(sc.kubeconfig), "--kube-context", sc.context]
        pods = c.list("/api/v1/namespaces/llm-d/pods", label_selector="llm-d.ai/inferenceServing=true")
        lines, why = c.pod_log("llm-d", pods[0]["metadata"]["name"], tail=3)
        assert len(lines) == 3 and not why
        c.close()


def test_forbidden_names_the_verb_and_context():
    with simulated_cluster("rbac-forbidden", ready_delay=READY_DELAY) as sc:
        c = Cluster.connect(str(sc.kubeconfig), sc.context)
        allowed, reason = c.can_i("create", "rbac.authorization.k8s.io", "roles", "llm-d")
        assert allowed is False and "create" in reason
        with pytest.raises(ClusterError) as err:
            c.post("/apis/rbac.authorization.k8s.io/v1/namespaces/llm-d/roles",
                   {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "x"}},
                   what="create roles in llm-d")
        e = err.value
        assert e.kind == "forbidden" and e.status == 403 and e.context == sc.context
        assert f"context '{sc.context}' is not allowed to create roles in llm-d" in e.message
        assert 'cannot create resource "roles"' in e.message and "Role" in e.hint
