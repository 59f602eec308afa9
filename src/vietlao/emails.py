"""E-mail addresses: the one rule by which the project finds them, to pseudonymise or refuse them.

An address is ``local@domain``: a run of letters, digits and ``.+-_`` right before an ``@``, then
one or more dot-separated labels (Label Studio user names are e-mail addresses, ``admin@localhost``
included). The search is anchored on the ``@``, so it stays linear in the length of the text.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

_AT_DOMAIN = re.compile(r"(?<=[\w.+-])@[\w-]+(?:\.[\w-]+)*")
_LOCAL = re.compile(r"[\w.+-]")


def email_spans(text: str) -> Iterator[tuple[int, int]]:
    """``[start, end)`` of every e-mail address in ``text``, left to right."""
    floor = 0
    for match in _AT_DOMAIN.finditer(text):
        start = match.start()
        while start > floor and _LOCAL.match(text, start - 1):
            start -= 1
        yield start, match.end()
        floor = match.end()


def find_email(text: str) -> str | None:
    """The first e-mail address in ``text``, or ``None``."""
    span = next(email_spans(text), None)
    return text[span[0]:span[1]] if span else None


def replace_emails(text: str, replacement: Callable[[str], str]) -> str:
    """``text`` with every address ``a`` replaced by ``replacement(a)``."""
    parts, last = [], 0
    for start, end in email_spans(text):
        parts += [text[last:start], replacement(text[start:end])]
        last = end
    return "".join(parts) + text[last:] if parts else text
