"""The wizard (no subcommand): `gaie-tui [--values FILE]… [--chart REF] [--no-mouse]`; several
`--values` open a layered set (helm's order: later files win).

Textual is imported only here, so `gaie-tui --help` and the headless commands never load it.
"""
from __future__ import annotations

import os
import sys


def prepare_terminal_env() -> None:
    """Environment knobs Textual reads at import time: set them before importing it."""
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        os.environ.setdefault("ESCDELAY", "250")      # a split ESC over a slow link is not a lone ESC
        os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
        os.environ.setdefault("TEXTUAL_FPS", "30")


def run(args, *, session=None, banner: str | None = None) -> int:
    prepare_terminal_env()
    # Start-up allocates a few hundred thousand objects that all live on (Textual's modules, the
    # Setup form): the cyclic collector ran ~130 times over them before the first frame, about
    # 45 ms for nothing to free. The app turns it back on once that frame is painted.
    import gc
    gc.disable()
    try:
        return _run(args, session=session, banner=banner)
    finally:
        gc.enable()


def _run(args, *, session=None, banner: str | None = None) -> int:
    from ..core.errors import UserError
    from ..core.session import Session
    from ..ui.app import GaieApp, write_error_log
    from ..ui.state import WizardState

    state = WizardState()
    if getattr(args, "chart", None):
        from ..core.charts.refs import parse_ref
        ref = parse_ref(args.chart)          # a bad --chart is a usage error before the screen opens
        state.chart_ref = str(ref)
    values = getattr(args, "values", None) or []
    if isinstance(values, str):
        values = [values]
    for path in values:
        if os.path.isdir(path):
            raise UserError(f"values file {path} is a folder", "give a values file with --values FILE")
        if not os.path.isfile(path):
            raise UserError(f"values file {path} does not exist", "give an existing file with --values")
    session = session or Session()
    app = GaieApp(session, state, values_path=values or None, simulated_banner=banner, handle_signals=True)
    try:
        rc = app.run(mouse=not getattr(args, "no_mouse", False))
    except Exception as exc:  # noqa: BLE001 - never a traceback on the user's terminal
        path = write_error_log(exc)
        from ..core.redact import redact
        print(redact(f"gaie-tui: unexpected error: {exc}\ndetails: {path or 'the log could not be written'}"),
              file=sys.stderr)
        return 1
    finally:
        session.close()
        from ..core.cluster.helm import stop_all
        stop_all()      # no helm outlives the wizard, however it ended
    return int(rc or app.return_code or 0)
