"""The values checker: a shared context, the schema walk, the rules for silent traps, and the
deep check that renders with the real chart (dead settings, render errors)."""
