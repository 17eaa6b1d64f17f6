"""Issue 12 leftovers: `verify --format json` never carries a token (the data is otherwise kept as
the cluster has it), and YAML we did not write — a kubeconfig, the manifest helm prints — is read
under the same budget as a values file: an alias bomb fails at once with one line, never a hang,
a MemoryError or a traceback."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hostile import TOKEN, token_forms
from support import alias_bomb
from test_terminal_output import _kube, _values, helm_install

from gaie_tui.cli import main
from gaie_tui.core.errors import UserError
from gaie_tui.sim.demo import simulated_cluster

ALIAS_BOMB = alias_bomb()


@pytest.mark.xdist_group("security-cluster")
def test_verify_json_redacts_a_token_the_cluster_shows(tmp_path, capsys, helm_bin):
    # a token pasted into the image of the EPP Deployment: the image check quotes what is running
    values = _values(tmp_path)
    with simulated_cluster("llm-d-ready", ready_delay=0.15) as sc:
        helm_install(sc, values, tmp_path, helm_bin)
        from kubernetes import client, config
        apps = client.AppsV1Api(config.new_client_from_config(config_file=str(sc.kubeconfig), context=sc.context))
        dep = apps.read_namespaced_deployment("gaie-epp", "llm-d")
        dep.spec.template.spec.containers[0].image = f"ghcr.io/x/epp:{TOKEN}"
        apps.replace_namespaced_deployment("gaie-epp", "llm-d", dep)
        args = ["verify", "--release", "gaie", "--namespace", "llm-d", *_kube(sc), "--format", "json"]
        deadline = time.monotonic() + 30
        while True:
            main(args)
            raw = capsys.readouterr().out
            image = next(c for c in json.loads(raw)["checks"] if c["id"] == "epp-image")
            if "ghcr.io/x/epp:" in image["evidence"] or time.monotonic() > deadline:
                break
            time.sleep(0.3)
    assert "running ghcr.io/x/epp:[REDACTED]" in image["evidence"]    # the rest of the data as it is
    for form in token_forms():
        assert form not in raw


def test_a_kubeconfig_alias_bomb_is_one_line_not_a_hang(tmp_path):
    from gaie_tui.core.cluster.kube import ClusterError, list_contexts
    cfg = tmp_path / "config"
    cfg.write_text("apiVersion: v1\nkind: Config\n" + ALIAS_BOMB)
    t0 = time.monotonic()
    with pytest.raises(ClusterError) as err:
        list_contexts(str(cfg))
    assert time.monotonic() - t0 < 2
    assert "alias" in err.value.message and str(cfg) in err.value.message
    assert err.value.kind == "config"


def test_a_huge_kubeconfig_is_refused_before_it_is_read(tmp_path):
    from gaie_tui.core.cluster.kube import KUBECONFIG_MAX_BYTES, ClusterError, list_contexts
    cfg = tmp_path / "config"
    with cfg.open("w") as fh:
        fh.truncate(KUBECONFIG_MAX_BYTES + 1)       # sparse: no disk, no memory
    with pytest.raises(ClusterError) as err:
        list_contexts(str(cfg))
    assert "MB" in err.value.message and "not read" in err.value.message


def test_the_wizard_and_validate_get_one_line_for_a_bombed_kubeconfig(tmp_path, capsys):
    cfg = tmp_path / "config"
    cfg.write_text(ALIAS_BOMB)
    code = main(["verify", "--release", "gaie", "--namespace", "llm-d", "--kubeconfig", str(cfg)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "alias" in err


def test_a_manifest_alias_bomb_is_a_user_error():
    from gaie_tui.core.verify.expected import parse_manifest
    t0 = time.monotonic()
    with pytest.raises(UserError) as err:
        parse_manifest("---\nkind: ConfigMap\n" + ALIAS_BOMB, "llm-d")
    assert time.monotonic() - t0 < 2
    assert "manifest" in err.value.message and "alias" in err.value.message


def test_a_manifest_with_several_documents_still_parses():
    from gaie_tui.core.verify.expected import parse_manifest
    objs = parse_manifest("---\nkind: Service\nmetadata: {name: a}\n---\n# c\n---\nkind: ConfigMap\n"
                          "metadata: {name: b, namespace: other}\n", "llm-d")
    assert [(o["kind"], o["metadata"]["namespace"]) for o in objs] == [("Service", "llm-d"), ("ConfigMap", "other")]


def test_outside_yaml_callers_use_the_bounded_loader():
    # the places that read YAML we did not write: no unbounded safe_load left there
    root = Path(__file__).resolve().parents[2] / "gaie_tui"
    for rel in ("core/verify/expected.py", "core/cluster/kube.py"):
        text = (root / rel).read_text()
        assert "safe_load" not in text and "yaml.load" not in text, rel
