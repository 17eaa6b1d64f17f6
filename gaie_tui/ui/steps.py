"""The wizard's steps, in order, with their titles (screens and the app both read them here, so
neither imports the other)."""
from __future__ import annotations

STEPS = ("setup", "values", "review", "deploy", "verify", "record")
STEP_TITLES = {"setup": "Setup", "values": "Values", "review": "Review", "deploy": "Deploy",
               "verify": "Verify", "record": "Record"}
