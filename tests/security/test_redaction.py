"""Issue 12 #3: a token is redacted in every form it comes back in — as typed, quoted, without
its underscore (YAML's !!int/!!float drop them), lowercased, inside error messages — on every
path: usage errors, error messages, validate (text, JSON, --deep), preflight (text, JSON) and
gaie-tui.log."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hostile import TOKEN, token_forms
from support import CHARTS

from gaie_tui.cli import main
from gaie_tui.core import paths
from gaie_tui.core.redact import MASK, redact

BARE = TOKEN.replace("_", "")
GHP = "ghp_" + "A1b2C3d4E5" * 4


@pytest.mark.parametrize("text", [
    TOKEN, f"'{TOKEN}'", f'"{TOKEN}"', f"`{TOKEN}`",
    f"invalid literal for int() with base 10: '{BARE}'",              # !!int drops the underscore
    f"could not convert string to float: '{BARE.lower()}'",           # !!float also lowercases
    f"KeyError: '{TOKEN.lower()}'",                                   # !!bool looks it up lowercased
    f"value_{TOKEN}", f"value{BARE}",                                 # glued to a word, with or without _
    f"at <.Values.inferencePool.targetPorts>: range can't iterate over {TOKEN}",
    f"map[HF_TOKEN:{TOKEN}]", f"--set env.HF_TOKEN={TOKEN}",
    GHP, GHP.replace("_", ""), "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "https://bob:s3cr3t-pass@proxy.corp:3128/",
    "Authorization: Bearer abcdefghijklmnop", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijkl",
])
def test_every_form_is_redacted(text):
    out = redact(text)
    assert MASK in out
    for form in [*token_forms(), GHP, GHP.replace("_", ""), "s3cr3t-pass", "abcdefghijklmnop"]:
        assert form not in out, (text, out)


@pytest.mark.parametrize("text", [
    "HF_TOKEN", "hf_token", "helpful hfile", "secretKeyRef: {name: llm-d-hf-token, key: HF_TOKEN}",
    "sha256:0f4accdc0983c9a4f088a6f7f5e3316c5d90f153f4e392ac71f03bb1cf9b390e",
    "gaie-epp-9407c7334d-hd2gz", "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0",
    "HF_HUB_ENABLE_HF_TRANSFER", "https://proxy.corp:3128/",
])
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


def _no_token(*texts: str) -> None:
    for text in texts:
        for form in token_forms():
            assert form not in text, f"{form!r} leaked in:\n{text}"


@pytest.mark.parametrize("argv", [
    ["generate", "--provider", TOKEN],                 # argparse: invalid choice: 'hf_…'
    ["generate", "--replicas", TOKEN],                 # argparse: invalid int value: 'hf_…'
    ["generate", TOKEN],                               # argparse: unrecognized arguments: hf_…
    ["generate", "--release", TOKEN],                  # our own message: invalid release name 'hf_…'
    ["generate", "--hf-secret", TOKEN],               # invalid secret name 'hf_…'
    ["versions", "--chart-family", TOKEN],
    ["validate", "VALUES", "--chart", TOKEN],          # unknown chart 'hf_…'
    ["deploy", "-f", "VALUES", "--release", "gaie", "--namespace", "llm-d", "--timeout", TOKEN],
    ["verify", "--release", TOKEN, "--namespace", "llm-d"],
])
def test_a_token_typed_into_the_wrong_place_is_not_echoed(argv, capsys, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("inferenceExtension: {replicas: 1}\n")
    with pytest.raises(SystemExit) as exit_:
        raise SystemExit(main([str(values) if a == "VALUES" else a for a in argv]))
    out = capsys.readouterr()
    assert exit_.value.code == 2
    assert MASK in out.err
    _no_token(out.out, out.err)


def _token_values(tmp_path: Path, line: str) -> Path:
    from gaie_tui.core.charts.refs import parse_ref
    from gaie_tui.core.charts.store import KnowledgeStore
    from gaie_tui.core.values.generate import Answers, generate
    chart = KnowledgeStore().get(parse_ref(str(CHARTS / "inferencepool-v1.5.0.tgz")))
    text = generate(chart, Answers(release="gaie", namespace="llm-d")).text
    old, new = line.split(" => ")
    assert old in text
    path = tmp_path / "values.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def _log() -> str:
    log = paths.state_dir() / "gaie-tui.log"
    return log.read_text() if log.exists() else ""


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_validate_deep_does_not_echo_helms_range_error(tmp_path, capsys, fmt):
    values = _token_values(tmp_path, f"  targetPorts:\n    - number: 8000\n =>   targetPorts: {TOKEN}\n")
    code = main(["validate", str(values), "--deep", "--format", fmt])
    out = capsys.readouterr()
    assert code == 1
    assert "range can't iterate over [REDACTED]" in out.out
    _no_token(out.out, out.err, _log())
    if fmt == "json":
        json.loads(out.out)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_int_tag_with_a_token_leaks_nowhere(tmp_path, capsys, fmt):
    """`replicas: !!int hf_…`: PyYAML drops the underscore before int() fails."""
    values = _token_values(tmp_path, f"  replicas: 1\n =>   replicas: !!int {TOKEN}\n")
    code = main(["validate", str(values), "--format", fmt])
    out = capsys.readouterr()
    assert code in (1, 2, 3)  # the checker developer turns the crash (3) into a diagnostic (1)
    assert "Traceback" not in out.err and len(out.err.strip().splitlines()) <= 1
    _no_token(out.out, out.err, _log())


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_preflight_with_a_token_under_a_tag_leaks_nowhere(tmp_path, capsys, fmt):
    values = _token_values(tmp_path, f"  replicas: 1\n =>   replicas: !!int {TOKEN}\n")
    code = main(["preflight", "-f", str(values), "--release", "gaie", "--namespace", "llm-d", "--format", fmt,
                 "--kubeconfig", str(tmp_path / "none")])
    out = capsys.readouterr()
    assert code == 1
    _no_token(out.out, out.err, _log())
    if fmt == "json":
        doc = json.loads(out.out)
        values_check = next(c for c in doc["checks"] if c["id"] == "values")
        assert values_check["status"] == "fail"


def test_the_error_log_and_internal_error_line_are_redacted(capsys, monkeypatch):
    """A bug whose message holds a token: one line on stderr, exit 3, the log redacted too."""
    from gaie_tui.commands import versions

    def boom(args):
        raise RuntimeError(f"unexpected {TOKEN} and {BARE}")

    monkeypatch.setattr(versions, "run", boom)
    assert main(["versions", "--offline"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("gaie-tui: internal error: unexpected [REDACTED]")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    log = _log()
    assert "RuntimeError" in log and "Traceback" in log
    _no_token(err, log)
    assert oct(os.stat(paths.state_dir() / "gaie-tui.log").st_mode & 0o777) == "0o600"
