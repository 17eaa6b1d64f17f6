"""gaie-tui: deploy and verify the GAIE inferencepool chart from a terminal."""

__version__ = "0.1.0"
