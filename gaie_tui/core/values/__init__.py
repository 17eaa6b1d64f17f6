"""Values files: YAML with positions (source), the commented file we generate, set-up answers,
provider profiles, and the Diagnostic type every check reports with."""
