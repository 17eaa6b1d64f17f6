"""YAML request bodies (server-side apply) read under a budget, as the real API server does.

PyYAML shares aliased nodes while loading, so a 469-byte alias bomb loads quickly and then blows
up in whatever walks it (field validation, deep copies, JSON encoding): 7 s and 1.6 GB in the
emulator. The node graph is counted before anything is built, values after alias expansion,
memoised per node; past the budget the request is refused with 400 like any bad body. The same
limits as gaie-tui's values files (the emulator never imports gaie-tui's core, so they live here).
"""
from __future__ import annotations

import yaml

from .errors import ApiError

MAX_BYTES = 3 * 1024 * 1024   # the API server's own request limit for a single object is ~3 MB
MAX_NODES = 200_000
MAX_DEPTH = 200

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(raw: bytes):
    """The body as Python data, or ApiError 400 when it is too large, too deep, an alias bomb,
    not UTF-8 or not YAML."""
    if len(raw) > MAX_BYTES:
        raise ApiError(413, "RequestEntityTooLarge", f"YAML request body larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError.bad_request("the body of the request is not UTF-8") from None
    try:
        root = yaml.compose(text, Loader=_Loader)
        if root is None:
            return None
        _count(root)
        loader = _Loader("")
        try:
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except ApiError:
        raise
    except RecursionError:
        raise ApiError.bad_request(f"the body of the request nests deeper than {MAX_DEPTH} levels") from None
    except (yaml.YAMLError, ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ApiError.bad_request(f"the body of the request could not be decoded: {first}") from None


def _count(root) -> int:
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise ApiError.bad_request(f"the body of the request nests deeper than {MAX_DEPTH} levels")
        nid = id(node)
        if nid in memo:
            return memo[nid]
        if nid in active:
            raise ApiError.bad_request("the body of the request has an alias that refers to its own anchor")
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
            raise ApiError.bad_request(f"the body of the request expands to more than {MAX_NODES} values "
                                       "through YAML aliases")
        return n

    return size(root, 0)
