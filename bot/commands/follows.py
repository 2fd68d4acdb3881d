"""/follow and /unfollow: the authors and Hugging Face accounts a channel follows.

A follow is part of the channel's subscription (it adds papers to its digest and goes when
the subscription goes), so both need one. What changes, and how the name is checked, is
`bot.commands.manage`, shared with `papers-bot subscriptions follow|unfollow`; these
handlers word the outcome. /subscription lists the follows (`following_line`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.context import Invocation
from bot.commands.env import CommandEnv
from bot.commands.errors import NothingFoundError
from bot.commands.manage import add_follow, remove_follow, requested_follow, requested_unfollow
from bot.commands.replies import Line, Reply, Tone, bold, field_line, plain
from bot.store.rows import Follow

SHOWN_FOLLOWS = 10
"""How many follows /subscription names before "and N more"."""
WHAT_FOLLOWING_DOES = (
    "Their papers are posted here with the daily digest even when they miss this channel's "
    'vote threshold, top N or keywords, marked "Following", each paper once.'
)


def describe(follows: Sequence[Follow], *, limit: int = SHOWN_FOLLOWS) -> str:
    """`author "A", org "b" and 3 more`, or "nobody" for none."""
    if not follows:
        return "nobody"
    shown = ", ".join(follow.label for follow in follows[:limit])
    hidden = len(follows) - limit
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def following_line(follows: Sequence[Follow]) -> Line:
    """The /subscription line listing what the channel follows."""
    if not follows:
        return field_line("Following", "nobody (/follow adds an author or organisation)")
    return field_line("Following", describe(follows))


def _no_subscription(command: str) -> NothingFoundError:
    return NothingFoundError(
        f"This channel has no subscription, and /{command} works on its digest. "
        "Start one with /subscribe first."
    )


async def follow(env: CommandEnv, invocation: Invocation) -> Reply:
    wanted = requested_follow(invocation.options)
    change = await add_follow(
        env.store, invocation.channel, wanted, actor=invocation.user_id, now=env.clock()
    )
    if change is None:
        raise _no_subscription("follow")
    if not change.follows:
        return Reply.text(f"This channel already follows {wanted.label}.")
    return Reply(
        ((bold(f"Following {wanted.label} in this channel."),), (plain(WHAT_FOLLOWING_DOES),)),
        tone=Tone.OK,
    )


async def unfollow(env: CommandEnv, invocation: Invocation) -> Reply:
    wanted = requested_unfollow(invocation.options)
    change = await remove_follow(env.store, invocation.channel, wanted)
    if change is None:
        raise _no_subscription("unfollow")
    if wanted is None:
        if not change.follows:
            return Reply.text("This channel follows nobody; nothing to stop.")
        return Reply.text(
            f"Stopped following {describe(change.follows)} in this channel.", tone=Tone.OK
        )
    if not change.follows:
        raise NothingFoundError(
            f"This channel does not follow {wanted.label}. /subscription lists what it follows."
        )
    return Reply.text(f"Stopped following {change.follows[0].label} here.", tone=Tone.OK)
