"""Errors a user can act on. The CLI prints them as one line and exits 2; the UI shows them."""
from __future__ import annotations


class UserError(Exception):
    """Something the user asked for cannot be done; `hint` says what to do instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message
