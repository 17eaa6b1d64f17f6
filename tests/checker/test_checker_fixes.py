"""One-key fixes never damage the file: after any fix the file parses, every comment is still
there, the diagnostic it targets is gone and no new one appears (issue 13 #1)."""
from __future__ import annotations

from collections import Counter

import pytest
from checker_testkit import chart, chart_dirs, check  # noqa: F401

from gaie_tui.core.check.checker import check_text
from gaie_tui.core.check.context import SecretInfo
from gaie_tui.core.values import source as yamlsource

TOKEN = "hf_" + "Q" * 30
IP = "inferencePool:\n  modelServers:\n    matchLabels: {app: vllm}  # the pods\n"
RP = "router:\n  modelServers:\n    matchLabels: {app: vllm}  # the pods\n"

CORPUS: dict[str, list[tuple[str, str]]] = {
    "inferencepool-v1.5.0": [
        ("typo", IP + "inferenceExtension:\n  # how many\n  replicsa: 2  # two\n  # after\n"),
        ("hub", IP + "inferenceExtension:\n  image:\n    # where\n    hub: ghcr.io/x  # registry\n    tag: v1\n"),
        ("provider case", IP + "provider:\n  # the gateway\n  name: Istio  # capital\n# end\n"),
        ("env map", IP + "inferenceExtension:\n  # variables\n  env:\n    # level\n    LOG_LEVEL: debug  # loud\n"
                         "    # next\n    OTHER: x\n  # after env\n  replicas: 1\n"),
        ("flags list", IP + "inferenceExtension:\n  # flags\n  flags:\n    # verbosity\n    - name: v\n"
                            "      # one\n      value: 1  # quiet\n    # between\n    - name: x\n      value: a\n"
                            "    # after the block\n  # and this\n  replicas: 1\n"),
        ("quoted number", IP + "inferenceExtension:\n  replicas: \"2\"  # quoted\n"),
        ("text boolean", IP + "inferenceExtension:\n  monitoring:\n    prometheus:\n      enabled: \"false\"  # off?\n"),
        ("verbose", IP + "inferenceExtension:\n  flags:\n    v: 4  # loud\n"),
        ("ext proc", IP + "inferenceExtension:\n  extProcPort: 9003  # moved\n"),
        ("model server", "inferencePool:\n  modelServerType: VLLM  # shouting\n  modelServers:\n"
                         "    matchLabels: {app: vllm}\n"),
        ("unpinned", IP + "inferenceExtension:\n  image:\n    registry: ghcr.io/llm-d\n"
                          "    repository: llm-d-inference-scheduler\n    tag: latest  # moving\n"),
        ("token", IP + f"inferenceExtension:\n  env:\n    # token\n    - name: HF_TOKEN\n      value: {TOKEN}  # oops\n"
                       "    - name: OTHER\n      value: x\n"),
        ("token beside valueFrom", IP + "inferenceExtension:\n  env:\n    - name: HUGGING_FACE_HUB_TOKEN\n"
                                        f"      value: {TOKEN}\n      # the right way\n      valueFrom:\n"
                                        "        secretKeyRef: {name: s, key: HF_TOKEN}\n"),
        ("token first in item", IP + f"inferenceExtension:\n  env:\n    - value: {TOKEN}\n      name: HF_TOKEN\n"
                                     "      valueFrom:\n        secretKeyRef: {name: s, key: HF_TOKEN}\n"),
        ("istio profile", IP + "provider:\n  name: istio\n  istio:\n    destinationRule:\n      trafficPolicy:\n"
                               "        connectionPool:\n          http:\n            http1MaxPendingRequests: 1024  # low\n"
                               "            maxRequestsPerConnection: 256000\n            http2MaxRequests: 256000\n"
                               "            idleTimeout: 900s\n          tcp:\n            maxConnections: 256000\n"
                               "            maxConnectionDuration: 1800s\n            connectTimeout: 900s\n"
                               "inferenceExtension:\n  flags:\n    v: 1\n"),
    ],
    "inferencepool-v1.1.0": [
        ("flags map on a list chart", IP + "inferenceExtension:\n  # flags\n  flags:\n    v: 1  # one\n    # after v\n"
                                           "    x: 2\n  # after\n  replicas: 1\n"),
    ],
    "llm-d-router-gateway-v0.10.0": [
        ("router flags list", RP + "  epp:\n    resources:\n      requests: {cpu: '4', memory: 8Gi}\n    flags:\n"
                                   "      # v\n      - name: v\n        value: 1\n    # after\n"),
        ("router token", RP + f"  epp:\n    resources:\n      requests: {{cpu: '4', memory: 8Gi}}\n    env:\n"
                              f"      - name: HF_TOKEN  # the token\n        value: {TOKEN}\n"),
    ],
}
CASES = [(cid, name, text) for cid, items in CORPUS.items() for name, text in items]


def comments(text: str) -> Counter:
    return Counter(c.text.strip() for c in yamlsource.comments(text))


def keyed(diags) -> Counter:
    return Counter((d.code, d.path) for d in diags)


@pytest.mark.parametrize("cid,name,text", CASES, ids=[f"{c}-{n}" for c, n, _ in CASES])
def test_every_fix_keeps_the_file_whole(cid, name, text):
    secrets = [SecretInfo("llm-d-hf-token", ("HF_TOKEN",))]
    before = check_text(text, chart(cid), secrets=secrets)
    fixes = [d for d in before if d.fix is not None]
    assert fixes, f"{name}: the corpus entry should offer a fix"
    for d in fixes:
        after_text = d.fix.apply(text)
        src = yamlsource.parse(after_text)
        assert src.ok and not src.diagnostics, f"{name}: {d.fix.title} broke the YAML:\n{after_text}"
        assert comments(after_text) >= comments(text), f"{name}: {d.fix.title} lost a comment:\n{after_text}"
        after = check_text(after_text, chart(cid), secrets=secrets)
        assert (d.code, d.path) not in keyed(after), f"{name}: {d.fix.title} did not remove {d.code}"
        new = keyed(after) - keyed(before)
        assert not new, f"{name}: {d.fix.title} added {dict(new)}:\n{after_text}"


def test_token_fix_uses_a_key_the_found_secret_has():
    text = IP + f"inferenceExtension:\n  env:\n    - name: HUGGING_FACE_HUB_TOKEN\n      value: {TOKEN}\n"
    found = [SecretInfo("hf-secret", ("token", "HF_TOKEN"))]
    (d,) = [x for x in check_text(text, chart("inferencepool-v1.5.0"), secrets=found) if x.code == "hf-token-literal"]
    fixed = d.fix.apply(text)
    assert "name: hf-secret" in fixed and "key: HF_TOKEN" in fixed and "key: HUGGING_FACE_HUB_TOKEN" not in fixed
    assert "Secret hf-secret has the key HF_TOKEN" in d.hint and TOKEN not in d.hint + d.message


def test_token_fix_without_a_secret_says_which_key_to_create():
    text = IP + f"inferenceExtension:\n  env:\n    - name: HUGGING_FACE_HUB_TOKEN\n      value: {TOKEN}\n"
    (d,) = [x for x in check_text(text, chart("inferencepool-v1.5.0")) if x.code == "hf-token-literal"]
    assert "kubectl create secret generic llm-d-hf-token --from-literal=HF_TOKEN=" in d.hint.replace("[REDACTED]", "")
    assert "key: HF_TOKEN" in d.fix.apply(text)
    # a secret whose keys are unknown (no metadata): its name, and what to check
    (d,) = [x for x in check_text(text, chart("inferencepool-v1.5.0"), secrets=[SecretInfo("mine", None)])
            if x.code == "hf-token-literal"]
    assert "name: mine" in d.fix.apply(text) and "check that Secret mine has the key HF_TOKEN" in d.hint


def test_flags_fix_keeps_the_comments_after_the_block():
    text = IP + "inferenceExtension:\n  flags:\n    - name: v\n      value: 1\n    # why v is 1\n  # next block\n" \
                "  replicas: 1\n"
    (d,) = [x for x in check_text(text, chart("inferencepool-v1.5.0")) if x.code == "flags-shape"]
    out = d.fix.apply(text)
    assert out.endswith("  flags:\n    v: 1\n    # why v is 1\n  # next block\n  replicas: 1\n")
