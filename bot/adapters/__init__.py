"""Thin translators between rendered messages and the chat platforms (see base.py)."""
