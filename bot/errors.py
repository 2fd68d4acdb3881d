"""The root of every error the bot raises on purpose.

Each area (sources, store, adapters, commands) derives its own family from this, so callers
catch a family and turn it into a log line or a friendly chat reply in exactly one place.
"""


class PapersBotError(Exception):
    """Something went wrong that the bot anticipated and can describe in one line."""
