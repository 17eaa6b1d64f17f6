"""YAML we did not write — a chart archive's `values.yaml` and `Chart.yaml`, the manifests helm
prints, a kubeconfig — read under the same budget as a values file: a size limit, a limit on the
values after alias expansion and on nesting, counted on the node graph before anything is built.
A 469-byte alias bomb must fail in milliseconds, not eat the machine's memory.

    load(text, "values.yaml")                                  one document
    load_all(text, "helm's manifest", max_bytes=…, hint=…)     every document of a stream
"""
from __future__ import annotations

import yaml

from ..errors import UserError
from ..yamlbudget import MAX_DEPTH, MAX_NODES, OverBudget, expanded_size

MAX_BYTES = 2 * 1024 * 1024  # the values-file limit; real charts' values.yaml are ~10-30 kB

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ChartYamlError(UserError):
    """A YAML file inside a chart that cannot be used (broken, too large, an alias bomb)."""


NOT_A_CHART = "this is not a real chart; check where the archive came from"
DAMAGED = "the chart is damaged; download it again"


def _check_size(text: str, label: str, max_bytes: int, hint: str) -> None:
    if len(text) > max_bytes:
        raise ChartYamlError(f"{label} is {len(text.encode('utf-8', 'replace')) / 1024 / 1024:.1f} MB; "
                             f"YAML files over {max_bytes // 1024 // 1024} MB are refused", hint)


def _syntax_error(exc: yaml.YAMLError, label: str, hint: str) -> ChartYamlError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return ChartYamlError(f"{label} is not valid YAML{where}: {exc.problem or exc.context or 'syntax error'}",
                              hint)
    first = str(exc).splitlines()[0] if str(exc) else "syntax error"
    return ChartYamlError(f"{label} is not valid YAML: {first}", hint)


def compose(text: str, label: str, *, max_bytes: int = MAX_BYTES, hint: str = ""):
    """The node graph of one YAML document (None for an empty one), refused when it is too
    large, too deep or expands past the budget. `label` names the file in messages; `hint`
    says what to do (by default: the chart is damaged or not a real chart)."""
    _check_size(text, label, max_bytes, hint or NOT_A_CHART)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, label, hint or DAMAGED) from None
    except RecursionError:
        raise _too_deep(label, hint) from None
    if root is not None:
        check_budget(root, label, hint=hint)
    return root


def load_all(text: str, label: str, *, max_bytes: int = MAX_BYTES, hint: str = "") -> list:
    """Every document of a YAML stream (helm's manifests), each built only after the whole
    stream passed the budget: MAX_NODES counts the values of all documents together."""
    _check_size(text, label, max_bytes, hint or NOT_A_CHART)
    roots = []
    total = 0
    try:
        for root in yaml.compose_all(text, Loader=_Loader):
            if root is not None:
                total += check_budget(root, label, hint=hint)
                if total > MAX_NODES:
                    raise _too_many(label, root, hint)
                roots.append(root)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, label, hint or DAMAGED) from None
    except RecursionError:
        raise _too_deep(label, hint) from None
    return [construct(root, label, hint=hint) for root in roots]


def _too_many(label: str, node, hint: str) -> ChartYamlError:
    return ChartYamlError(f"{label}: aliases expand to more than {MAX_NODES:,} values "
                          f"(an alias bomb, line {node.start_mark.line + 1})", hint or NOT_A_CHART)


def check_budget(root, label: str, *, hint: str = "") -> int:
    """The number of values `root` expands to, counted without expanding anything;
    ChartYamlError past MAX_NODES, MAX_DEPTH or on a recursive alias."""
    try:
        return expanded_size(root)
    except OverBudget as over:
        if over.why == "deep":
            raise _too_deep(label, hint) from None
        if over.why == "recursive":
            raise ChartYamlError(f"{label}: an alias refers to its own anchor (line {over.line})",
                                 hint or NOT_A_CHART) from None
        raise _too_many(label, over.node, hint) from None


def construct(root, label: str, *, hint: str = ""):
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
        raise ChartYamlError(f"{label} has a value YAML cannot build{where}: {problem}", hint or DAMAGED) from None
    except RecursionError:
        raise _too_deep(label, hint) from None
    finally:
        loader.dispose()


def load(text: str, label: str, *, max_bytes: int = MAX_BYTES, hint: str = ""):
    """compose() then construct(): one bounded safe_load."""
    return construct(compose(text, label, max_bytes=max_bytes, hint=hint), label, hint=hint)


def _too_deep(label: str, hint: str = "") -> ChartYamlError:
    return ChartYamlError(f"{label} nests deeper than {MAX_DEPTH} levels", hint or NOT_A_CHART)
