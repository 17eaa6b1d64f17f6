"""Where gaie-tui keeps its files: XDG folders, each overridable by an environment variable.

GAIE_TUI_CONFIG_DIR / GAIE_TUI_CACHE_DIR / GAIE_TUI_STATE_DIR win over XDG_*_HOME, which win
over the ~/.config, ~/.cache, ~/.local/state defaults. Tests point them at tmp folders.
"""
from __future__ import annotations

import os
from pathlib import Path

APP = "gaie-tui"


def _dir(own: str, xdg: str, fallback: str) -> Path:
    if value := os.environ.get(own):
        return Path(value).expanduser()
    base = os.environ.get(xdg) or str(Path.home() / fallback)
    return Path(base).expanduser() / APP


def config_dir() -> Path:
    return _dir("GAIE_TUI_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")


def cache_dir() -> Path:
    return _dir("GAIE_TUI_CACHE_DIR", "XDG_CACHE_HOME", ".cache")


def state_dir() -> Path:
    return _dir("GAIE_TUI_STATE_DIR", "XDG_STATE_HOME", ".local/state")
