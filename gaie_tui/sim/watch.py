"""Watch streams: the initial state (with the `k8s.io/initial-events-end` bookmark helm's
WatchList needs), then every change from the store's event log, filtered like a list request."""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from . import tables
from .errors import ApiError
from .resources import ResourceType
from .selectors import fields_match, labels_match

if TYPE_CHECKING:
    from .http import ApiHandler


def stream(handler: ApiHandler, rt: ResourceType, namespace: str | None, labels, fields) -> None:
    """Answer a watch request with a chunked stream of JSON events until timeout, reset or stop."""
    store = handler.sim.store
    try:
        timeout = float(handler.query.get("timeoutSeconds") or 1800)
    except ValueError:
        raise ApiError.bad_request("timeoutSeconds must be a number") from None
    send_initial = handler.query.get("sendInitialEvents") == "true"
    start_rv = handler.query.get("resourceVersion", "")
    if send_initial or start_rv in ("", "0"):
        with store.lock:
            initial, rv = store.list(rt, namespace, labels, fields)
            after = int(rv)
    else:
        initial = []
        try:
            after = int(start_rv)
        except ValueError:
            raise ApiError.bad_request(f"invalid resourceVersion {start_rv!r}") from None
        store.events_after(after)  # raises 410 before the stream starts when too old
    as_table = tables.wants_table(handler.headers.get("Accept"))
    include = handler.query.get("includeObject", "Metadata")
    handler.send_response(200)
    handler.send_header("Content-Type", tables.TABLE_CONTENT_TYPE if as_table else "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.send_header("Cache-Control", "no-cache, private")
    handler.end_headers()
    handler.sim.record("GET", handler.path, 200)

    def emit(kind: str, obj: dict) -> None:
        if obj.get("apiVersion") != rt.api_version:
            obj = {**obj, "apiVersion": rt.api_version}
        if as_table and kind in ("ADDED", "MODIFIED", "DELETED"):
            obj = tables.table(rt, [obj], obj["metadata"]["resourceVersion"], include)
        line = json.dumps({"type": kind, "object": obj}, separators=(",", ":")).encode() + b"\n"
        handler.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
        handler.wfile.flush()

    def matches(obj: dict | None) -> bool:
        return obj is not None and (not labels or labels_match(labels, obj["metadata"].get("labels"))) \
            and (not fields or fields_match(fields, obj))

    deadline = time.monotonic() + timeout
    generation = handler.sim.generation
    try:
        for obj in initial:
            emit("ADDED", obj)
        if send_initial and handler.query.get("allowWatchBookmarks") == "true":
            emit("BOOKMARK", {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": {
                "resourceVersion": str(after), "annotations": {"k8s.io/initial-events-end": "true"}}})
        while time.monotonic() < deadline and not handler.sim.stopping and generation == handler.sim.generation:
            try:
                events = store.events_after(after)
            except ApiError as err:
                emit("ERROR", err.status())
                break
            for ev in events:
                after = ev.rv
                if ev.key != rt.key or (namespace is not None and ev.namespace != namespace):
                    continue
                now, before = matches(ev.obj), matches(ev.prev)
                if ev.type == "DELETED":
                    if before or now:
                        emit("DELETED", ev.obj)
                elif now:
                    emit("ADDED" if ev.type == "ADDED" or not before else "MODIFIED", ev.obj)
                elif before:
                    emit("DELETED", ev.obj)
            store.wait(after, min(0.5, max(0.0, deadline - time.monotonic())))
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError, OSError):
        handler.close_connection = True
