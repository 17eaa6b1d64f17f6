"""The CRDs bundled with the emulator match the real ones in ../shared (read at test time only)."""
from __future__ import annotations

import yaml

from gaie_tui.sim import scenarios


def _without_descriptions(node):
    if isinstance(node, dict):
        return {k: _without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_without_descriptions(v) for v in node]
    return node


def test_inferencepool_crd_is_the_real_schema_without_prose(shared_dir):
    real = yaml.safe_load((shared_dir / "crds" / "inference.networking.k8s.io_inferencepools.yaml").read_text())
    bundled = scenarios.load_crd(scenarios.INFERENCEPOOL_CRD)
    assert bundled["metadata"]["name"] == real["metadata"]["name"]
    assert bundled["spec"] == _without_descriptions(real["spec"])


def test_istio_and_prometheus_crds_serve_what_the_charts_use():
    dr = scenarios.load_crd(scenarios.DESTINATIONRULE_CRD)["spec"]
    assert dr["group"] == "networking.istio.io" and dr["names"]["kind"] == "DestinationRule"
    assert "v1beta1" in [v["name"] for v in dr["versions"] if v["served"]]  # what the charts render
    sm = scenarios.load_crd(scenarios.SERVICEMONITOR_CRD)["spec"]
    assert sm["group"] == "monitoring.coreos.com" and sm["names"]["kind"] == "ServiceMonitor"
    assert [v["name"] for v in sm["versions"]] == ["v1"]
