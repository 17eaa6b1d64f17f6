"""YAML from a chart archive (its `values.yaml`, `Chart.yaml`), read under the same budget as a
values file: a size limit, a limit on the values after alias expansion and on nesting, counted on
the node graph before anything is built. An archive is input we did not write: a 469-byte alias
bomb in its values.yaml must fail in milliseconds, not eat the machine's memory.
"""
from __future__ import annotations

import yaml

from ..errors import UserError

MAX_BYTES = 2 * 1024 * 1024  # the values-file limit; real charts' values.yaml are ~10-30 kB
MAX_NODES = 200_000          # values after alias expansion, as for values files
MAX_DEPTH = 200

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ChartYamlError(UserError):
    """A YAML file inside a chart that cannot be used (broken, too large, an alias bomb)."""


def compose(text: str, label: str):
    """The node graph of one YAML document (None for an empty one), refused when it is too
    large, too deep or expands past the budget. `label` names the file in messages."""
    if len(text) > MAX_BYTES:
        raise ChartYamlError(f"{label} is {len(text.encode('utf-8', 'replace')) / 1024 / 1024:.1f} MB; "
                             f"YAML files over {MAX_BYTES // 1024 // 1024} MB are refused",
                             "this is not a real chart; check where the archive came from")
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ChartYamlError(f"{label} is not valid YAML{where}: {exc.problem or exc.context or 'syntax error'}",
                             "the chart is damaged; download it again") from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "syntax error"
        raise ChartYamlError(f"{label} is not valid YAML: {first}", "the chart is damaged; download it again") from None
    except RecursionError:
        raise _too_deep(label) from None
    if root is not None:
        check_budget(root, label)
    return root


def check_budget(root, label: str) -> int:
    """The number of values `root` expands to, counted without expanding anything (memoised
    per node); ChartYamlError past MAX_NODES, MAX_DEPTH or on a recursive alias."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise _too_deep(label)
        nid = id(node)
        if nid in memo:
            return memo[nid]
        if nid in active:
            raise ChartYamlError(f"{label}: an alias refers to its own anchor (line {node.start_mark.line + 1})",
                                 "this is not a real chart; check where the archive came from")
        active.add(nid)
        if isinstance(node, yaml.ScalarNode):
            n = 1
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(c, depth + 1) for c in node.value)
        else:
            n = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        active.discard(nid)
        memo[nid] = n
        if n > MAX_NODES:
            raise ChartYamlError(f"{label}: aliases expand to more than {MAX_NODES:,} values "
                                 f"(an alias bomb, line {node.start_mark.line + 1})",
                                 "this is not a real chart; check where the archive came from")
        return n

    try:
        return size(root, 0)
    except RecursionError:
        raise _too_deep(label) from None


def construct(root, label: str):
    """Python values from a node graph that passed the budget."""
    if root is None:
        return None
    loader = _Loader("")
    try:
        return loader.construct_document(root)
    except (yaml.YAMLError, ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        # a tag with a bad value (`!!int abc`) fails inside PyYAML's constructors
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "a value does not match its tag"
        raise ChartYamlError(f"{label} has a value YAML cannot build{where}: {problem}",
                             "the chart is damaged; download it again") from None
    except RecursionError:
        raise _too_deep(label) from None
    finally:
        loader.dispose()


def load(text: str, label: str):
    """compose() then construct(): one bounded safe_load."""
    return construct(compose(text, label), label)


def _too_deep(label: str) -> ChartYamlError:
    return ChartYamlError(f"{label} nests deeper than {MAX_DEPTH} levels",
                          "this is not a real chart; check where the archive came from")
