"""Findings that say what to do (issue 14 #3), hostile and broken input (issue 12 #3 #5 #6 #9),
indentation errors on the right line and plain wording (issue 13 #2 #9), tokens in comments (#11)."""
from __future__ import annotations

import re

import pytest
from checker_testkit import chart, chart_dirs, check, generated, one  # noqa: F401

from gaie_tui.core.check import checker as checker_mod
from gaie_tui.core.check.checker import check_text, could_not_check
from gaie_tui.core.values import source as yamlsource

IP15 = "inferencepool-v1.5.0"
RG = "llm-d-router-gateway-v0.10.0"
POOL = "inferencePool:\n  modelServers:\n    matchLabels: {app: vllm}\n"
RPOOL = "router:\n  modelServers:\n    matchLabels: {app: vllm}\n"
TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWx12"


# --- hints that say what to do ------------------------------------------------------------------
def test_unknown_service_block_says_what_to_do():
    d = one(check(POOL + "inferenceExtension:\n  service:\n    type: NodePort\n", IP15), "unknown-key")
    assert (d.path, d.line) == ("inferenceExtension.service", 5)
    assert "gaie-tui schema" not in d.hint
    assert d.hint.startswith("remove it") and "inferenceExtension.extraServicePorts" in d.hint


def test_unknown_key_without_a_near_name_lists_what_the_block_reads():
    d = one(check(POOL + "inferenceExtension:\n  qqqqqqqqqqqqqqqqqq: 1\n", IP15), "unknown-key")
    assert "gaie-tui schema" not in d.hint
    assert d.hint.startswith("remove it, or use one of the keys inferencepool v1.5.0 reads in `inferenceExtension`:")
    assert "`replicas`" in d.hint or "more" in d.hint


def test_provider_under_the_router_epp_points_at_top_level_provider_only():
    d = one(check(RPOOL + "  epp:\n    provider:\n      name: istio\n", RG), "misplaced-key")
    assert d.path == "router.epp.provider"
    assert "top-level `provider:`" in d.hint and "monitoring" not in d.hint


def test_same_named_key_elsewhere_is_suggested_only_when_the_value_fits():
    # a provider block (name + istio) is not router.monitoring.provider (name + gmp + …)
    d = one(check(RPOOL + "  proxyy:\n    provider:\n      name: istio\n      istio: {}\n", RG), "unknown-key")
    assert "monitoring.provider" not in d.hint


@pytest.mark.parametrize("repo,cid,tag", [
    ("ghcr.io/llm-d/llm-d-inference-scheduler", IP15, "v0.8.0"),       # the renamed repository's last
    ("ghcr.io/llm-d/llm-d-router-endpoint-picker", RG, "v0.10.0"),     # the one paired with the chart
    ("registry.k8s.io/gateway-api-inference-extension/epp", IP15, "v1.5.0"),
])
def test_unpinned_image_hint_names_a_tag_that_repository_has(repo, cid, tag):
    registry, _, repository = repo.rpartition("/")
    block = "inferenceExtension:\n" if cid == IP15 else "  epp:\n"
    ind = "  " if cid == IP15 else "    "
    pool = POOL if cid == IP15 else RPOOL
    text = pool + block + f"{ind}image:\n{ind}  registry: {registry}\n{ind}  repository: {repository}\n" \
                          f"{ind}  tag: latest\n"
    d = one(check(text, cid), "image-unpinned")
    assert d.hint == f"pin a release tag of {repo}, e.g. {tag}"
    assert d.fix is not None and f"tag: {tag}" in d.fix.apply(text)


def test_unpaired_hint_never_names_a_tag_the_repository_lacks():
    # the renamed repository with the router chart: v0.10.0 lives only in the new repository
    text = RPOOL + "  epp:\n    image:\n      registry: ghcr.io/llm-d\n      repository: llm-d-inference-scheduler\n" \
                   "      tag: v0.8.0\n"
    d = one(check(text, RG), "image-unpaired")
    assert "use ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0" in d.hint and "use tag" not in d.hint
    text = POOL + "inferenceExtension:\n  image:\n    hub: ghcr.io/llm-d\n    name: llm-d-inference-scheduler\n" \
                  "    tag: v0.7.0\n"
    d = [x for x in check(text, "inferencepool-v1.3.1") if x.code == "image-unpaired"]
    assert d and "use tag v0.6.0" in d[0].hint


def test_unpinned_tag_of_an_unknown_repository_suggests_no_tag():
    text = POOL + "inferenceExtension:\n  image:\n    registry: my.registry\n    repository: epp\n    tag: main\n"
    d = one(check(text, IP15), "image-unpinned")
    assert not re.search(r"v\d+\.\d+\.\d+", d.hint) and d.fix is None


def test_missing_required_example_label_is_the_one_generate_writes():
    d = one(check("inferenceExtension:\n  replicas: 1\n", IP15), "missing-required")
    selector = re.search(r"matchLabels: \{([^:]+): \"(\w+)\"\}", d.hint)
    assert selector is not None
    gen = generated(IP15, "none")
    assert f"{selector[1]}: \"{selector[2]}\"" in gen
    assert f"{selector[1]}={selector[2]}" in d.hint          # kubectl's form, never a Python dict


def test_verbosity_is_advice():
    d = one(check(POOL + "inferenceExtension:\n  flags:\n    v: 4\n", IP15), "flags-verbose")
    assert d.severity == "info"


def test_both_image_layouts_in_one_file_is_an_info_note():
    text = POOL + "inferenceExtension:\n  image:\n    hub: ghcr.io/llm-d\n    name: x\n    registry: ghcr.io\n" \
                  "    repository: llm-d/x\n    tag: v0.8.0\n"
    notes = [d for d in check(text, IP15) if d.code == "ignored-image-key"]
    assert [(d.path, d.severity) for d in notes] == [("inferenceExtension.image.hub", "info"),
                                                     ("inferenceExtension.image.name", "info")]


# --- YAML the user did not mean -----------------------------------------------------------------
@pytest.mark.parametrize("tagged", ["!!int abc", "!!float abc", "!!bool maybe", "!!timestamp abc",
                                    f"!!int {TOKEN}"])
def test_bad_tags_are_a_diagnostic_with_the_line_and_never_echo_the_value(tagged):
    text = POOL + f"inferenceExtension:\n  replicas: {tagged}\n"
    d = one(check(text, IP15), "yaml-tag")
    assert (d.line, d.column, d.severity) == (5, 13, "error")
    value = tagged.split()[1]
    assert value not in d.message + d.hint and value.replace("_", "") not in d.message + d.hint


def test_bad_tag_with_a_token_through_the_cli(tmp_path, capsys):
    from gaie_tui.cli import main
    f = tmp_path / "v.yaml"
    f.write_text(POOL + f"inferenceExtension:\n  replicas: !!int {TOKEN}\n")
    rc = main(["validate", str(f), "--chart", "inferencepool@v1.5.0"])
    out, err = capsys.readouterr()
    assert rc == 1 and "[yaml-tag]" in out and "Traceback" not in err
    assert TOKEN[3:] not in out + err and TOKEN.replace("_", "") not in out + err


def test_deep_never_echoes_a_token_helm_quotes(tmp_path):
    text = f"inferencePool:\n  modelServers:\n    matchLabels: {{app: x}}\n  targetPorts: {TOKEN}\n"
    from gaie_tui.core.check.deep import deep_check_source
    alone = deep_check_source(yamlsource.parse(text), chart("inferencepool-v1.4.0"))   # helm's own words
    full = check(text, "inferencepool-v1.4.0", deep=True)
    shown = " ".join(d.message + d.hint + d.path for d in alone + full)
    assert "range can't iterate over" in shown
    assert TOKEN[3:] not in shown


def test_unquoted_y_and_n_are_booleans_for_helm():
    diags = check(POOL + "inferenceExtension:\n  flags:\n    y: 1\n    x: n\n    z: \"n\"\n", IP15)
    assert [(d.line, d.path) for d in diags if d.code == "yaml-go-bool"] == [
        (6, "inferenceExtension.flags.y"), (7, "inferenceExtension.flags.x")]


def test_token_in_a_comment_is_flagged():
    text = POOL + f"# old token: {TOKEN}\ninferenceExtension:\n  replicas: 1  # was {TOKEN}\n"
    found = [(d.line, d.column) for d in check(text, IP15) if d.code == "hf-token-literal"]
    assert found == [(4, 1), (6, 16)]
    broken = f"# {TOKEN}\na: [\n"                      # also when the YAML does not parse
    assert "hf-token-literal" in [d.code for d in check(broken, IP15)]


def test_size_limit_message_gives_the_limit_and_the_real_size(tmp_path, capsys):
    from gaie_tui.cli import main
    f = tmp_path / "big.yaml"
    f.write_text("a: " + "x" * (3 * 1024 * 1024) + "\n")
    assert main(["validate", str(f), "--chart", "inferencepool@v1.5.0"]) == 1
    out = capsys.readouterr().out
    assert "the file is 3.0 MB; values files over 2 MB are refused" in out   # not the limit as its size


def test_thousands_of_unknown_keys_are_listed_up_to_a_cap():
    text = POOL + "inferenceExtension:\n" + "".join(f"  k{i}: 1\n" for i in range(3000))
    diags = check_text(text, chart(IP15))
    unknown = [d for d in diags if d.code == "unknown-key"]
    assert len(unknown) == checker_mod.MAX_UNKNOWN_LISTED + 1
    assert unknown[0].message.startswith("… and 2,000 more keys")
    assert [d for d in unknown if "did you mean" in d.hint] == [d for d in unknown[:checker_mod.MAX_SUGGESTIONS + 1]
                                                                 if "did you mean" in d.hint]


# --- a crashed checker is never a pass ----------------------------------------------------------
def test_a_crash_inside_a_rule_reads_as_could_not_check(monkeypatch, tmp_path):
    from gaie_tui.core.check import rules
    monkeypatch.setenv("GAIE_TUI_STATE_DIR", str(tmp_path))

    def boom(ctx):
        raise RuntimeError(f"bug with {TOKEN}")

    monkeypatch.setattr(rules, "RULES", (*rules.RULES, boom))
    diags = check_text(generated(IP15, "istio"), chart(IP15))
    d = one(diags, "checker-crashed")
    assert d.severity == "error" and d.message.startswith("could not check this file")
    assert could_not_check(diags)
    log = (tmp_path / "gaie-tui.log").read_text()
    assert str(tmp_path / "gaie-tui.log") in d.hint and "RuntimeError" in log and TOKEN not in log
    assert "RuntimeError" not in d.message + d.hint          # no class names in what users read


def _chart_archive(tmp_path, values_yaml: str):
    import tarfile
    root = tmp_path / "bc"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: bc\nversion: 0.1.0\n")
    (root / "values.yaml").write_text(values_yaml)
    (root / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
                                                "data: {a: {{ .Values.foo | quote }}}\n")
    archive = tmp_path / "bc-0.1.0.tgz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(root, arcname="bc")
    return archive


@pytest.mark.parametrize("values_yaml", ["- a\n- b\n", "a: [\n"])
def test_a_chart_with_broken_values_is_one_clear_line(values_yaml, tmp_path, capsys):
    from gaie_tui.cli import main
    archive = _chart_archive(tmp_path, values_yaml)
    f = tmp_path / "v.yaml"
    f.write_text("foo: 1\n")
    for argv in (["validate", str(f), "--deep", "--chart", str(archive)],
                 ["migrate", str(f), "--from", str(archive), "--to", "inferencepool@v1.5.0"]):
        rc = main(argv)
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err and rc in (1, 2)
        assert "values.yaml" in out + err and len((out + err).strip().splitlines()) <= 3


def test_a_chart_whose_values_are_a_list_is_could_not_check():
    """Whatever reads the archive, the checker itself never passes (or crashes on) such a chart."""
    import copy
    broken = copy.copy(chart(IP15))
    broken.knowledge = copy.copy(broken.knowledge)
    broken.knowledge.defaults = ["not", "a", "map"]
    diags = check_text(POOL, broken, deep=True)
    assert [d.code for d in diags] == ["chart-unusable"] and could_not_check(diags)
    assert diags[0].message.startswith("could not check against inferencepool v1.5.0")


# --- indentation: the line that breaks the structure --------------------------------------------
def unindent_cases():
    out = []
    for cid in ("inferencepool-v1.1.0", IP15, RG):
        text = generated(cid, "istio", hf_secret="llm-d-hf-token")
        lines = text.splitlines()
        for i, ln in enumerate(lines):
            if ln.startswith("  ") and ln.strip() and not ln.strip().startswith("#"):
                out.append((cid, i + 1, "\n".join(lines[:i] + [ln[2:]] + lines[i + 1:]) + "\n"))
    return out


def test_un_indenting_any_key_points_at_that_key():
    wrong = []
    for cid, line, text in unindent_cases():
        errs = [d for d in yamlsource.parse(text).diagnostics if d.code.startswith("yaml-")]
        if errs and errs[0].line != line:
            wrong.append((cid, line, errs[0].line, errs[0].message))
    assert wrong == []


def test_the_issue_example_replicas_unindented():
    text = generated(IP15, "istio")
    lines = text.splitlines()
    n = next(i for i, ln in enumerate(lines) if ln.strip() == "replicas: 1")
    lines[n] = "replicas: 1"
    d = one(yamlsource.parse("\n".join(lines) + "\n").diagnostics, "yaml-indent")
    assert d.line == n + 1 and d.column == 1
    assert "line above" not in d.hint and "indent line" in d.hint


def test_syntax_hint_names_the_previous_content_line_not_a_comment():
    d = one(yamlsource.parse("a:\n  b: 1\n# note\n  c: d: e\n").diagnostics, "yaml-syntax")
    assert d.line == 4 and "the one above" not in d.hint and "line 2" in d.hint


# --- wording: no Python reprs, no class names ---------------------------------------------------
def test_messages_have_no_python_reprs_or_class_names():
    texts = [
        POOL + "inferenceExtension:\n  env:\n    A: {b: 1}\n  flags: [{name: v, value: 4}]\n  replicas: [1]\n",
        "inferencePool:\n  modelServers:\n    matchLabels: [a]\n  targetPorts: {a: 1}\nprovider: {name: Istio}\n",
        "provider:\n  name: istio\n  istio:\n    destinationRule:\n      trafficPolicy:\n        connectionPool:\n"
        "          http: {http1MaxPendingRequests: {a: 1}}\n",
        POOL + "inferenceExtension:\n  extProcPort: {a: 1}\n  replicas: true\n  image:\n    tag:\n",
    ]
    for text in texts:
        for d in check(text, IP15):
            shown = d.message + " " + d.hint
            assert not re.search(r"\{'|\['|<class|Error:|Exception|\bTrue\b|\bFalse\b|\bNone\b", shown), shown
