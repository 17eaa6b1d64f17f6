"""Migrating the values of a release that is deployed (the wizard's "migrate" action on a release),
and proving values that were edited after the migration (Review proves what will be deployed, not
what the migration first wrote).

    targets("inferencepool", "v1.4.0")        # ["inferencepool@v1.5.0", "llm-d-router-gateway@v0.10.0"]
    m = migrate_release(session, "gaie", "llm-d", "llm-d-router-gateway@v0.10.0")
    m.files[0].text, m.proof                  # the migrated values, and the proof
    proof_for(m, edited_text, helm)           # the proof again, for the text as it is now
"""
from __future__ import annotations

from ..charts import versions
from ..charts.refs import FAMILIES
from ..errors import UserError
from . import Migration, Proof, migrate, prove

SUCCESSOR = "llm-d-router-gateway"


def targets(family: str, version: str) -> list[str]:
    """Where a release of `family` `version` can be migrated to: the newest later version of its own
    family (when there is one), then the successor chart's newest version (for inferencepool)."""
    out = []
    fam = FAMILIES.get(family)
    if fam is not None and versions.parse(version) is not None:
        later = [v for v in fam.released if versions.key(v) > versions.key(version)]
        if later:
            out.append(f"{family}@{max(later, key=versions.key)}")
    if family != SUCCESSOR:
        out.append(f"{SUCCESSOR}@{FAMILIES[SUCCESSOR].released[-1]}")
    return out


def migrate_release(session, release: str, namespace: str, to_ref: str) -> Migration:
    """The deployed values of `release` (helm get values, headed by the chart it runs) migrated to
    `to_ref`, proven with the real helm (both charts' archives are needed for the proof)."""
    from ..deploy.actions import deployed_values_text
    from ..values.generate import chart_from_header
    helm = session.helm_binary()
    text = deployed_values_text(helm, release, namespace, session.kube_args())
    src_ref = chart_from_header(text)
    if not src_ref:
        raise UserError(f"cannot tell which chart release {release} runs", "gaie-tui releases shows its chart")
    src, dst = session.chart(src_ref), session.chart(to_ref)
    store = session.store
    for chart in (src, dst):
        if store.ensure_archive(chart) is None:
            raise UserError(f"no chart archive for {chart.name} {chart.version}: the proof renders both charts",
                            "give archives with GAIE_TUI_CHART_DIRS, or let gaie-tui reach the chart registry")
    return migrate([(f"values of release {release} ({namespace})", text)], src, dst, helm=helm)


def proof_for(migration: Migration, text: str, helm: str) -> Proof:
    """The migration's proof for `text` (the migrated values as edited since): the old values with
    the old chart against `text` with the new chart."""
    from ..values import source as yamlsource
    if migration.files and text == migration.files[0].text and migration.proof is not None:
        return migration.proof
    src = yamlsource.parse(text, migration.files[0].name if migration.files else "values")
    if not src.ok or not isinstance(src.values, dict):
        return Proof(error="the values do not parse: fix them on Values")
    return prove(migration.src, migration.old_values, migration.dst, src.values, helm=helm,
                 explained=migration.case().explained)
