"""/subscribe, /unsubscribe, /subscription, /pause, /resume: one channel's subscription.

What changes, and how the options are checked, is `bot.commands.manage`, shared with
`papers-bot subscriptions`; these handlers word the outcome for the channel. Every option
is validated before the store is touched, so a bad value changes nothing. /subscribe
updates only what it is given: an existing subscription keeps its other settings, a new
one starts from the configured defaults (DEFAULT_POST_TIME, DEFAULT_TIMEZONE,
NO_PAPERS_POLICY) and the store's defaults for the rest.
"""

from __future__ import annotations

from bot.commands.context import Invocation
from bot.commands.env import CommandEnv
from bot.commands.errors import NothingFoundError
from bot.commands.follows import following_line
from bot.commands.manage import pause_reason, requested_changes, save_settings, set_paused
from bot.commands.replies import Line, Reply, Tone, bold, field_line, plain
from bot.commands.schedule import describe_moment, next_post
from bot.models import ChannelKind
from bot.render.options import slack_layout_named
from bot.store.rows import DeliveryState, Subscription

MANUAL_PAUSE = "paused with /pause"
FORUM_TEXT = "each post is a new forum post, its papers inside"
EMPTY_DAY_TEXT = {"skip": "skip (post nothing)", "note": "note (a short message)"}
LIVE_VOTES_TEXT = {
    True: "on (posted vote counts are edited as votes come)",
    False: "off (posts keep the counts they were sent with)",
}


def settings_lines(env: CommandEnv, subscription: Subscription) -> list[Line]:
    settings = subscription.settings
    now = env.clock()
    keywords = ", ".join(settings.keywords) if settings.keywords else "any (no keyword filter)"
    sources = ", ".join(s.value for s in settings.sources) if settings.sources else "all"
    lines = [
        field_line("Minimum votes", str(settings.min_votes)),
        field_line("Top", f"{settings.top_n} papers"),
        field_line("Keywords", keywords),
        field_line("Time", f"{settings.post_time} ({settings.timezone})"),
        field_line("Sources", sources),
        field_line("Slack layout", slack_layout_named(settings.layout).value),
        field_line("Empty days", EMPTY_DAY_TEXT.get(settings.no_papers, settings.no_papers)),
        field_line("Live votes", LIVE_VOTES_TEXT[settings.live_votes]),
    ]
    if settings.channel_kind is ChannelKind.FORUM:
        lines.append(field_line("Forum", FORUM_TEXT))
    if subscription.paused:
        reason = subscription.paused_reason or "no reason given"
        since = subscription.updated_at.strftime("%Y-%m-%d %H:%M UTC")
        lines.append(field_line("State", f"paused since {since} ({reason})"))
        lines.append(field_line("Next post", "none while paused; /resume to restart"))
    else:
        lines.append(field_line("State", "active"))
        moment = next_post(settings.post_time, settings.timezone, now)
        lines.append(field_line("Next post", describe_moment(moment, now)))
    return lines


async def subscribe(env: CommandEnv, invocation: Invocation) -> Reply:
    """Also records what kind of channel this is, as the platform says (a forum gets each
    post as a new forum post)."""
    changes = requested_changes(invocation.options)
    changes["channel_kind"] = invocation.channel_kind
    change = await save_settings(
        env.store,
        invocation.channel,
        changes,
        defaults=env.defaults,
        actor=invocation.user_id,
        now=env.clock(),
    )
    if not change.changed:
        heading = "Nothing to change: this channel's subscription already has these settings."
        return Reply(((bold(heading),), *settings_lines(env, change.after)), tone=Tone.INFO)
    heading = f"Subscribed this {invocation.place}." if change.created else "Subscription updated."
    lines: list[Line] = [(bold(heading),), *settings_lines(env, change.after)]
    if change.after.paused:
        lines.append((plain("It is still paused: /resume to start posting again."),))
    return Reply(tuple(lines))


def _missing(action: str) -> NothingFoundError:
    return NothingFoundError(
        f"This channel has no subscription to {action}. Start one with /subscribe."
    )


async def show(env: CommandEnv, invocation: Invocation) -> Reply:
    subscription = await env.store.subscriptions.get(invocation.channel)
    if subscription is None:
        return Reply.text("This channel has no subscription. Start one with /subscribe.")
    sent = await env.store.deliveries.list(
        subscription_id=subscription.id, state=DeliveryState.SENT
    )
    times = [d.sent_at for d in sent if d.sent_at is not None]
    last = max(times).strftime("%Y-%m-%d %H:%M UTC") if times else "none yet"
    lines = [
        (bold("This channel's subscription"),),
        *settings_lines(env, subscription),
        field_line("Last post", last),
        following_line(await env.store.follows.of(subscription.id)),
    ]
    return Reply(tuple(lines), tone=Tone.INFO)


async def unsubscribe(env: CommandEnv, invocation: Invocation) -> Reply:
    if not await env.store.subscriptions.delete(invocation.channel):
        return Reply.text("This channel has no subscription; nothing to stop.")
    return Reply.text(
        "Unsubscribed: this channel gets no more digests. /subscribe starts again.",
        tone=Tone.OK,
    )


async def pause(env: CommandEnv, invocation: Invocation) -> Reply:
    reason = pause_reason(invocation.options, MANUAL_PAUSE)
    change = await set_paused(
        env.store,
        invocation.channel,
        True,
        reason=reason,
        actor=invocation.user_id,
        now=env.clock(),
    )
    if change is None:
        raise _missing("pause")
    if not change.changed:
        return Reply.text(
            f"Already paused ({change.after.paused_reason or 'no reason given'}). "
            "/resume starts it again."
        )
    return Reply.text("Paused: no digests until /resume. Settings are kept.", tone=Tone.OK)


async def resume(env: CommandEnv, invocation: Invocation) -> Reply:
    change = await set_paused(
        env.store, invocation.channel, False, reason=None, actor=invocation.user_id, now=env.clock()
    )
    if change is None:
        raise _missing("resume")
    if not change.changed:
        return Reply.text("This channel's subscription is not paused.")
    return Reply(((bold("Resumed."),), *settings_lines(env, change.after)))
