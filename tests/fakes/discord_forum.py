"""Forum channels, threads and the bot's channel permissions on the fake Discord, in the
shapes Discord documents.

- A forum (type 15, or 16 for media) has tags and no messages of its own: a message sent
  straight to it is refused (400, code 50008). `POST /channels/{forum}/threads` opens a
  post: a public thread (type 11) whose starter message has the thread's id, answered as
  the thread's channel object with that `message` nested. Its name is 1-100 characters, at
  most 5 `applied_tags`, each one of the forum's, and one at least where the forum requires
  it. Opening a post counts in the forum's message bucket.
- A thread is a channel: its messages go to `POST /channels/{thread}/messages`, in its own
  bucket. `GET /guilds/{guild}/threads/active` lists the open ones,
  `GET /channels/{forum}/threads/archived/public` the archived ones.
- A webhook of a forum must name a new post (`thread_name`) or an existing one
  (`?thread_id=`); otherwise 400, code 220001.
- Permissions: a channel given `bot_permissions` refuses what they do not allow, as
  Discord does: without View Channel, 403 Missing Access (50001); without Send Messages
  (Send Messages in Threads, in a thread), 403 Missing Permissions (50013); without Read
  Message History, reading messages answers an empty list. Administrator allows all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.discord_state import (
    FORUM_TYPES,
    PUBLIC_THREAD,
    REQUIRE_TAG,
    FakeChannel,
    FakeWebhook,
    message_json,
)

if TYPE_CHECKING:
    from tests.fakes.discord import FakeDiscord

API = "/api/v10"
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
SEND_MESSAGES_IN_THREADS = 1 << 38
ARCHIVE_DURATIONS = frozenset({60, 1440, 4320, 10080})
THREAD_NAME_MAX = 100
TAGS_MAX = 5


def error(status: int, code: int, message: str, **extra: Any) -> web.Response:
    # Imported when called: `tests.fakes.discord` builds its server from this module.
    from tests.fakes.discord import discord_error

    return discord_error(status, code, message, **extra)


def answer(data: Any, headers: dict[str, str] | None = None) -> web.Response:
    from tests.fakes.discord import jsonify

    return jsonify(data, headers=headers)


def form_error(field: str, message: str) -> web.Response:
    problem = {"_errors": [{"code": "BASE_TYPE_BAD", "message": message}]}
    return error(400, 50035, "Invalid Form Body", errors={field: problem})


class ForumApi:
    """The forum, thread and permission side of a `FakeDiscord`."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def add_routes(self, router: web.UrlDispatcher) -> None:
        authed = self.fake._authed
        router.add_get(API + "/channels/{channel_id}", authed(self._get_channel))
        router.add_post(API + "/channels/{channel_id}/threads", authed(self._create_thread))
        router.add_get(API + "/guilds/{guild_id}/threads/active", authed(self._active))
        archived = API + "/channels/{channel_id}/threads/archived/public"
        router.add_get(archived, authed(self._archived))

    # -- permissions ---------------------------------------------------------------------
    def permissions(self, channel: FakeChannel) -> int | None:
        """The bot's permissions in `channel` (a thread's are its parent's); None: all."""
        if channel.parent_id is not None and channel.parent_id in self.fake.channels:
            return self.fake.channels[channel.parent_id].bot_permissions
        return channel.bot_permissions

    def allows(self, channel: FakeChannel, wanted: int) -> bool:
        granted = self.permissions(channel)
        return granted is None or bool(granted & ADMINISTRATOR) or granted & wanted == wanted

    def refused(self, channel: FakeChannel, wanted: int) -> web.Response | None:
        """Discord's 403 when the bot lacks `wanted` (View Channel first) in `channel`."""
        if not self.allows(channel, VIEW_CHANNEL):
            return error(403, 50001, "Missing Access")
        if not self.allows(channel, wanted):
            return error(403, 50013, "Missing Permissions")
        return None

    def refuse_message(self, channel: FakeChannel) -> web.Response | None:
        """Why `POST /channels/{channel}/messages` fails here, or None when it may post."""
        needed = SEND_MESSAGES_IN_THREADS if channel.is_thread else SEND_MESSAGES
        refused = self.refused(channel, needed)
        if refused is None and channel.type in FORUM_TYPES:
            return error(400, 50008, "Cannot send messages in a non-text channel")
        return refused

    def readable(self, channel: FakeChannel) -> bool:
        """Without Read Message History Discord lists no messages (and no error)."""
        return self.allows(channel, READ_MESSAGE_HISTORY)

    # -- posts -----------------------------------------------------------------------------
    def open_post(
        self,
        forum: FakeChannel,
        name: str,
        message: dict[str, Any],
        author: dict[str, Any],
        *,
        tags: list[str],
        archive_after: int = 1440,
        webhook_id: int | None = None,
    ) -> tuple[FakeChannel, dict[str, Any]]:
        """A new post in `forum`: the thread and its starter message (the same id)."""
        thread = FakeChannel(
            self.fake.ids.next(),
            forum.guild_id,
            name,
            type=PUBLIC_THREAD,
            parent_id=forum.id,
            owner_id=int(author["id"]),
            applied_tags=tags,
            auto_archive_duration=archive_after,
        )
        starter = message_json(thread.id, thread, message, author, webhook_id=webhook_id)
        thread.messages.append(starter)
        self.fake.channels[thread.id] = thread
        return thread, starter

    def post_problem(self, forum: FakeChannel, body: dict[str, Any]) -> web.Response | None:
        """Why Discord would refuse this post's title and tags, or None."""
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= THREAD_NAME_MAX:
            return form_error("name", f"Must be between 1 and {THREAD_NAME_MAX} in length.")
        duration = body.get("auto_archive_duration")
        if duration is not None and duration not in ARCHIVE_DURATIONS:
            allowed = ", ".join(map(str, sorted(ARCHIVE_DURATIONS)))
            return form_error("auto_archive_duration", f"Value must be one of ({allowed}).")
        tags = body.get("applied_tags") or []
        known = {str(tag["id"]) for tag in forum.available_tags}
        if len(tags) > TAGS_MAX or not set(map(str, tags)) <= known:
            return form_error("applied_tags", "Invalid tags for this forum.")
        if forum.flags & REQUIRE_TAG and not tags:
            return error(400, 40067, "A tag is required to create a forum post in this channel")
        return None

    async def _create_thread(self, request: web.Request) -> web.Response:
        fake = self.fake
        forum = fake._channel(request)
        if isinstance(forum, web.Response):
            return forum
        refused = self.refused(forum, SEND_MESSAGES)
        if refused is not None:
            return refused
        if forum.type not in FORUM_TYPES:
            return form_error("type", "This fake opens threads in forum channels only.")
        bucket, limited = fake._limited(f"channel-messages:{forum.id}", fake._channel_limit)
        if limited is not None:
            return limited
        body = await request.json()
        message = body.get("message") if isinstance(body, dict) else None
        invalid = self.post_problem(forum, body) or fake._invalid(message)
        if invalid is not None:
            return invalid
        assert isinstance(message, dict)
        thread, starter = self.open_post(
            forum,
            body["name"],
            message,
            fake.bot_user,
            tags=[str(tag) for tag in body.get("applied_tags") or []],
            archive_after=body.get("auto_archive_duration") or 1440,
        )
        return answer(thread.to_json(0) | {"message": starter}, bucket.headers())

    def webhook_channel(
        self, hook: FakeWebhook, request: web.Request, body: dict[str, Any]
    ) -> FakeChannel | web.Response | None:
        """Where a webhook message goes: the thread `?thread_id=` names, a new post when
        its forum is given `thread_name` (None: open it), or the webhook's channel."""
        raw = request.query.get("thread_id")
        if raw is not None:
            thread = self.fake.channels.get(int(raw)) if raw.isdigit() else None
            if thread is None or thread.parent_id != hook.channel.id:
                return error(404, 10003, "Unknown Channel")
            return thread
        if hook.channel.type in FORUM_TYPES:
            if not body.get("thread_name"):
                return error(
                    400,
                    220001,
                    "Webhooks posted to forum channels must have a thread_name or thread_id",
                )
            return self.post_problem(hook.channel, {"name": body["thread_name"]})
        return hook.channel

    # -- reading -----------------------------------------------------------------------------
    def _read(self, data: Any) -> web.Response:
        """A read's answer: it counts in the bot's global budget, as every request does."""
        wait = self.fake._global.hit()
        if wait is not None:
            return self.fake._too_many(wait, is_global=True)
        return answer(data)

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.fake._channel(request)
        if isinstance(channel, web.Response):
            return channel
        if not self.allows(channel, VIEW_CHANNEL):
            return error(403, 50001, "Missing Access")
        return self._read(channel.to_json(0))

    async def _active(self, request: web.Request) -> web.Response:
        guild = request.match_info["guild_id"]
        threads = [
            c.to_json(0)
            for c in self.fake.channels.values()
            if c.is_thread
            and str(c.guild_id) == guild
            and not c.archived
            and c.state == "ok"
            and self.allows(c, VIEW_CHANNEL)
        ]
        return self._read({"threads": threads, "members": []})

    async def _archived(self, request: web.Request) -> web.Response:
        forum = self.fake._channel(request)
        if isinstance(forum, web.Response):
            return forum
        refused = self.refused(forum, READ_MESSAGE_HISTORY)
        if refused is not None:
            return refused
        threads = [
            c.to_json(0)
            for c in reversed(self.fake.channels.values())
            if c.parent_id == forum.id and c.archived
        ]
        return self._read({"threads": threads, "members": [], "has_more": False})
