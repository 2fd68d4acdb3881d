"""How the command line presents the settings: their groups, and the part of `run --help`
that says where settings come from, what each group holds and where the web server listens.
docs/configuration.md follows the same groups (a test holds the two together)."""

from __future__ import annotations

import argparse
from typing import Any

#: The settings by what they are for: `run --help` lists them this way, and
#: docs/configuration.md has one section per group, in this order.
SETTINGS_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Storage", ("data_dir", "database_url")),
    (
        "Sources",
        (
            "sources",
            "hf_api_url",
            "digest_url_template",
            "feed_urls",
            "poll_interval",
            "poll_days",
            "http_timeout",
            "http_max_body_bytes",
            "http_retries",
        ),
    ),
    (
        "Discord",
        (
            "discord_token",
            "discord_application_id",
            "discord_api_base",
            "discord_gateway_url",
            "discord_shard_count",
            "gateway_lease_seconds",
        ),
    ),
    (
        "Slack",
        (
            "slack_bot_token",
            "slack_signing_secret",
            "slack_app_token",
            "slack_api_base",
            "slack_admin_users",
        ),
    ),
    ("Webhooks", ("discord_webhook_urls", "slack_webhook_urls")),
    ("New subscriptions", ("default_timezone", "default_post_time", "no_papers_policy")),
    (
        "Scheduled posts and delivery",
        (
            "post_grace_minutes",
            "alert_days",
            "live_cards_window_hours",
            "live_cards_edit_interval",
            "delivery_max_attempts",
            "delivery_concurrency",
            "delivery_lease_seconds",
            "subscription_sync_seconds",
        ),
    ),
    (
        "Rate limits",
        (
            "discord_global_per_second",
            "discord_channel_per_5s",
            "slack_channel_per_second",
            "slack_workspace_per_minute",
            "slack_history_per_minute",
        ),
    ),
    (
        "Web server and logs",
        ("http_host", "http_port", "status_page", "log_level", "log_format"),
    ),
)


class HelpWithSettings(argparse.Action):
    """`run --help`: the usual help, then where settings come from, their groups and the
    web server's address. They are read from the settings model only when asked for, so
    every other `papers-bot` call stays as quick as without it."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        parser.epilog = _settings_help()
        parser.print_help()
        parser.exit()


def _settings_help() -> str:
    """Where settings come from, each group's names, and where the web server listens."""
    import textwrap  # noqa: PLC0415

    from bot.config import CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE, Settings  # noqa: PLC0415

    width = max(len(group) for group, _ in SETTINGS_GROUPS) + 2
    groups = [
        textwrap.fill(
            ", ".join(name.upper() for name in names),
            width=88,
            initial_indent=f"  {group:<{width}}",
            subsequent_indent=" " * (width + 2),
        )
        for group, names in SETTINGS_GROUPS
    ]
    fields = Settings.model_fields
    host, port = fields["http_host"].default, fields["http_port"].default
    return "\n".join(
        [
            "settings, lowest precedence first:",
            f"  built-in defaults < {DEFAULT_CONFIG_FILE} (or the file {CONFIG_FILE_ENV} names)",
            "  < a .env file < environment variables",
            "Each is an environment variable; in the TOML file, its name in lower case.",
            "Every setting with its default and meaning: docs/configuration.md.",
            "",
            "settings groups:",
            *groups,
            "",
            f"web server: HTTP_HOST:HTTP_PORT, by default {host}:{port} (port 0: a free one,",
            "  logged at start-up): GET /healthz, /livez, /metrics; GET /status when",
            "  STATUS_PAGE=true; POST /slack/events when Slack commands come over HTTP",
        ]
    )
