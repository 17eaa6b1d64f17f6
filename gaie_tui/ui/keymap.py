"""Binding ids and user overrides from `<config>/keymap.toml`.

    # ~/.config/gaie-tui/keymap.toml
    [keys]
    "values.next_problem" = "f8"
    "app.quit" = "ctrl+q,ctrl+x"

Every binding in the app has an id; `gaie-tui` reads this file at start and hands it to
`App.set_keymap`. Unknown ids are reported once as a notification, not an error.
"""
from __future__ import annotations

from pathlib import Path


def keymap_path() -> Path:
    from ..core.paths import config_dir
    return config_dir() / "keymap.toml"


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str | None]:
    """(id → keys, problem). A broken file gives ({}, why) so the app starts anyway."""
    path = path or keymap_path()
    if not path.is_file():
        return {}, None
    import tomllib  # only when there is a file: most starts have none
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return {}, f"{path}: {exc}"
    keys = data.get("keys", data)
    out = {str(k): str(v) for k, v in keys.items() if isinstance(v, str)}
    return out, None
