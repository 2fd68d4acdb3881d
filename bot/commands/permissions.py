"""Who may run a command, and where: checked before any handler runs.

Platforms hide management commands from members without the permission (Discord's
default member permissions), but a server admin can change that per command and a Slack
workspace has no such setting; so the rule is checked again here on every run.
"""

from __future__ import annotations

from bot.commands.context import Invocation
from bot.commands.errors import PermissionDeniedError, WrongPlaceError


async def check_allowed(invocation: Invocation) -> None:
    """Raise the refusal the user should see, or return when the command may run."""
    spec = invocation.spec
    if spec.manages and invocation.is_dm:
        raise WrongPlaceError(
            f"/{spec.name} works only in a channel, not in a direct message: a subscription "
            "belongs to a channel. Run it in the channel you want the digest in."
        )
    if spec.manages and not await invocation.caller.can_manage():
        raise PermissionDeniedError(
            f"/{spec.name} needs {invocation.caller.requirement}, which you don't have here. "
            "Ask someone who does, or use /paper and /papers, which anyone may use."
        )
    if spec.posts:
        problem = await invocation.caller.post_problem()
        if problem:
            raise WrongPlaceError(
                f"I can't post in this {invocation.place} ({problem}). Give me access here, "
                "or run the command in a channel where I can post."
            )
