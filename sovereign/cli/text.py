"""Showing text that came from a file (save labels, scenario titles, news) on a terminal, inertly.

Why: a save's label or a scenario's title is whatever the file says. Printed raw, ANSI escape
sequences would be executed by the terminal (recolour it, move the cursor, retitle the window,
hide lines) and rich would interpret ``[red]``-style markup. `plain` makes such text inert:
control characters are shown as visible escapes and markup is escaped, so the user sees exactly
what the file holds.
"""

from __future__ import annotations

import unicodedata

from rich.markup import escape

#: Characters that are not control codes but change how the following text displays (bidi overrides).
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def inert(text: object) -> str:
    r"""`text` with control and bidi-override characters replaced by visible escapes (``\\x1b``)."""
    out = []
    for ch in str(text):
        if ch in _BIDI or (unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") and ch not in "\n\t"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def plain(text: object, *, newlines: bool = False) -> str:
    r"""`inert` text with rich markup escaped, safe to embed in a rich markup string.

    Args:
        text: Anything; converted with ``str``.
        newlines: Keep line breaks (else they are shown as ``\\n``, so one field stays on one line).
    """
    clean = inert(text)
    if not newlines:
        clean = clean.replace("\n", "\\n").replace("\t", " ")
    return escape(clean)
