"""Verification: what a release should look like (from its manifest), a snapshot of what the
cluster shows, and the checks that compare the two."""
