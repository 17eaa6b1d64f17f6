"""Run every benchmark and print its numbers: `python3 dev.py bench [NAME …]`.

Benchmarks report numbers; they never pass or fail on time (timing goals live here, not in tests).
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ("checker", "sim", "engine", "releases", "ui", "releases_ui")


def main(argv: list[str]) -> int:
    names = argv or list(ORDER)
    unknown = [n for n in names if not (HERE / f"bench_{n}.py").is_file()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(ORDER)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        r = subprocess.run([sys.executable, str(HERE / f"bench_{name}.py")])
        print(f"   ({name}: {time.perf_counter() - start:.1f} s wall, exit {r.returncode})\n", flush=True)
        status = status or r.returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
