"""Deploying: the Plan (plan.py), the engine that runs it phase by phase (engine.py), an existing
release's state and the actions that fit it (release.py), the record (record.py), and what Review
shows beside the plan (diff.py)."""
