"""What Review shows beside the plan: the settings that differ from the chart's defaults, and on an
upgrade the difference from the deployed release's values. Secrets are redacted."""
from __future__ import annotations

import difflib
import json

from ..redact import redact


def _leaves(values, prefix: str = ""):
    if isinstance(values, dict) and values:
        for k, v in values.items():
            yield from _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    else:
        yield prefix, values


def _short(value, limit: int = 60) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "…"


def deviations(chart, values: dict, limit: int = 30) -> list[str]:
    """`path: default → value` for every set leaf whose value differs from the chart's default."""
    out = []
    for path, value in _leaves(values):
        node = chart.tree.find(path)
        if node is not None and node.has_default and node.default != value and not isinstance(value, dict):
            out.append(redact(f"{path}: {_short(node.default)} → {_short(value)}"))
    return out[:limit]


def values_diff(deployed_text: str, new_text: str, limit: int = 80) -> list[str]:
    """A unified diff of the deployed values and the new ones (normalised: keys sorted, comments
    gone), without its header lines; [] when nothing changes."""
    import yaml
    try:
        old = yaml.safe_dump(yaml.safe_load(deployed_text) or {}, sort_keys=True).splitlines()
        new = yaml.safe_dump(yaml.safe_load(new_text) or {}, sort_keys=True).splitlines()
    except yaml.YAMLError:
        old, new = deployed_text.splitlines(), new_text.splitlines()
    diff = list(difflib.unified_diff(old, new, "deployed", "new", lineterm="", n=1))
    return [redact(line) for line in diff[2:limit + 2]]
