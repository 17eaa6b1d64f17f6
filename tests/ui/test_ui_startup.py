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
    from gaie_tui.ui.app import GaieApp
    from gaie_tui.ui.services import Services
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
        app = GaieApp(Services(), resume=False)
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


async def test_namespace_is_read_only_after_the_cluster_answered(app_factory, fake):
    calls: list[str] = []
    connect, secrets = fake.connect, fake.secret_names
    fake.connect = lambda ctx: (calls.append("connect"), connect(ctx))[1]
    fake.secret_names = lambda ns: (calls.append(f"secrets {ns}"), secrets(ns))[1]
    app = app_factory(fake)
    async with app.run_test(size=(80, 24), notifications=False) as pilot:
        await pilot.pause(0.5)
        assert calls and calls[0] == "connect", calls
        assert "secrets llm-d" in calls
