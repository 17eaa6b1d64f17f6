"""`gaie-tui validate`: text and JSON output, colour rules, exit codes, stdin, chart from the header."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from checker_testkit import ROOT, chart_dirs, generated  # noqa: F401

from gaie_tui.cli import main

BAD = ("inferencePool:\n  modelServers:\n    matchLabels: {app: vllm}\n"
       "provider:\n  name: Istio\ninferenceExtension:\n  replicas: 1\n  env:\n    - name: HF_TOKEN\n"
       "      value: hf_SECRETSECRETSECRETSECRET123\n")


def run(argv, capsys, stdin: str | bytes | None = None, monkeypatch=None):
    if stdin is not None:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_text_output_compiler_style(tmp_path, capsys):
    f = tmp_path / "v.yaml"
    f.write_text(BAD)
    rc, out, _ = run(["validate", str(f), "--chart", "inferencepool@v1.4.0"], capsys)
    assert rc == 1
    lines = out.splitlines()
    assert f"{f}:5:3: error[provider-case] " in out
    i = next(i for i, ln in enumerate(lines) if "[provider-case]" in ln)
    assert lines[i + 1].startswith("    hint: ")
    assert lines[-1].startswith(f"{f}: inferencepool v1.4.0: ") and "error" in lines[-1]
    assert "SECRETSECRET" not in out
    assert "\x1b[" not in out


def test_json_output_shape(tmp_path, capsys):
    f = tmp_path / "v.yaml"
    f.write_text(BAD)
    rc, out, _ = run(["validate", str(f), "--chart", "inferencepool@v1.4.0", "--format", "json"], capsys)
    doc = json.loads(out)
    assert rc == 1
    assert set(doc) == {"file", "files", "chart", "diagnostics"}
    assert doc["chart"] == {"name": "inferencepool", "version": "v1.4.0"}
    assert doc["file"] == str(f)
    for d in doc["diagnostics"]:
        assert set(d) == {"code", "severity", "file", "path", "line", "column", "message", "hint"}
        assert d["file"] == str(f)
    assert "hf-token-literal" in [d["code"] for d in doc["diagnostics"]]
    assert "SECRETSECRET" not in out


def test_clean_file_exits_0_and_chart_from_header(tmp_path, capsys):
    f = tmp_path / "v.yaml"
    f.write_text(generated("llm-d-router-gateway-v0.9.0", "gke"))
    rc, out, _ = run(["validate", str(f), "--format", "json"], capsys)
    assert rc == 0
    assert json.loads(out)["chart"] == {"name": "llm-d-router-gateway", "version": "v0.9.0"}


def test_default_chart_without_header(capsys, monkeypatch):
    rc, out, _ = run(["validate", "-", "--format", "json"], capsys,
                     stdin="inferencePool:\n  modelServers:\n    matchLabels: {a: b}\n", monkeypatch=monkeypatch)
    doc = json.loads(out)
    assert rc == 0 and doc["file"] == "<stdin>"
    assert doc["chart"] == {"name": "inferencepool", "version": "v1.5.0"}


def test_stdin_with_errors(capsys, monkeypatch):
    rc, out, _ = run(["validate", "-", "--chart", "inferencepool@v1.4.0"], capsys, stdin="a: [1\n",
                     monkeypatch=monkeypatch)
    assert rc == 1 and "<stdin>:" in out and "[yaml-syntax]" in out


def test_non_utf8_file(tmp_path, capsys):
    f = tmp_path / "v.yaml"
    f.write_bytes(b"a: \xff\n")
    rc, out, _ = run(["validate", str(f)], capsys)
    assert rc == 1 and "[yaml-encoding]" in out


@pytest.mark.parametrize("argv", [["validate", "/nonexistent/values.yaml"],
                                  ["validate", "{tmp}", "--chart", "nochart@v1"],
                                  ["validate", "{tmp}", "--chart", "inferencepool@v9.9.9"],
                                  ["validate", "{tmp}", "--format", "xml"],
                                  ["validate"]])
def test_exit_2_when_it_cannot_run(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GAIE_TUI_CACHE_HOME", str(tmp_path / "cache"))
    f = tmp_path / "v.yaml"
    f.write_text("a: 1\n")
    argv = [a.replace("{tmp}", str(f)) for a in argv]
    with pytest.raises(SystemExit) if "xml" in argv else _nothing():
        rc, _, err = run(argv, capsys)
        assert rc == 2 and "Traceback" not in err
    if argv == ["validate"]:
        assert "no values file given" in err
    if "xml" in argv:
        assert capsys.readouterr()


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_exit_2_for_a_folder(tmp_path, capsys):
    rc, _, err = run(["validate", str(tmp_path)], capsys)
    assert rc == 2 and "folder" in err


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from gaie_tui.commands import validate
    from gaie_tui.commands.common import use_color

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty()) is True
    assert use_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(Tty()) is False
    assert validate._paint("error", "error", True).startswith("\x1b[")
    assert validate._paint("error", "error", False) == "error"


def test_real_process_deep_and_exit_status(tmp_path):
    f = tmp_path / "v.yaml"
    f.write_text(generated("inferencepool-v1.4.0", "istio"))
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "gaie-tui"), "validate", str(f), "--deep"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 errors, 0 warnings" in proc.stdout
    assert "\x1b[" not in proc.stdout
