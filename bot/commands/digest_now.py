"""/digest: post the latest digest to this channel now, as its subscription renders it.

The channel's settings (or the defaults, without a subscription) pick the sources, the
papers (top N, minimum votes, keywords) and the look (language, Slack layout), through the
same composer as the scheduled post. The post is queued in the outbox like any other, so
the delivery worker sends it exactly once: a retried command, two instances answering it,
or the scheduled post of the same day find the channel's post of that day already there.
"""

from __future__ import annotations

import dataclasses

from bot.commands.context import Invocation
from bot.commands.env import CommandEnv
from bot.commands.errors import NothingFoundError
from bot.commands.replies import Reply, Tone
from bot.store.rows import DeliveryState, SubscriptionSettings

STATE_WORDS = {
    DeliveryState.PENDING: "is queued and goes out in a moment",
    DeliveryState.IN_FLIGHT: "is being posted right now",
    DeliveryState.FAILED: "is waiting for a retry",
    DeliveryState.DEAD: "could not be posted",
}


async def digest(env: CommandEnv, invocation: Invocation) -> Reply:
    subscription = await env.store.subscriptions.get(invocation.channel)
    settings = subscription.settings if subscription else SubscriptionSettings()
    # What the platform says the channel is now: a forum gets a forum post.
    settings = dataclasses.replace(settings, channel_kind=invocation.channel_kind)
    queued = await env.digests.post_now(
        invocation.channel, settings, subscription=subscription.id if subscription else None
    )
    if queued is None:
        raise NothingFoundError("The archive has no digest yet. Try again after the next poll.")
    day = queued.day.isoformat()
    if queued.papers == 0:
        return Reply.text(
            f"No paper of {day} ({queued.of} in all) passes this channel's settings "
            "(top, minimum votes, keywords); nothing was posted.",
            tone=Tone.INFO,
        )
    if not queued.created:
        if queued.state is DeliveryState.SENT and queued.sent_at is not None:
            when = queued.sent_at.strftime("%Y-%m-%d %H:%M UTC")
            status = f"was already posted here at {when}"
        else:
            status = STATE_WORDS.get(queued.state, "is already queued")
            if queued.problem and queued.state in (DeliveryState.FAILED, DeliveryState.DEAD):
                status += f" ({queued.problem})"
        return Reply.text(f"The digest of {day} {status}; it is not posted twice.", tone=Tone.INFO)
    how = "this channel's settings" if subscription else "the default settings"
    return Reply.text(
        f"Posting the digest of {day} here with {how}: "
        f"{queued.papers} of {queued.of} papers in {queued.messages} message(s).",
        tone=Tone.OK,
    )
