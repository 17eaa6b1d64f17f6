"""One screen per phase of the wizard."""
