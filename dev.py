#!/usr/bin/env python3
"""Project bootstrap: `python3 dev.py demo` runs the wizard, `python3 dev.py test` runs the tests.

Needs only Python >= 3.11 and git. Creates .venv, installs the project with its test
extra, fetches helm/kubectl into .tools/bin when no usable helm is on PATH, then runs.
A second run skips every step whose inputs did not change.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
TOOLS = ROOT / ".tools" / "bin"


def sh(argv: list[str], **kw) -> None:
    r = subprocess.run(argv, **kw)
    if r.returncode != 0:
        sys.exit(r.returncode)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs under whatever python3 the user has
        sys.exit(f"gaie-tui needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not (BIN / "python").exists():
        print("creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    print("installing gaie-tui and its test dependencies into .venv ...", file=sys.stderr)
    sh([str(BIN / "python"), "-m", "pip", "install", "-qq", "--disable-pip-version-check",
        "-e", f"{ROOT}[test]"])
    stamp.write_text(want)


def ensure_helm() -> dict[str, str]:
    sh([str(BIN / "python"), str(ROOT / "scripts" / "install-helm")], stdout=subprocess.DEVNULL)
    env = dict(os.environ)
    if TOOLS.exists():
        env["PATH"] = f"{TOOLS}{os.pathsep}{BIN}{os.pathsep}{env.get('PATH', '')}"
    else:
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def local_charts(env: dict[str, str]) -> None:
    """A source checkout's convenience (the package itself never looks for it): the real chart
    archives of ../shared/charts, when they are there, for the demo to render and deploy without a
    network. GAIE_TUI_CHART_DIRS set by the user wins."""
    shared = ROOT.parent / "shared" / "charts"
    if shared.is_dir() and not env.get("GAIE_TUI_CHART_DIRS"):
        env["GAIE_TUI_CHART_DIRS"] = str(shared)


def run_with_deadline(argv: list[str], env: dict[str, str]) -> int:
    """Run the tests, but never for longer than the deadline: a hung test (or an xdist worker
    lost to a crash) must turn into a red run with stack dumps, not a CI job that never ends."""
    import shutil
    import tempfile
    deadline = float(env.get("GAIE_TUI_TEST_DEADLINE", "1080"))  # 18 minutes; CI allows 20
    stacks = Path(tempfile.mkdtemp(prefix="gaie-tui-stacks-"))
    proc = subprocess.Popen(argv, cwd=ROOT, env={**env, "GAIE_TUI_STACKS_DIR": str(stacks)}, start_new_session=True)
    try:
        return proc.wait(timeout=deadline)
    except subprocess.TimeoutExpired:
        print(f"\ndev.py: the tests ran longer than {deadline:.0f} s; stopping them (their stacks follow)",
              file=sys.stderr, flush=True)
        _stop(proc, signal.SIGUSR1, 3)  # faulthandler (registered in tests/conftest.py) dumps every stack
        for dump in sorted(stacks.glob("*.txt")):
            text = dump.read_text(errors="replace").strip()
            if text:
                print(f"\n==== process {dump.stem} ====\n{text}", file=sys.stderr, flush=True)
        _stop(proc, signal.SIGTERM, 10)
        _stop(proc, signal.SIGKILL, 10)
        return 1
    except KeyboardInterrupt:
        _stop(proc, signal.SIGINT, 20)
        _stop(proc, signal.SIGKILL, 5)
        return 130
    finally:
        shutil.rmtree(stacks, ignore_errors=True)


def _stop(proc: subprocess.Popen, sig: int, wait: float) -> None:
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=wait)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass


def main() -> int:
    cmd = sys.argv[1] if len(sys.argv) > 1 else "help"
    rest = sys.argv[2:]
    if cmd not in {"demo", "test", "setup", "bench", "screenshots", "run"}:
        print(__doc__)
        return 0 if cmd == "help" else 2
    ensure_venv()
    env = ensure_helm()
    if cmd == "setup":
        return 0
    if cmd in ("demo", "run", "screenshots", "bench"):
        local_charts(env)
    if cmd == "demo":
        os.execve(str(BIN / "gaie-tui"), [str(BIN / "gaie-tui"), "demo", *rest], env)
    if cmd == "run":
        os.execve(str(BIN / "gaie-tui"), [str(BIN / "gaie-tui"), *rest], env)
    if cmd == "test":
        # the standing rules first: lint, then the layering contracts (core/sim never import the UI)
        sh([str(BIN / "ruff"), "check", "--quiet", "gaie_tui", "tests", "benchmarks", "scripts", "dev.py"], cwd=ROOT)
        r = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            sys.stdout.write(r.stdout + r.stderr)
            sys.exit(r.returncode)
        argv = [str(BIN / "python"), "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", *rest]
        return run_with_deadline(argv, env)
    if cmd == "bench":
        argv = [str(BIN / "python"), str(ROOT / "benchmarks" / "run.py"), *rest]
        os.execve(argv[0], argv, env)
    if cmd == "screenshots":
        argv = [str(BIN / "python"), str(ROOT / "scripts" / "screenshots.py"), *rest]
        os.execve(argv[0], argv, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
