"""Errors reported to the user in a few lines, with a non-zero exit and no traceback; and
:func:`shown`, the one way a value from the data enters a message or a log line."""

from __future__ import annotations

import re

#: Characters that move the cursor, clear the screen or break a line when printed: C0 and C1
#: controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Longest value shown in a message; a longer one is cut and its length given.
SHOWN_CHARS = 200


class UserError(Exception):
    """A problem the user can fix: bad input, a server that is down, a missing token."""


def _escape(match: re.Match) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` with every control character (except those in ``keep``) written as an escape."""
    return _CONTROL.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """``value`` as text for a message or a log line: control characters escaped (an ANSI escape
    in an id cannot clear the terminal, a newline cannot forge a log line), cut to ``limit``
    characters with the full length given."""
    text = str(value)
    cut = len(text) > limit
    text = escape_controls(text[:limit] if cut else text)
    return f"{text}… ({len(str(value))} characters)" if cut else text
