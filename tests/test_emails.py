"""E-mail detection: one rule, linear time, used to pseudonymise pulls and to refuse identities."""

import time

from vietlao.emails import email_spans, find_email, replace_emails


def test_addresses_are_found_and_replaced():
    text = "mail b@y.org or a.b+c@x-y.example.com, then admin@localhost"
    assert find_email(text) == "b@y.org"
    assert [text[s:e] for s, e in email_spans(text)] == ["b@y.org", "a.b+c@x-y.example.com", "admin@localhost"]
    assert replace_emails(text, lambda a: "X") == "mail X or X, then X"


def test_things_that_are_not_addresses():
    for text in ("annotator-1", " @handle", "@", "a @ b", "", "user@"):
        assert find_email(text) is None, text
    assert replace_emails("no address", lambda a: "X") == "no address"


def test_search_is_linear():
    """A long run of address characters without a domain (the pattern a naive regex backtracks on)."""
    text = ("a" * 100_000 + "@") * 4 + "." * 100_000
    start = time.monotonic()
    spans = list(email_spans(text))
    assert len(spans) == 3 and time.monotonic() - start < 2


def test_the_export_reader_and_the_pull_use_the_same_rule():
    from vietlao.export import rules
    from vietlao.labelstudio import commands

    assert rules.find_email is find_email and commands.find_email is find_email
