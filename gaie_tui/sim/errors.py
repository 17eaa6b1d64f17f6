"""API errors carried as exceptions and rendered as Kubernetes `Status` objects."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ApiError(Exception):
    code: int
    reason: str
    message: str
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message}"

    def status(self) -> dict:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body

    @classmethod
    def not_found(cls, resource: str, name: str) -> ApiError:
        return cls(404, "NotFound", f'{resource} "{name}" not found',
                   {"name": name, "kind": resource.split(".")[0]})

    @classmethod
    def already_exists(cls, resource: str, name: str) -> ApiError:
        return cls(409, "AlreadyExists", f'{resource} "{name}" already exists',
                   {"name": name, "kind": resource.split(".")[0]})

    @classmethod
    def conflict(cls, resource: str, name: str) -> ApiError:
        return cls(409, "Conflict", f'Operation cannot be fulfilled on {resource} "{name}": the object has '
                   "been modified; please apply your changes to the latest version and try again",
                   {"name": name, "kind": resource.split(".")[0]})

    @classmethod
    def invalid(cls, kind: str, name: str, causes: list[tuple[str, str]]) -> ApiError:
        text = "; ".join(f"{f}: {m}" for f, m in causes)
        return cls(422, "Invalid", f'{kind} "{name}" is invalid: {text}',
                   {"name": name, "kind": kind,
                    "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes]})

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, "BadRequest", message)

    @classmethod
    def forbidden(cls, message: str) -> ApiError:
        return cls(403, "Forbidden", message)

    @classmethod
    def method_not_allowed(cls) -> ApiError:
        return cls(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
