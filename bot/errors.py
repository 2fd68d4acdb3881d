"""The root of every error the bot raises on purpose.

Each area (sources, store, adapters, commands) derives its own family from this, so callers
catch a family and turn it into a log line or a friendly chat reply in exactly one place.
"""


class PapersBotError(Exception):
    """Something went wrong that the bot anticipated and can describe in one line."""


class UsageError(PapersBotError):
    """What the operator asked for cannot work as given (a command-line argument or a
    setting): running it again unchanged fails again. The command line exits 2 for these
    and 1 for every other failure, which may pass on its own (a server down, a file
    missing)."""
