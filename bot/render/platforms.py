"""Rendering for a platform named at run time: the one dispatch from `Platform` to the
Discord or Slack renderer, so callers never branch on the platform themselves."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Digest, Paper, Platform
from bot.render.discord import render_discord_alert, render_discord_digest
from bot.render.message import RenderedMessage
from bot.render.options import RenderOptions
from bot.render.slack import render_slack_alert, render_slack_digest


def render_digest(
    platform: Platform, digest: Digest, papers: Sequence[Paper], options: RenderOptions
) -> list[RenderedMessage]:
    """A day's post: a header, then the selected papers, in sending order."""
    if platform is Platform.DISCORD:
        return render_discord_digest(digest, papers, options=options)
    return render_slack_digest(digest, papers, options=options)


def render_alert(
    platform: Platform, paper: Paper, threshold: int, options: RenderOptions
) -> RenderedMessage:
    """One paper that crossed a channel's vote threshold after its digest went out."""
    if platform is Platform.DISCORD:
        return render_discord_alert(paper, threshold, options=options)
    return render_slack_alert(paper, threshold, options=options)
