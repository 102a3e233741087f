"""The one error of a command-line mistake: what is wrong and what to do, in one line."""

from __future__ import annotations


class CommandError(Exception):
    """A mistake of the person running a command (a missing file, a bad value, an unreachable
    queue). ``str(error)`` says what is wrong and what to do; the command line prints it as one
    line and exits with status 2, without a traceback."""
