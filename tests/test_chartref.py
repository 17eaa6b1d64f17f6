from __future__ import annotations

import pytest

from gaie_tui.core.charts.refs import ChartRef, parse_ref
from gaie_tui.core.errors import UserError


def test_family_with_version():
    ref = parse_ref("inferencepool@v1.3.0")
    assert ref == ChartRef(family="inferencepool", version="v1.3.0")
    assert ref.oci_address == "oci://registry.k8s.io/gateway-api-inference-extension/charts/inferencepool"


def test_version_without_v_is_accepted():
    assert parse_ref("llm-d-router-gateway@0.10.0").version == "v0.10.0"


def test_family_alone_means_newest_known():
    assert parse_ref("inferencepool").version == "v1.5.0"


def test_oci_mirror_keeps_family():
    ref = parse_ref("oci://harbor.example/charts/inferencepool@v1.3.0")
    assert ref.family == "inferencepool" and ref.oci == "oci://harbor.example/charts/inferencepool"


@pytest.mark.parametrize("text,needle", [
    ("nosuchchart@v1.0.0", "unknown chart"),
    ("inferencepool@latest", "not a chart version"),
    ("oci://harbor.example/charts/inferencepool", "no version"),
    ("./missing/chart.tgz", "does not exist"),
])
def test_bad_references_say_what_to_do(text, needle):
    with pytest.raises(UserError) as err:
        parse_ref(text)
    assert needle in str(err.value)
    assert err.value.hint
