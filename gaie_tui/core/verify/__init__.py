"""Verification of a release: what it should look like (`expected`, from its manifest), what the
cluster shows (`snapshot`), one function per check judging the two (`checks.CHECKS`), and the
loop that looks again until the checks settle (`refresh`)."""
