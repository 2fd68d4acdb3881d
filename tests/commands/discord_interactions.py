"""Slash-command interactions as Discord sends them over the gateway, with the knobs the
shared fake's `inject_command` takes as raw payloads: options from a plain dict, and
autocomplete (type 4) for a focused option. Also reads back the answer a
command got, whether direct (callback type 4) or deferred (type 5, then a follow-up that
replaces the thinking message)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.discord import FakeDiscord

ALL = str((1 << 50) - 1)
NONE = "0"
VIEW_SEND_EMBED = str((1 << 10) | (1 << 11) | (1 << 14))
MANAGE_CHANNELS = 1 << 4
APPLICATION_COMMAND, AUTOCOMPLETE = 2, 4
CHANNEL_MESSAGE, DEFERRED, AUTOCOMPLETE_RESULT = 4, 5, 8
EPHEMERAL, SUPPRESS_EMBEDS = 64, 4

OPTION_TYPES = {str: 3, int: 4, bool: 5}


def options_payload(options: dict[str, Any], focused: str | None = None) -> list[dict[str, Any]]:
    found = []
    for name, value in options.items():
        item: dict[str, Any] = {"name": name, "type": OPTION_TYPES[type(value)], "value": value}
        if name == focused:
            item["focused"] = True
        found.append(item)
    return found


async def inject(
    fake: FakeDiscord,
    name: str,
    options: dict[str, Any] | None = None,
    *,
    permissions: str = ALL,
    app_permissions: str | None = ALL,
    in_dm: bool = False,
    focused: str | None = None,
    channel_id: int | None = None,
) -> dict[str, Any]:
    """Dispatch INTERACTION_CREATE to the connected bot; returns the interaction. With
    `app_permissions` None the bot has the permissions the fake gives it in the channel."""
    return await fake.gateway.inject_command(
        name,
        options_payload(options or {}, focused),
        channel_id=channel_id,
        interaction_type=AUTOCOMPLETE if focused else APPLICATION_COMMAND,
        permissions=permissions,
        app_permissions=app_permissions,
        in_dm=in_dm,
    )


@dataclass(frozen=True, slots=True)
class Answer:
    callback_type: int
    content: str
    embeds: list[dict[str, Any]]
    flags: int
    choices: list[dict[str, Any]]

    @property
    def text(self) -> str:
        """The content as a reader sees it: markdown escapes resolved."""
        return re.sub(r"\\(.)", r"\1", self.content)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def deferred(self) -> bool:
        return self.callback_type == DEFERRED


async def answer_of(fake: FakeDiscord, interaction: dict[str, Any]) -> Answer:
    """The answer the user finally saw: the callback's, or what replaced the thinking
    message of a deferral."""
    interaction_id = interaction["id"]

    def callback() -> dict[str, Any] | None:
        for item in fake.interaction_responses:
            if item["interaction_id"] == interaction_id:
                return item
        return None

    await fake.wait_until(lambda: callback() is not None, within=10)
    first = callback()
    assert first is not None
    data = first.get("data") or {}
    if first["type"] != DEFERRED:
        return Answer(
            first["type"],
            data.get("content") or "",
            data.get("embeds") or [],
            int(data.get("flags", 0)),
            data.get("choices") or [],
        )
    await fake.wait_until(lambda: bool(fake.visible_answers(interaction)), within=10)
    shown = fake.visible_answers(interaction)[0]
    return Answer(DEFERRED, shown["content"], shown["embeds"], int(shown["flags"]), [])
