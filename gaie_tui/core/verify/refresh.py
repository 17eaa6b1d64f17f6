"""Looking again until the verification settles: refresh the snapshot, judge it, and stop when
nothing is still settling or a deadline has passed (the last look judges whatever still waits as
failed)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..cluster.checks import Check
from .checks import evaluate
from .expected import Expected
from .snapshot import fetch


def verify(cluster, exp: Expected, *, release_info: Callable[[], dict | None] | None = None,
           wait: float = 0.0, interval: float = 1.0, on_update: Callable[[list[Check], bool], None] | None = None,
           cancel: threading.Event | None = None, match_labels_path: str = "inferencePool.modelServers.matchLabels"
           ) -> list[Check]:
    """Refresh until nothing is settling or `wait` seconds have passed; returns the final checks.
    `on_update(checks, final)` is called after each refresh; `cancel` makes the next look the last."""
    deadline = time.monotonic() + wait
    while True:
        snap = fetch(cluster, exp, release_info=release_info)
        last_round = time.monotonic() >= deadline or (cancel is not None and cancel.is_set())
        checks, pending = evaluate(exp, snap, final=last_round, match_labels_path=match_labels_path)
        if not pending or last_round:  # on the last round, whatever still waits is judged final
            if on_update:
                on_update(checks, True)
            return checks
        if on_update:
            on_update(checks, False)
        sleep = min(interval, max(0.0, deadline - time.monotonic()))
        if cancel is not None:
            cancel.wait(sleep)
        else:
            time.sleep(sleep)
