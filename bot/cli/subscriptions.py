"""`papers-bot subscriptions list|add|set|pause|resume|remove|follow|unfollow`: the
subscriptions from the command line, for webhook-only set-ups and operators without chat
admin rights.

Each action is a slash command's twin and runs its code: `add` and `set` take the options
of /subscribe (names, help and limits from `bot.commands.spec`) and change the store
through `bot.commands.manage` as /subscribe does, so a bad value is refused in the same
words; `pause` takes /pause's reason; `resume` and `remove` are /resume and /unsubscribe;
`follow` and `unfollow` take /follow's `--author` or `--org` (and `unfollow` /unfollow's
`--all`).
`add` creates (an existing subscription is an error), `set` changes only what it is given.
Targets are written as `bot.cli._targets` describes. Like /subscribe and /resume, which
first make sure the bot can post in the channel, `add`, `set` and `resume` refuse a target
this configuration cannot post to (no bot token for its platform, a webhook that is not
configured): the running bot would never schedule it.

A running bot picks the changes up by itself: its subscription sync (every
SUBSCRIPTION_SYNC_SECONDS) adds and drops post-time jobs, a job reads the table when it
fires, and the delivery worker sends a resumed channel's held posts at its next look at
the outbox.

Output: `list` prints a table, other actions one line; with --json, `list` prints JSON
Lines (one object per subscription) and the others one object, `{"result": ...,
"subscription": {...}}` (keys in `bot.cli._subscription_view.record`). A failure is one
line on stderr: exit 2 for a bad value or a target that cannot work as given, 1 for a
subscription that is missing (or, for `add`, already there) and for a store failure.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.cli import OneLineParser
from bot.cli._targets import FORMS

if TYPE_CHECKING:
    from bot.cli._targets import Target
    from bot.models import ChannelKind

CLI_PAUSE = "paused with papers-bot subscriptions pause"
"""The pause reason when --reason is not given (/pause says "paused with /pause")."""


@dataclass(frozen=True, slots=True)
class _Action:
    name: str
    help: str
    command: str | None
    """The slash command whose options it takes and whose code it runs."""


ACTIONS = (
    _Action("list", "show the subscriptions: a table, or JSON Lines with --json", None),
    _Action("add", "subscribe a channel or webhook, with the options of /subscribe", "subscribe"),
    _Action("set", "change settings of a subscription, as /subscribe does", "subscribe"),
    _Action("pause", "pause a subscription (settings are kept), as /pause does", "pause"),
    _Action("resume", "resume a paused subscription, as /resume does", "resume"),
    _Action("remove", "delete a subscription and its queued posts, as /unsubscribe", "unsubscribe"),
    _Action("follow", "follow an author or Hugging Face org in it, as /follow does", "follow"),
    _Action("unfollow", "stop following one (or --all), as /unfollow does", "unfollow"),
)


class _ActionParser(OneLineParser):
    """One action's parser. Its slash command's options are added from the spec when it
    first parses rather than when `papers-bot --help` builds every parser: importing the
    spec loads the settings module, which would make that help three times slower."""

    command: str | None = None

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self.command is not None:
            _add_spec_options(self, self.command)
            self.command = None
        return super().parse_known_args(args, namespace)


def _add_spec_options(parser: argparse.ArgumentParser, command: str) -> None:
    from bot.commands.spec import COMMANDS, OptionKind  # noqa: PLC0415

    for option in COMMANDS[command].options:
        if option.kind is OptionKind.FLAG:
            parser.add_argument(f"--{option.name}", action="store_true", help=option.description)
            continue
        parser.add_argument(
            f"--{option.name.replace('_', '-')}",
            dest=option.name,
            metavar=option.value_hint,
            help=option.description,
        )


def _target(text: str) -> Target:
    from bot.cli._targets import TargetError, parse_target  # noqa: PLC0415

    try:
        return parse_target(text)
    except TargetError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "subscriptions",
        help="list, add, change, pause, resume or remove subscriptions",
        description="Manage the subscriptions without chat: the settings and checks of "
        "/subscribe, /pause, /resume and /unsubscribe, for any channel or webhook. A running "
        "bot picks changes up within SUBSCRIPTION_SYNC_SECONDS.",
    )
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_ActionParser
    )
    for action in ACTIONS:
        sub = actions.add_parser(action.name, help=action.help, description=f"{action.help}.")
        sub.command = action.command
        sub.set_defaults(parser=sub, slash=action.command)
        if action.command is None:
            sub.add_argument("--platform", choices=["discord", "slack"], help="only this one")
            sub.add_argument("--state", choices=["active", "paused"], help="only these")
        else:
            sub.add_argument("target", metavar="TARGET", type=_target, help=FORMS)
        if action.command == "subscribe":
            sub.add_argument(
                "--forum",
                action=argparse.BooleanOptionalAction,
                help="the Discord channel or webhook is a forum: each post opens a new "
                "forum post (/subscribe finds this out by itself)",
            )
        sub.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Every value is checked, as its slash command checks it, before the store opens."""
    from bot.cli._subscription_desk import Request, perform  # noqa: PLC0415
    from bot.commands.errors import InvalidArgumentError  # noqa: PLC0415
    from bot.commands.manage import (  # noqa: PLC0415
        pause_reason,
        requested_changes,
        requested_follow,
        requested_unfollow,
    )
    from bot.commands.spec import COMMANDS  # noqa: PLC0415

    if args.slash is None:
        request = Request(args.action, platform=args.platform, state=args.state)
        return asyncio.run(perform(request, as_json=args.json))
    options = COMMANDS[args.slash].options
    given = {option.name: getattr(args, option.name) for option in options}
    try:
        changes = requested_changes(given) if args.slash == "subscribe" else {}
        reason = pause_reason(given, CLI_PAUSE) if args.slash == "pause" else None
        follow = requested_follow(given) if args.slash == "follow" else None
        if args.slash == "unfollow":
            follow = requested_unfollow(given)
    except InvalidArgumentError as exc:
        args.parser.error(str(exc))
    if getattr(args, "forum", None) is not None:
        changes["channel_kind"] = _channel_kind(args)
    if args.action == "set" and not changes:
        names = ", ".join(f"--{option.name.replace('_', '-')}" for option in options)
        args.parser.error(f"nothing to change: give one or more of {names}, --forum")
    request = Request(args.action, args.target, changes, reason, follow=follow)
    return asyncio.run(perform(request, as_json=args.json))


def _channel_kind(args: argparse.Namespace) -> ChannelKind:
    """The kind --forum or --no-forum sets: a forum is a Discord channel."""
    from bot.models import ChannelKind, Platform  # noqa: PLC0415

    if args.forum and args.target.platform is not Platform.DISCORD:
        args.parser.error("--forum: only a Discord channel or webhook can be a forum")
    return ChannelKind.FORUM if args.forum else ChannelKind.TEXT
