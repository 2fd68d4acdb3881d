"""Naming a place the bot posts to on the command line, as a stored channel and back.

`post --to` names where to send (`discord:<channel_id>`, `slack:<channel_id>`,
`webhook:<url>`, read by `bot.adapters.destinations.parse_destination`); a subscription
is stored under its channel's workspace as well (the Discord server, the Slack team), which
is how /subscription in that channel finds it. So `papers-bot subscriptions` takes:

- `discord:<guild_id>/<channel_id>`, `slack:<team_id>/<channel_id>`: a channel of the bot
  account. The workspace may be left out to name an existing subscription (the channel id
  is enough when only one workspace has it); a new one needs it.
- `webhook:<url>`, or the webhook's label as `list` shows it (`discord-webhook:<id>`,
  `slack-webhook:<id>`): a configured webhook, whose channel is stored under its label in
  the reserved `webhook` workspace (its URL is a secret the database never holds).
- `console:stdout`: a dry run's console channel.

Channel ids and webhook URLs are checked by `parse_destination` itself, so both commands
refuse the same ones in the same words; `target_text` writes a channel the way
`parse_target` reads it back.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.errors import UsageError

if TYPE_CHECKING:
    from bot.adapters.destinations import Destination
    from bot.config import Settings
    from bot.delivery.targets import Router
    from bot.models import ChannelRef, Platform
    from bot.store import Store
    from bot.store.rows import Subscription

# bot.models and the parsers are imported where they are used: `papers-bot --help` reads
# FORMS and stays instant.
FORMS = (
    "discord:<guild_id>/<channel_id>, slack:<team_id>/<channel_id>, webhook:<url> "
    "(or its label, discord-webhook:<id>), or console:<name>"
)
WEBHOOK_SUFFIX = "-webhook"
"""A webhook's label (`Destination.label`) is `<platform>-webhook:<id>`."""
_WORKSPACE = {
    "discord": (re.compile(r"\d{1,20}"), "a Discord server (guild) id is a number", "guild_id"),
    "slack": (re.compile(r"[A-Z0-9]+"), "a Slack team id looks like T0123ABC", "team_id"),
}


class TargetError(UsageError):
    """A target that names no place the bot posts to, or not clearly enough."""


@dataclass(frozen=True, slots=True)
class Target:
    """A channel as the operator named it; `workspace` is None when a bot channel was
    named without its workspace."""

    platform: Platform
    workspace: str | None
    channel: str

    @property
    def name(self) -> str:
        """How messages name it: as `list` does, a webhook by its label (never its URL)."""
        if self.workspace is None:
            return f"{self.platform.value}:{self.channel}"
        return target_text(self.channel_ref())

    def channel_ref(self) -> ChannelRef:
        """The stored channel; a bot channel named without its workspace has none yet."""
        from bot.models import ChannelRef  # noqa: PLC0415

        if self.workspace is None:
            platform = self.platform.value
            raise TargetError(
                f"{self.name}: a new subscription needs the channel's workspace: "
                f"{platform}:<{_WORKSPACE[platform][2]}>/{self.channel}, so /subscription "
                "in that channel finds it"
            )
        return ChannelRef(self.platform, self.workspace, self.channel)


def parse_target(text: str) -> Target:
    """Read one target (see the module's docstring); raises TargetError in words naming
    what is wrong."""
    from bot.adapters.destinations import DestinationError, parse_destination  # noqa: PLC0415
    from bot.models import CONSOLE_WORKSPACE, WEBHOOK_WORKSPACE, Platform  # noqa: PLC0415

    given = text.strip()
    scheme, sep, rest = given.partition(":")
    if not sep or not rest.strip():
        raise TargetError(f"expected {FORMS}, got {text!r}")
    platform = scheme.removesuffix(WEBHOOK_SUFFIX)
    try:
        if scheme.endswith(WEBHOOK_SUFFIX) and platform in _WORKSPACE:
            return Target(Platform(platform), WEBHOOK_WORKSPACE, given)
        if scheme == "console":
            return Target(Platform.DISCORD, CONSOLE_WORKSPACE, rest.strip())
        if scheme == "webhook":
            hook = parse_destination(given)
            return Target(hook.platform, WEBHOOK_WORKSPACE, hook.label)
        if scheme not in _WORKSPACE:
            raise TargetError(f"unknown target kind {scheme!r}; expected {FORMS}")
        workspace, slash, channel = rest.rpartition("/")
        bot = parse_destination(f"{scheme}:{channel}")
    except DestinationError as exc:
        raise TargetError(str(exc)) from None
    if not slash:
        return Target(bot.platform, None, bot.address)
    pattern, words, _name = _WORKSPACE[scheme]
    if not pattern.fullmatch(workspace.strip()):
        raise TargetError(f"{words}, got {workspace!r}")
    return Target(bot.platform, workspace.strip(), bot.address)


def target_text(channel: ChannelRef) -> str:
    """How `parse_target` names this stored channel."""
    return channel.target


async def find_subscription(store: Store, target: Target) -> Subscription | None:
    """The subscription of the named channel; a bot channel named without its workspace is
    looked for in every workspace (and must be found in one at most)."""
    if target.workspace is not None:
        return await store.subscriptions.get(target.channel_ref())
    found = await store.subscriptions.list(platform=target.platform, channel_id=target.channel)
    if len(found) > 1:
        names = ", ".join(target_text(sub.channel) for sub in found)
        raise TargetError(f"{target.name}: subscribed in several workspaces; name one: {names}")
    return found[0] if found else None


@contextlib.contextmanager
def _webhook_settings() -> Iterator[None]:
    """A configured webhook that is no webhook URL is a setting to fix, named as such."""
    from bot.adapters.destinations import DestinationError  # noqa: PLC0415
    from bot.config import PREFIX, ConfigError  # noqa: PLC0415

    try:
        yield
    except DestinationError as exc:
        names = "DISCORD_WEBHOOK_URLS, SLACK_WEBHOOK_URLS"
        raise ConfigError(f"{PREFIX}: {names}: {exc}") from None


def configured_webhooks(settings: Settings) -> list[Destination]:
    """The webhooks of DISCORD_WEBHOOK_URLS and SLACK_WEBHOOK_URLS."""
    from bot.adapters import destinations  # noqa: PLC0415

    with _webhook_settings():
        return destinations.configured_webhooks(settings)


def router(settings: Settings) -> Router:
    """Where this configuration lets the bot post: the running bot's own routing, which
    schedules only the subscriptions it can route."""
    from bot.delivery.targets import Router  # noqa: PLC0415

    with _webhook_settings():
        return Router(settings)
