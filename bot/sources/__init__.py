"""Turning daily digests (markdown, HF API JSON, RSS/Atom) into `Digest` values."""
