"""The one exception type for mistakes a user can fix (bad path, bad option, bad file).

The library raises :class:`UserError` with a message that is a complete sentence; the command line
prints it as one line and exits non-zero, never with a traceback. Anything else is a bug.
"""


class UserError(Exception):
    """A problem with the user's input, explained in one line."""

    exit_code = 1


_UNSAFE = None


def printable(text: str) -> str:
    """``text`` with everything a terminal would obey rather than show written out as escapes:
    C0/C1 control characters (escape sequences, bell, carriage return), bidirectional overrides
    and isolates, line and paragraph separators. ``"\\x1b[2J"`` becomes ``"\\\\x1b[2J"``.

    Review text, ids and paths pass through this wherever they are shown; rich markup is never
    parsed from them either (display.py builds ``rich.text.Text``, never markup strings).
    """
    global _UNSAFE
    if _UNSAFE is None:
        import re

        _UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                             "\u202a-\u202e\u2066-\u2069]")
    return _UNSAFE.sub(_escape, text)


def _escape(match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
