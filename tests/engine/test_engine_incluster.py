"""Running inside a pod: no kubeconfig, the service account's token and CA, the pod's namespace."""
from __future__ import annotations

import pytest

from gaie_tui.core.cluster.kube import IN_CLUSTER, Cluster, ClusterError
from gaie_tui.sim.server import SimServer


def test_in_cluster_config_reaches_the_api_with_the_service_account(tmp_path, monkeypatch):
    with SimServer("llm-d-ready", tls=True) as sim:
        sa = tmp_path / "sa"
        sa.mkdir()
        (sa / "token").write_text(sim.token)
        (sa / "ca.crt").write_text(sim.ca_pem if isinstance(sim.ca_pem, str) else sim.ca_pem.decode())
        (sa / "namespace").write_text("llm-d\n")
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(sim.port))
        monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
        cluster = Cluster.connect(sa_dir=sa)
        assert cluster.context == IN_CLUSTER and cluster.namespace == "llm-d"
        cluster.ping()
        assert "llm-d" in cluster.namespaces()


def test_wrong_service_account_token_is_a_clear_401(tmp_path, monkeypatch):
    with SimServer("llm-d-ready", tls=True) as sim:
        sa = tmp_path / "sa"
        sa.mkdir()
        (sa / "token").write_text("not-the-token")
        (sa / "ca.crt").write_text(sim.ca_pem if isinstance(sim.ca_pem, str) else sim.ca_pem.decode())
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(sim.port))
        monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
        cluster = Cluster.connect(sa_dir=sa)
        with pytest.raises(ClusterError) as err:
            cluster.ping()
    assert err.value.kind == "unauthorized" and IN_CLUSTER in str(err.value)
