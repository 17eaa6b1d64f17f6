"""Hostile text the tests feed through every path, and how to tell it reached a terminal raw."""
from __future__ import annotations

import re

OSC52 = "\x1b]52;c;ZXZpbA==\x07"                         # sets the terminal's clipboard to "evil"
CSI_CLEAR = "\x1b[2J"                                      # clears the screen
OSC8 = "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"  # a hyperlink
C1_CSI = "\x9b2J"                                          # the 8-bit CSI some terminals obey
BIDI = "\u202egnp.exe"                                     # right-to-left override
MARKUP = "[/nope][link=http://evil.example/]x[/link][bold]"
EVIL = OSC52 + CSI_CLEAR + OSC8 + C1_CSI + BIDI + MARKUP
TOKEN = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"

# Anything a terminal would act on: C0 controls but newline, DEL, C1, bidi overrides/isolates.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def raw_controls(text: str) -> list[str]:
    """The control characters in `text`, except the colour codes our own table writes."""
    own = re.sub(r"\x1b\[(?:\d+(?:;\d+)*)?m", "", text)
    return sorted({repr(c) for c in RAW_CONTROL.findall(own)})


def token_forms(token: str = TOKEN) -> list[str]:
    """The token as typed and as YAML/Python give it back (no underscore, lowercased)."""
    bare = token.replace("_", "")
    return [token, bare, bare.lower()]
