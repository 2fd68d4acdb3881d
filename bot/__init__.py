"""papers-bot: Hugging Face Daily Papers in Discord and Slack."""

__version__ = "0.1.0"
