"""Deploying: the Plan, the engine (plan → preflight → helm while watching → verify → record),
actions on existing releases, and the record writer."""
