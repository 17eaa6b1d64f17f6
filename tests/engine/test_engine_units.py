"""Engine parts that need no cluster: redaction, the helm runner, kubeconfig handling, the pure
verification logic, records."""
from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gaie_tui.core.cluster import helm as helm_mod
from gaie_tui.core.cluster.checks import FAIL, PASS, SKIP, WARN, Check, table, worst
from gaie_tui.core.cluster.kube import Cluster, ClusterError, _managed_keys, default_namespace, list_contexts
from gaie_tui.core.deploy.record import Record
from gaie_tui.core.redact import MASK, redact, redact_argv
from gaie_tui.core.verify.checks import evaluate, log_findings
from gaie_tui.core.verify.expected import Expected, expected_from_objects, parse_manifest
from gaie_tui.core.verify.pods import similar_selector
from gaie_tui.core.verify.snapshot import Snapshot


# ---- redaction ---------------------------------------------------------------------------
@pytest.mark.parametrize("text,secret", [
    ("Authorization: Bearer abc.def-ghi_12345", "abc.def-ghi_12345"),
    ('curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA=="', "dXNlcjpwYXNzd29yZA=="),
    ("I1127 request headers: map[Authorization:[Bearer sekrit-token-123]]", "sekrit-token-123"),
    ("HF_TOKEN=hf_abcdefghijklmnopqrstuvwx", "hf_abcdefghijklmnopqrstuvwx"),
    ("token: ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_abcdefghijklmnopqrstuvwxyz0123"),
    ('{"password": "hunter22"}', "hunter22"),
    ("--token=s3cr3t-value", "s3cr3t-value"),
    ("x eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2ln y", "eyJhbGciOiJSUzI1NiJ9"),
])
def test_redact_hides_secrets(text, secret):
    out = redact(text)
    assert secret not in out and MASK in out


@pytest.mark.parametrize("text", [
    "secretName: llm-d-hf-token", "key: HF_TOKEN", "name: llm-d-hf-token", "secretKeyRef:",
    "monitoring:\n  secret:\n    name: foo", "token: ''", "password: \"\"",
])
def test_redact_keeps_references(text):
    assert redact(text) == text


def test_redact_argv():
    assert redact_argv(["helm", "--token", "abc", "--kube-context", "x"]) == ["helm", "--token", MASK,
                                                                              "--kube-context", "x"]


# ---- checks --------------------------------------------------------------------------------
def test_check_worst_and_table():
    checks = [Check("a", "A", PASS), Check("b", "B", SKIP), Check("c", "C", WARN, "w", "do w")]
    assert worst(checks) == WARN
    checks.append(Check("d", "D", FAIL, "broken", "fix it", details=["line 1"]))
    assert worst(checks) == FAIL
    text = table(checks)
    assert "[FAIL] D: broken" in text and "→ fix it" in text and "| line 1" in text
    with pytest.raises(ValueError):
        Check("x", "X", "green")
    assert Check.from_dict(checks[-1].to_dict()) == checks[-1]


# ---- the helm runner -----------------------------------------------------------------------
FAKE_HELM = """\
#!{python}
import os, subprocess, sys, time
args = sys.argv[1:]
if args[:1] == ["version"]:
    print("{version}")
    sys.exit(0)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open(os.environ["FAKE_CHILD_PID"], "w").write(str(child.pid))
print("Release does not exist. Installing it now.", flush=True)
print("Authorization: Bearer very-secret-token", file=sys.stderr, flush=True)
for i in range(int(os.environ.get("FAKE_LINES", "3"))):
    print(f"line {{i}}", flush=True)
    time.sleep(float(os.environ.get("FAKE_SLEEP", "0.01")))
if os.environ.get("FAKE_FAIL"):
    print(os.environ["FAKE_FAIL"], file=sys.stderr, flush=True)
    child.kill()
    sys.exit(1)
child.kill()
"""


@pytest.fixture
def fake_helm(tmp_path, monkeypatch):
    def make(version: str = "v4.3.1") -> str:
        path = tmp_path / f"helm-{version}"
        path.write_text(FAKE_HELM.format(python=sys.executable, version=version))
        path.chmod(0o755)
        helm_mod.helm_version.cache_clear()
        return str(path)
    monkeypatch.setenv("FAKE_CHILD_PID", str(tmp_path / "child.pid"))
    return make


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_helm_runner_streams_redacted_lines_with_timestamps(fake_helm):
    helm = fake_helm()
    seen = []
    result = helm_mod.run([helm, "upgrade", "--install"], on_line=seen.append)
    assert result.ok and result.returncode == 0 and result.duration > 0
    texts = [ln.text for ln in seen]
    assert "line 2" in texts and "Authorization: Bearer [REDACTED]" in texts
    assert "very-secret-token" not in result.output
    assert all(ln.ts > 0 and ln.stamp().endswith("Z") for ln in seen)
    assert {ln.stream for ln in seen} == {"stdout", "stderr"}


def test_helm_runner_async_iterator(fake_helm, monkeypatch):
    monkeypatch.setenv("FAKE_LINES", "5")
    helm = fake_helm()

    async def collect():
        proc = helm_mod.HelmProcess([helm, "upgrade"]).start()
        got = [ln.text async for ln in proc.lines()]
        return got, await asyncio.to_thread(proc.wait)

    got, result = asyncio.run(collect())
    assert [t for t in got if t.startswith("line")] == [f"line {i}" for i in range(5)]
    assert len(got) == len(result.lines)


def test_cancel_kills_helm_and_its_children(fake_helm, monkeypatch, tmp_path):
    monkeypatch.setenv("FAKE_LINES", "1000")
    monkeypatch.setenv("FAKE_SLEEP", "0.05")
    helm = fake_helm()
    proc = helm_mod.HelmProcess([helm, "upgrade"]).start()
    pid_file = tmp_path / "child.pid"
    deadline = time.monotonic() + 10
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    child = int(pid_file.read_text())
    t0 = time.monotonic()
    proc.cancel(grace=2)
    result = proc.wait()
    assert time.monotonic() - t0 < 5
    assert result.cancelled and not result.ok
    assert result.explanation.kind == "cancelled"
    assert "cancelling" in result.output
    time.sleep(0.2)
    assert not _alive(child)


def test_helm_timeout_stops_it(fake_helm, monkeypatch):
    monkeypatch.setenv("FAKE_LINES", "1000")
    monkeypatch.setenv("FAKE_SLEEP", "0.05")
    result = helm_mod.run([fake_helm(), "upgrade"], timeout=0.5)
    assert result.timed_out and result.explanation.kind == "timeout"


@pytest.mark.parametrize("stderr,kind,words", [
    ("Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress", "pending", "rollback"),
    ('Error: INSTALLATION FAILED: unable to build kubernetes objects from release manifest: resource mapping not '
     'found for name: "x" namespace: "" from "": no matches for kind "InferencePool" in version '
     '"inference.networking.k8s.io/v1" ensure CRDs are installed first', "crd", "InferencePool"),
    ("Error: INSTALLATION FAILED: context deadline exceeded", "timeout", "waiting"),
    ("Error: failed post-install: 1 error occurred: job failed: BackoffLimitExceeded", "hook", "hook"),
    ('Error: INSTALLATION FAILED: failed to do request: Head "https://ghcr.io/v2/x/manifests/v9": dial tcp: '
     "lookup ghcr.io: no such host", "pull", "registry ghcr.io could not be reached"),
    ('Error: failed to perform "FetchReference" on source: Get "https://127.0.0.1:9/v2/x/inferencepool/manifests/'
     'v1.5.0": dial tcp 127.0.0.1:9: connect: connection refused', "pull", "registry 127.0.0.1:9"),
    ("Error: INSTALLATION FAILED: ghcr.io/llm-d/charts/x:v9: not found in registry (oci)", "pull", "pull"),
    ("Error: INSTALLATION FAILED: template: inferencepool/templates/x.yaml:3:4: executing: nil pointer",
     "render", "rendered"),
    ('Error: roles.rbac.authorization.k8s.io is forbidden: User "u" cannot create resource "roles"', "forbidden",
     "create roles"),
    ("Error: Secret \"m\" in namespace \"llm-d\" exists and cannot be imported into the current release",
     "ownership", "another release"),
    ("Error: Kubernetes cluster unreachable: Get \"http://127.0.0.1:1/version\": connection refused",
     "unreachable", "reach"),
])
def test_helm_failures_are_explained(stderr, kind, words):
    res = helm_mod.HelmResult(argv=["helm"], returncode=1, duration=1.0,
                              lines=[helm_mod.LogLine(1.0, "stderr", stderr)])
    ex = helm_mod.explain(res)
    assert ex.kind == kind and (words in ex.message or words in ex.hint)
    assert res.output == stderr  # the raw output stays available


def test_helm_missing_and_too_old(fake_helm, monkeypatch, tmp_path):
    monkeypatch.setenv("GAIE_TUI_HELM", str(tmp_path / "nope"))
    with pytest.raises(helm_mod.HelmMissing, match="not an executable"):
        helm_mod.find_helm()
    monkeypatch.delenv("GAIE_TUI_HELM")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(helm_mod, "CHECKOUT_HELM", tmp_path / "no-checkout-helm")
    with pytest.raises(helm_mod.HelmMissing, match="not installed"):
        helm_mod.find_helm()
    with pytest.raises(helm_mod.HelmMissing, match="too old"):
        helm_mod.check_helm(fake_helm("v3.7.2"))


def test_argv_for_helm_v3_and_v4(fake_helm):
    v4 = helm_mod.upgrade_install_argv("helm", 4, release="r", chart="oci://x/inferencepool", version="v1.5.0",
                                       namespace="ns", values_file="v.yaml", create_namespace=True,
                                       kube_args=["--kube-context", "c"])
    assert v4 == ["helm", "upgrade", "--install", "r", "oci://x/inferencepool", "--version", "v1.5.0",
                  "--namespace", "ns", "-f", "v.yaml", "--wait", "--timeout", "5m0s", "--rollback-on-failure",
                  "--create-namespace", "--kube-context", "c"]
    v3 = helm_mod.upgrade_install_argv("helm", 3, release="r", chart="oci://x", version="v1", namespace="ns",
                                       values_file="v.yaml")
    assert "--atomic" in v3 and "--rollback-on-failure" not in v3 and "--create-namespace" not in v3
    assert helm_mod.check_helm(fake_helm("v3.14.0"))[1] == (3, 14, 0)


# ---- kubeconfig ----------------------------------------------------------------------------
def _kc(path: Path, contexts: list[tuple[str, str, str]], current: str | None, server="http://127.0.0.1:9") -> str:
    import yaml
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", **({"current-context": current} if current else {}),
        "clusters": [{"name": f"cl-{n}", "cluster": {"server": server}} for n, _, _ in contexts],
        "users": [{"name": f"u-{n}", "user": {"token": "t0ken-value"}} for n, _, _ in contexts],
        "contexts": [{"name": n, "context": {"cluster": f"cl-{n}", "user": f"u-{n}", **({"namespace": ns} if ns else {})}}
                     for n, ns, _ in contexts]}))
    return str(path)


def test_kubeconfig_with_several_files(tmp_path, monkeypatch):
    a = _kc(tmp_path / "a", [("dev", "team-a", "")], None)
    b = _kc(tmp_path / "b", [("prod", "llm-d", ""), ("dev", "shadowed", "")], "prod")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([a, str(tmp_path / "missing"), b]))
    infos, current = list_contexts()
    assert [i.name for i in infos] == ["dev", "prod"] and current == "prod"
    assert next(i for i in infos if i.name == "dev").namespace == "team-a"  # first file wins
    assert default_namespace() == "llm-d"
    assert default_namespace(context="dev") == "team-a"
    monkeypatch.setenv("LLMDBENCH_VLLM_COMMON_NAMESPACE", "bench")
    assert default_namespace() == "bench"
    c = Cluster.connect(context="dev")
    assert c.context == "dev" and c.namespace == "team-a" and c.helm_args() == ["--kube-context", "dev"]
    with pytest.raises(ClusterError, match="context 'nope' is not in the kubeconfig") as err:
        Cluster.connect(context="nope")
    assert "dev, prod" in err.value.hint


def test_no_kubeconfig_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ClusterError, match="no kubeconfig found") as err:
        Cluster.connect()
    assert err.value.kind == "config"


def test_managed_fields_reveal_key_names_only():
    meta = {"managedFields": [{"fieldsV1": {"f:data": {"f:HF_TOKEN": {}, "f:other": {}}, "f:type": {}}}]}
    assert _managed_keys(meta) == ("HF_TOKEN", "other")
    assert _managed_keys({}) is None


# ---- verification, pure -------------------------------------------------------------------
def _pod(name, labels, *, ready=True, ports=(8000,), waiting=None, restarts=0, image="img:1", phase="Running"):
    cs = {"name": "epp", "image": image, "restartCount": restarts, "ready": ready,
          "state": {"waiting": {"reason": waiting, "message": "m"}} if waiting else {"running": {}}}
    return {"metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "epp", "image": image,
                                     "ports": [{"containerPort": p} for p in ports]}]},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                       "containerStatuses": [cs]}}


def _expected(**kw) -> Expected:
    exp = Expected(release="gaie", namespace="llm-d", chart_name="inferencepool", chart_version="v1.5.0",
                   epp="gaie-epp", epp_image="img:1", pool="gaie",
                   pool_selector={"llm-d.ai/inferenceServing": "true"})
    for k, v in kw.items():
        setattr(exp, k, v)
    return exp


def _healthy(exp: Expected, **kw) -> Snapshot:
    snap = Snapshot(
        release={"status": "deployed", "revision": "1", "chart": "inferencepool-v1.5.0"},
        deployment={"status": {"readyReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]}},
        epp_pods=[_pod("gaie-epp-1", {"inferencepool": "gaie-epp"}, ports=(9002,))],
        epp_logs={"gaie-epp-1": (["INFO started"], "")},
        pool={"spec": {"selector": {"matchLabels": exp.pool_selector},
                       "endpointPickerRef": {"name": "gaie-epp", "port": {"number": 9002}}}},
        model_pods=[_pod(f"vllm-{i}", {"llm-d.ai/inferenceServing": "true"}) for i in range(3)])
    for k, v in kw.items():
        setattr(snap, k, v)
    return snap


def test_evaluate_healthy_release_is_green():
    exp = _expected()
    checks, pending = evaluate(exp, _healthy(exp))
    assert not pending
    assert {c.id: c.status for c in checks} == {
        "release": PASS, "epp-deployment": PASS, "epp-pods": PASS, "epp-image": PASS, "epp-logs": PASS,
        "pool": PASS, "pool-endpoints": PASS, "pool-parents": SKIP}
    assert all(c.looked_at for c in checks)


def test_leader_election_expects_one_ready():
    exp = _expected(epp_replicas=3)
    snap = _healthy(exp, deployment={"status": {"readyReplicas": 1, "conditions": [
        {"type": "Available", "status": "False"}]}})
    snap.epp_pods += [_pod(f"gaie-epp-{i}", {"inferencepool": "gaie-epp"}, ready=False) for i in (2, 3)]
    checks = {c.id: c for c in evaluate(exp, snap)[0]}
    assert checks["epp-deployment"].status == PASS and "leader" in checks["epp-deployment"].evidence
    assert checks["epp-pods"].status == PASS


def test_forbidden_in_epp_logs_is_chart_image_skew():
    exp = _expected()
    line = ('ERROR cache Failed to watch {"error": "failed to list *v1.InferencePool: inferencepools is forbidden: '
            'User \\"system:serviceaccount:llm-d:gaie-epp\\" cannot list resource"}')
    snap = _healthy(exp, epp_logs={"gaie-epp-1": (["INFO start", line], "")})
    c = {c.id: c for c in evaluate(exp, snap)[0]}["epp-logs"]
    assert c.status == FAIL and "RBAC" in c.evidence and "skew" in c.remedy and line in c.details
    assert [w for w, _, _ in log_findings(["Pool is not initialized, skipping refreshing metrics"])] == [
        "the EPP has not read its InferencePool"]


def test_waiting_states_settle_as_failures_at_the_deadline():
    exp = _expected()
    snap = _healthy(exp, deployment={"status": {"readyReplicas": 0}},
                    epp_pods=[_pod("gaie-epp-1", {"inferencepool": "gaie-epp"}, ready=False,
                                   waiting="ContainerCreating")], epp_logs={})
    checks, pending = evaluate(exp, snap, final=False)
    assert pending and {c.id: c.status for c in checks}["epp-pods"] == WARN
    checks, pending = evaluate(exp, snap, final=True)
    assert not pending and {c.id: c.status for c in checks}["epp-pods"] == FAIL


def test_image_mismatch_pool_mismatch_and_wrong_port():
    exp = _expected()
    snap = _healthy(exp, epp_pods=[_pod("gaie-epp-1", {"inferencepool": "gaie-epp"}, image="other:2")],
                    pool={"spec": {"selector": {"matchLabels": {"app": "x"}},
                                   "endpointPickerRef": {"name": "gaie-epp", "port": {"number": 8000}}}},
                    model_pods=[_pod("vllm-0", {"llm-d.ai/inferenceServing": "true"}, ports=(8080,))])
    checks = {c.id: c for c in evaluate(exp, snap)[0]}
    assert checks["epp-image"].status == FAIL and "other:2" in checks["epp-image"].evidence
    assert checks["pool"].status == FAIL and "port 8000" in checks["pool"].evidence
    assert checks["pool-endpoints"].status == FAIL and "container port 8000" in checks["pool-endpoints"].evidence


def test_destination_rule_and_parent_conditions():
    want = {"metadata": {"name": "gaie-epp"}, "spec": {"host": "gaie-epp.llm-d.svc.cluster.local", "trafficPolicy": {
        "tls": {"mode": "SIMPLE"}, "connectionPool": {"tcp": {"maxConnections": 256000}}}}}
    exp = _expected(destination_rule=want)
    got = json.loads(json.dumps(want))
    got["spec"]["trafficPolicy"].pop("connectionPool")
    snap = _healthy(exp, destination_rule=got)
    snap.pool["status"] = {"parents": [{"parentRef": {"name": "gw"}, "conditions": [
        {"type": "Accepted", "status": "False", "reason": "NotSupported", "message": "nope"}]}]}
    checks = {c.id: c for c in evaluate(exp, snap)[0]}
    assert checks["destination-rule"].status == FAIL and "connectionPool" in checks["destination-rule"].evidence
    assert checks["pool-parents"].status == FAIL and "gw: Accepted=False" in checks["pool-parents"].evidence


def test_similar_selector_finds_label_drift():
    pods = [{"metadata": {"labels": {"llm-d.ai/inference-serving": "true", "llm-d.ai/guide": "x"}}}] * 3
    assert similar_selector({"llm-d.ai/inferenceServing": "true"}, pods) == (
        {"llm-d.ai/inference-serving": "true"}, 3)
    assert similar_selector({"app": "vllm"}, pods) == (None, 0)


def test_expected_from_rendered_manifest():
    manifest = textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: gaie-epp}
        spec:
          replicas: 2
          template:
            metadata: {labels: {llm-d-router-gateway: gaie-epp}}
            spec:
              containers:
              - name: epp
                image: ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0
                env:
                - name: HF_TOKEN
                  valueFrom: {secretKeyRef: {name: llm-d-hf-token, key: HF_TOKEN}}
        ---
        apiVersion: inference.networking.k8s.io/v1
        kind: InferencePool
        metadata: {name: gaie}
        spec:
          targetPorts: [{number: 8000}, {number: 8001}]
          selector: {matchLabels: {a: b}}
          endpointPickerRef: {name: gaie-epp, port: {number: 9002}}
        """)
    objs = parse_manifest(manifest, "llm-d")
    exp = expected_from_objects(objs, release="gaie", namespace="llm-d", chart_name="llm-d-router-gateway")
    assert exp.epp_label == "llm-d-router-gateway" and exp.epp_selector == "llm-d-router-gateway=gaie-epp"
    assert exp.epp_replicas == 2 and exp.target_ports == [8000, 8001] and exp.pool_selector == {"a": "b"}
    assert exp.secret_refs == [("llm-d-hf-token", "HF_TOKEN")]
    assert ("apps/v1", "Deployment", "llm-d", "gaie-epp") in exp.objects


# ---- records -------------------------------------------------------------------------------
def test_record_is_redacted_and_unique(tmp_path):
    r1, r2 = Record(tmp_path, "gaie"), Record(tmp_path, "gaie")
    assert r1.path != r2.path and r1.path.name.startswith("gaie-") and r1.path.name.endswith("Z")
    r1.write_values("inferenceExtension:\n  env:\n  - name: HF_TOKEN\n    value: hf_abcdefghijklmnopqrstuvwxyz\n")
    r1.log("12:00:00.000Z", "stderr", "Authorization: Bearer abcdefghijklmnop")
    r1.step("deploy", "helm upgrade … --token=abcdefgh")
    r1.save({"status": "in-progress", "release": "gaie", "namespace": "llm-d"})
    r1.close()
    for f in ("values.yaml", "helm.log", "record.json", "record.md"):
        text = (r1.path / f).read_text()
        assert "abcdefgh" not in text and "hf_abc" not in text, f
    assert "NOT FINISHED" in (r1.path / "record.md").read_text()


def test_duration_seconds():
    assert helm_mod.duration_seconds("5m0s") == 300 and helm_mod.duration_seconds("1h30m") == 5400
    assert helm_mod.duration_seconds("500ms") == 0.5 and helm_mod.duration_seconds("5 minutes") is None
