"""The root of every error the bot raises on purpose.

Each area (sources, store, adapters, commands) derives its own family from this, so callers
catch a family and turn it into a log line or a friendly chat reply in exactly one place.
"""

import errno
import os


class PapersBotError(Exception):
    """Something went wrong that the bot anticipated and can describe in one line."""


class UsageError(PapersBotError):
    """What the operator asked for cannot work as given (a command-line argument or a
    setting): running it again unchanged fails again. The command line exits 2 for these
    and 1 for every other failure, which may pass on its own (a server down, a file
    missing)."""


def describe_os_error(exc: OSError) -> str:
    """An OSError in words, with the path it concerns: `str()` gives "[Errno 2] No such
    file or directory: 'x'" and asyncio's "Connect call failed ('127.0.0.1', 5432)", which
    hide the cause behind a number or a call name."""
    code = exc.errno
    if code is not None and code > 0 and code in errno.errorcode:
        reason = os.strerror(code)
    elif isinstance(exc, TimeoutError) and not str(exc):
        reason = "timed out"
    else:
        reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is not None:
        return f"{exc.filename}: {reason}"
    return reason
