"""What happens before the first frame: nothing heavy is loaded, and nothing asks the cluster
before the cluster probe has answered."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.xdist_group("ui-startup")

PROBE = textwrap.dedent("""
    import asyncio, json, sys
    from gaie_tui.core.session import Session
    from gaie_tui.ui.app import GaieApp
    from gaie_tui.ui.screens import setup

    HEAVY = ("kubernetes", "httpx", "jsonschema", "yaml", "tree_sitter", "gaie_tui.core.cluster.kube",
             "gaie_tui.core.check.checker", "gaie_tui.core.charts.store", "gaie_tui.core.upstream", "gaie_tui.sim")
    seen = {}
    after_first_frame = setup.SetupScreen._after_first_frame

    def spy(self):
        seen["loaded"] = [m for m in HEAVY if m in sys.modules]
        after_first_frame(self)

    setup.SetupScreen._after_first_frame = spy

    async def main():
        app = GaieApp(Session(), resume=False)
        async with app.run_test(size=(80, 24), notifications=False) as pilot:
            for _ in range(100):
                if "loaded" in seen:
                    break
                await pilot.pause(0.05)

    asyncio.run(main())
    print(json.dumps(seen))
""")


def test_first_frame_loads_no_heavy_library(tmp_path):
    """A fresh process: by the time Setup is on the screen, no kubernetes client, HTTP client,
    YAML parser, syntax highlighter, checker or chart knowledge has been imported."""
    env = dict(os.environ, KUBECONFIG=str(tmp_path / "no-such-kubeconfig"),
               **{f"GAIE_TUI_{n}_DIR": str(tmp_path / n.lower()) for n in ("CONFIG", "CACHE", "STATE")})
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"loaded": []}


async def test_namespace_is_read_only_after_the_cluster_answered(app_factory, sim):
    """Nothing asks the cluster about the namespace before the probe has answered; the secrets
    are read by name only (metadata lists)."""
    session, sc = sim
    app = app_factory(session)
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        from uihelp import setup_settled
        await setup_settled(pilot, app)
        log = list(sc.server.request_log)
        first_ns = next(i for i, r in enumerate(log) if "/namespaces/llm-d/" in r)
        assert any(r.startswith("GET /version") for r in log[:first_ns]), log[:first_ns + 1]
        assert any("/namespaces/llm-d/secrets" in r for r in log)
