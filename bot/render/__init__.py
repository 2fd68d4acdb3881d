"""Pure renderers from `Digest`/`Paper` to the exact JSON bodies each platform receives."""
