"""/subscribe, /unsubscribe, /subscription, /pause, /resume: one channel's subscription.

Every option is validated before the store is touched, so a bad value changes nothing.
/subscribe updates only what it is given: an existing subscription keeps its other
settings, a new one starts from the configured defaults (DEFAULT_POST_TIME,
DEFAULT_TIMEZONE, NO_PAPERS_POLICY) and the store's defaults for the rest.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.commands import arguments as a
from bot.commands.context import Invocation
from bot.commands.env import CommandEnv
from bot.commands.errors import NothingFoundError
from bot.commands.replies import Line, Reply, Tone, bold, field_line, plain
from bot.commands.schedule import describe_moment, next_post
from bot.render.options import slack_layout_named
from bot.store.rows import DeliveryState, Subscription, SubscriptionSettings

MANUAL_PAUSE = "paused with /pause"
EMPTY_DAY_TEXT = {"skip": "skip (post nothing)", "note": "note (a short message)"}


def requested_changes(invocation: Invocation) -> dict[str, Any]:
    """The settings /subscribe was given, validated, as SubscriptionSettings fields."""
    options = invocation.options
    parsers: tuple[tuple[str, str, Any], ...] = (
        ("min_votes", "min_votes", a.min_votes),
        ("top", "top_n", a.top),
        ("keywords", "keywords", a.keywords),
        ("time", "post_time", a.post_time),
        ("timezone", "timezone", a.timezone),
        ("source", "sources", a.sources),
        ("layout", "layout", lambda raw: a.layout(raw).value),
        ("no_papers", "no_papers", a.no_papers),
    )
    changes: dict[str, Any] = {}
    for option, field, parse in parsers:
        raw = a.optional(options, option)
        if raw is not None:
            changes[field] = parse(raw)
    return changes


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
    ]
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
    changes = requested_changes(invocation)
    store = env.store
    existing = await store.subscriptions.get(invocation.channel)
    if existing is None:
        base = SubscriptionSettings(
            post_time=env.defaults.post_time,
            timezone=env.defaults.timezone,
            no_papers=env.defaults.no_papers,
        )
    else:
        base = existing.settings
    wanted = dataclasses.replace(base, **changes)
    if existing is not None and wanted == existing.settings:
        heading = "Nothing to change: this channel's subscription already has these settings."
        return Reply(((bold(heading),), *settings_lines(env, existing)), tone=Tone.INFO)
    saved = await store.subscriptions.save(
        invocation.channel, wanted, actor=invocation.user_id, now=env.clock()
    )
    heading = "Subscribed this channel." if existing is None else "Subscription updated."
    lines: list[Line] = [(bold(heading),), *settings_lines(env, saved)]
    if saved.paused:
        lines.append((plain("It is still paused: /resume to start posting again."),))
    return Reply(tuple(lines))


async def _existing(env: CommandEnv, invocation: Invocation, action: str) -> Subscription:
    found = await env.store.subscriptions.get(invocation.channel)
    if found is None:
        raise NothingFoundError(
            f"This channel has no subscription to {action}. Start one with /subscribe."
        )
    return found


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
    raw = a.optional(invocation.options, "reason")
    reason = MANUAL_PAUSE if raw is None else a.reason(raw)
    subscription = await _existing(env, invocation, "pause")
    if subscription.paused:
        return Reply.text(
            f"Already paused ({subscription.paused_reason or 'no reason given'}). "
            "/resume starts it again."
        )
    await env.store.subscriptions.set_paused(
        invocation.channel, True, reason=reason, actor=invocation.user_id, now=env.clock()
    )
    return Reply.text("Paused: no digests until /resume. Settings are kept.", tone=Tone.OK)


async def resume(env: CommandEnv, invocation: Invocation) -> Reply:
    subscription = await _existing(env, invocation, "resume")
    if not subscription.paused:
        return Reply.text("This channel's subscription is not paused.")
    resumed = await env.store.subscriptions.set_paused(
        invocation.channel, False, actor=invocation.user_id, now=env.clock()
    )
    if resumed is None:  # deleted between the two calls
        raise NothingFoundError("This channel's subscription was just removed.")
    return Reply(((bold("Resumed."),), *settings_lines(env, resumed)))
