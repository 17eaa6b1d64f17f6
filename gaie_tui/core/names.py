"""Validation of names that reach Kubernetes or helm, with messages that say what to type."""
from __future__ import annotations

import re

from .errors import UserError

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
RELEASE_MAX = 53  # helm's limit for release names


def release_problem(name: str) -> str | None:
    """Why `name` cannot be a helm release name, or None."""
    if not name:
        return "a release name is required"
    if len(name) > RELEASE_MAX:
        return f"is {len(name)} characters; helm allows at most {RELEASE_MAX}"
    if not _DNS1123_LABEL.match(name):
        return "must be lower-case letters, digits and '-', starting and ending with a letter or digit"
    return None


def namespace_problem(name: str) -> str | None:
    if not name:
        return "a namespace is required"
    if len(name) > 63:
        return f"is {len(name)} characters; Kubernetes allows at most 63"
    if not _DNS1123_LABEL.match(name):
        return "must be lower-case letters, digits and '-', starting and ending with a letter or digit"
    return None


def check_release(name: str) -> str:
    if problem := release_problem(name):
        raise UserError(f"invalid release name {name!r}: {problem}", "e.g. --release gaie-inference-scheduling")
    return name


def check_namespace(name: str) -> str:
    if problem := namespace_problem(name):
        raise UserError(f"invalid namespace {name!r}: {problem}", "e.g. --namespace llm-d")
    return name


def label_key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        return f"prefix {prefix!r} must be a DNS subdomain such as llm-d.ai"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return "name part must be 1-63 characters of letters, digits, '-', '_' or '.'"
    return None


def label_value_problem(value: str) -> str | None:
    if value and (len(value) > 63 or not _LABEL_NAME.match(value)):
        return "must be at most 63 characters of letters, digits, '-', '_' or '.'"
    return None


def parse_selector(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"selector {item!r} is not KEY=VALUE", 'e.g. --selector llm-d.ai/inferenceServing=true')
        if problem := label_key_problem(key):
            raise UserError(f"selector label key {key!r}: {problem}", "use a Kubernetes label key")
        if problem := label_value_problem(value):
            raise UserError(f"selector label value {value!r}: {problem}", "use a Kubernetes label value")
        out[key] = value
    return out


def epp_name(release: str) -> str:
    """The chart's EPP name: release lower-cased, trimmed, cut to 40 characters, plus -epp."""
    return release.lower().strip()[:40] + "-epp"
