"""Server-side printing: `meta.k8s.io/v1 Table` answers for clients that ask for them (kubectl get,
helm status), with the columns kubectl users expect for the common kinds and NAME/AGE otherwise."""
from __future__ import annotations

from datetime import UTC, datetime

from .resources import ResourceType

TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def wants_table(accept: str | None) -> bool:
    return bool(accept) and "as=Table" in accept and "g=meta.k8s.io" in accept


def age(timestamp: str | None, now: datetime | None = None) -> str:
    if not timestamp:
        return "<unknown>"
    try:
        then = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    secs = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size * 2 or (unit == "m" and secs >= 120):
            return f"{secs // size}{unit}"
    return f"{secs}s"


def _pod_cells(o: dict) -> list:
    status = o.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    total = len((o.get("spec") or {}).get("containers") or []) or len(statuses)
    reason = status.get("phase", "Pending")
    for c in statuses:
        waiting = (c.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
    if o["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    return [o["metadata"]["name"], f"{ready}/{total}", reason, restarts, age(o["metadata"].get("creationTimestamp")),
            status.get("podIP", "<none>"), (o.get("spec") or {}).get("nodeName", "<none>")]


def _service_ports(o: dict) -> str:
    ports = (o.get("spec") or {}).get("ports") or []
    return ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports) or "<none>"


_COLUMNS: dict[str, tuple[list[tuple[str, str, int]], object]] = {
    "Pod": ([("Name", "string", 0), ("Ready", "string", 0), ("Status", "string", 0), ("Restarts", "integer", 0),
             ("Age", "string", 0), ("IP", "string", 1), ("Node", "string", 1)], _pod_cells),
    "Deployment": ([("Name", "string", 0), ("Ready", "string", 0), ("Up-to-date", "integer", 0),
                    ("Available", "integer", 0), ("Age", "string", 0)],
                   lambda o: [o["metadata"]["name"],
                              f"{(o.get('status') or {}).get('readyReplicas', 0)}/{(o.get('spec') or {}).get('replicas', 1)}",
                              (o.get("status") or {}).get("updatedReplicas", 0),
                              (o.get("status") or {}).get("availableReplicas", 0),
                              age(o["metadata"].get("creationTimestamp"))]),
    "ReplicaSet": ([("Name", "string", 0), ("Desired", "integer", 0), ("Current", "integer", 0),
                    ("Ready", "integer", 0), ("Age", "string", 0)],
                   lambda o: [o["metadata"]["name"], (o.get("spec") or {}).get("replicas", 1),
                              (o.get("status") or {}).get("replicas", 0), (o.get("status") or {}).get("readyReplicas", 0),
                              age(o["metadata"].get("creationTimestamp"))]),
    "Service": ([("Name", "string", 0), ("Type", "string", 0), ("Cluster-IP", "string", 0),
                 ("External-IP", "string", 0), ("Port(s)", "string", 0), ("Age", "string", 0)],
                lambda o: [o["metadata"]["name"], (o.get("spec") or {}).get("type", "ClusterIP"),
                           (o.get("spec") or {}).get("clusterIP", "<none>"), "<none>", _service_ports(o),
                           age(o["metadata"].get("creationTimestamp"))]),
    "Namespace": ([("Name", "string", 0), ("Status", "string", 0), ("Age", "string", 0)],
                  lambda o: [o["metadata"]["name"], (o.get("status") or {}).get("phase", "Active"),
                             age(o["metadata"].get("creationTimestamp"))]),
    "Secret": ([("Name", "string", 0), ("Type", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)],
               lambda o: [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}),
                          age(o["metadata"].get("creationTimestamp"))]),
    "ConfigMap": ([("Name", "string", 0), ("Data", "integer", 0), ("Age", "string", 0)],
                  lambda o: [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}),
                             age(o["metadata"].get("creationTimestamp"))]),
    "Event": ([("Last Seen", "string", 0), ("Type", "string", 0), ("Reason", "string", 0), ("Object", "string", 0),
               ("Message", "string", 0)],
              lambda o: [age(o.get("lastTimestamp")), o.get("type", ""), o.get("reason", ""),
                         f"{(o.get('involvedObject') or {}).get('kind', '').lower()}/"
                         f"{(o.get('involvedObject') or {}).get('name', '')}", o.get("message", "")]),
}
_DEFAULT = ([("Name", "string", 0), ("Age", "string", 0)],
            lambda o: [o["metadata"]["name"], age(o["metadata"].get("creationTimestamp"))])


def table(rt: ResourceType, items: list[dict], resource_version: str, include_object: str = "Metadata") -> dict:
    columns, cells = _COLUMNS.get(rt.kind, _DEFAULT)
    rows = []
    for obj in items:
        row: dict = {"cells": cells(obj)}
        if include_object == "Object":
            row["object"] = {**obj, "apiVersion": rt.api_version}
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": [{"name": n, "type": t, "format": "name" if n == "Name" else "", "description": n,
                                   "priority": p} for n, t, p in columns],
            "rows": rows}
