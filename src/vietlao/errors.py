"""Errors reported to the user in a few lines, with a non-zero exit and no traceback."""


class UserError(Exception):
    """A problem the user can fix: bad input, a server that is down, a missing token."""
