"""Before re-sending a message that may already have landed, ask the platform.

A message is "uncertain" when its send timed out, its connection dropped, or its process
died mid-send. Sending it again blindly could post it twice; not sending could lose it.
- Discord: every send carries a nonce derived from the message's key with enforce_nonce,
  so a re-send inside Discord's dedupe window returns the earlier message instead of
  posting a new one. Past that window (the bot was down for long), the channel's messages
  since the attempt are read back and matched by nonce or by content from our bot user.
- Slack: the key rides in the message metadata; conversations.history since the attempt
  finds it (`SlackBotAdapter.find_delivery`).
- Webhooks and the console cannot be asked; the message is sent again (at least once).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from discord.http import Route as DiscordRoute

from bot.adapters.base import Adapter, Receipt, guarded, nonce_for
from bot.adapters.discord_bot import DiscordBotAdapter
from bot.adapters.discord_common import translate as discord_translate
from bot.adapters.slack_bot import SlackBotAdapter
from bot.render.message import Platform, RenderedMessage

log = logging.getLogger(__name__)

NONCE_TRUST = dt.timedelta(minutes=2)
"""Discord's nonce dedupe lasts "a few minutes"; inside this a re-send is safe by itself."""
LOOKBACK_MARGIN = dt.timedelta(seconds=30)
"""Clock skew allowance when asking for messages since an attempt."""
DISCORD_EPOCH_MS = 1_420_070_400_000
HISTORY_LIMIT = 100
LOOKUP_TIMEOUT = 20.0


def snowflake_at(moment: dt.datetime) -> int:
    return max(0, int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22


def _fingerprint(body: dict[str, Any]) -> tuple[object, ...]:
    embeds = body.get("embeds") or []
    return (
        body.get("content") or "",
        tuple((e.get("title"), e.get("url"), e.get("description")) for e in embeds),
    )


async def _discord_lookup(
    adapter: DiscordBotAdapter, target: str, message: RenderedMessage, key: str, since: dt.datetime
) -> Receipt | None:
    nonce = nonce_for(key)
    wanted = _fingerprint(message.body)
    me = adapter.client.user
    route = DiscordRoute("GET", "/channels/{channel_id}/messages", channel_id=int(target))
    params = {"after": str(snowflake_at(since - LOOKBACK_MARGIN)), "limit": HISTORY_LIMIT}
    async with guarded(f"discord channel {target}", LOOKUP_TIMEOUT, discord_translate):
        found = await adapter.client.http.request(route, params=params)
    for item in found or []:
        ours = me is not None and str((item.get("author") or {}).get("id")) == str(me.id)
        if str(item.get("nonce", "")) == nonce or (ours and _fingerprint(item) == wanted):
            return Receipt(Platform.DISCORD, target, str(item["id"]), target)
    return None


async def find_landed(
    adapter: Adapter,
    target: str,
    message: RenderedMessage,
    key: str,
    *,
    since: dt.datetime,
    now: dt.datetime,
) -> Receipt | None:
    """The earlier copy of this message if it is known to have landed; None means send it
    (which is safe on Discord within the nonce window, and a best effort on webhooks)."""
    if isinstance(adapter, SlackBotAdapter):
        return await adapter.find_delivery(
            target, key, oldest=(since - LOOKBACK_MARGIN).timestamp()
        )
    if isinstance(adapter, DiscordBotAdapter):
        if now - since <= NONCE_TRUST:
            return None
        return await _discord_lookup(adapter, target, message, key, since)
    log.info("%s cannot be asked whether a message landed; sending it again", adapter.name)
    return None
