"""The one exception type for mistakes a user can fix (bad path, bad option, bad file).

The library raises :class:`UserError` with a message that is a complete sentence; the command line
prints it as one line and exits non-zero, never with a traceback. Anything else is a bug.
"""


class UserError(Exception):
    """A problem with the user's input, explained in one line."""
