"""The status page (`GET /status`) as HTML, from a `StatusView`; a pure function.

A small page an operator keeps open: it reloads itself every minute (a meta refresh, no
script), and says in one glance whether the sources answer, when each channel posts
next, what waits in the outbox and what was given up on. Every time is UTC in ISO 8601
with how long ago or ahead it is. Every text from the database or a source is escaped and
the page carries a Content-Security-Policy that allows no script and loads nothing, so a
channel id or an error message shows as the text it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from html import escape

from bot.render.html_style import FONTS
from bot.render.status_view import (
    BacklogLine,
    PlatformSubscriptions,
    PostLine,
    SourceLine,
    StatusView,
    SubscriptionLine,
)

REFRESH_SECONDS = 60
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
TITLE = "papers-bot status"
NONE = "—"

STATUS_CSS = f"""
* {{ box-sizing: border-box; }}
body {{ margin: 0; padding: 24px 32px 40px; background: #f4f5f7; color: #1f2328;
  font: 14px/1.45 {FONTS}; }}
header {{ display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; }}
h1 {{ margin: 0; font-size: 22px; }}
.meta {{ color: #59636e; font-size: 13px; }}
.glance {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr));
  gap: 12px; margin: 18px 0 8px; }}
.tile {{ background: #fff; border-radius: 8px; padding: 12px 16px;
  box-shadow: 0 1px 3px rgba(31,35,40,.12); border-top: 4px solid #1a7f37; }}
.tile.warn {{ border-top-color: #bf8700; }}
.tile.bad {{ border-top-color: #cf222e; }}
.tile .n {{ font-size: 26px; font-weight: 700; }}
.tile .what {{ color: #59636e; }}
section {{ background: #fff; border-radius: 8px; margin-top: 16px; padding: 4px 16px 12px;
  box-shadow: 0 1px 3px rgba(31,35,40,.12); }}
h2 {{ font-size: 17px; margin: 12px 0 8px; }}
h3 {{ font-size: 15px; margin: 14px 0 6px; }}
h3 .meta {{ font-weight: 400; margin-left: 8px; }}
table {{ width: 100%; border-collapse: collapse; }}
th {{ text-align: left; font-size: 12px; font-weight: 600; color: #59636e;
  border-bottom: 1px solid #d1d9e0; padding: 6px 8px; }}
.scroll {{ overflow-x: auto; }}
td {{ border-bottom: 1px solid #eef0f2; padding: 6px 8px; vertical-align: top;
  overflow-wrap: break-word; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.error {{ color: #82071e; }}
time {{ font-variant-numeric: tabular-nums; white-space: nowrap; }}
.rel {{ color: #59636e; white-space: nowrap; }}
.chip {{ display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; white-space: nowrap; background: #dafbe1; color: #116329; }}
.chip.warn {{ background: #fff8c5; color: #7d4e00; }}
.chip.bad {{ background: #ffebe9; color: #a40e26; }}
.chip.idle {{ background: #eef0f2; color: #59636e; }}
.empty {{ color: #59636e; margin: 4px 0 8px; }}
.more {{ color: #59636e; font-size: 13px; margin: 6px 8px 0; }}
p.down {{ font-size: 16px; color: #a40e26; }}
"""


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def iso_utc(moment: dt.datetime) -> str:
    """`2026-12-08T09:00:00Z`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if rest and hours < 10 else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def relative(moment: dt.datetime, now: dt.datetime) -> str:
    """ "in 3 h", "5 min ago", "now": how far `moment` is from `now`, to the minute."""
    seconds = (moment - now).total_seconds()
    minutes = round(abs(seconds) / 60)
    if minutes == 0:
        return "now"
    return f"in {_span(minutes)}" if seconds > 0 else f"{_span(minutes)} ago"


def _when(moment: dt.datetime | None, now: dt.datetime) -> str:
    if moment is None:
        return NONE
    stamp = iso_utc(moment)
    return (
        f'<time datetime="{stamp}">{stamp}</time> '
        f'<span class="rel">({_text(relative(moment, now))})</span>'
    )


def _day(day: dt.date | None) -> str:
    if day is None:
        return NONE
    return f'<time datetime="{day.isoformat()}">{day.isoformat()}</time>'


def _chip(words: str, tone: str = "") -> str:
    return f'<span class="chip {tone}">{_text(words)}</span>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    """`rows` hold HTML already (each cell escaped by its maker)."""
    head = "".join(f"<th>{_text(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _error(text: str | None) -> str:
    return NONE if not text else f'<span class="error">{_text(text)}</span>'


def _section(anchor: str, title: str, inner: str) -> str:
    return f'<section id="{anchor}"><h2>{_text(title)}</h2>{inner}</section>'


def _empty(words: str) -> str:
    return f'<p class="empty">{_text(words)}</p>'


# --- sources -----------------------------------------------------------------------------


def _source_state(line: SourceLine) -> str:
    if not line.polled:
        return _chip("not polled here", "idle")
    if line.last_attempt is None:
        return _chip("not polled yet", "idle")
    if line.failures:
        failed = "failing" if line.last_success is None else "last poll failed"
        return _chip(f"{failed} ({line.failures} in a row)", "bad")
    return _chip("ok")


def _sources(lines: Sequence[SourceLine], now: dt.datetime) -> str:
    if not lines:
        return _section("sources", "Sources", _empty("No source is enabled or archived."))
    rows = [
        (
            f"<b>{_text(line.name)}</b>",
            _source_state(line),
            _when(line.last_attempt, now),
            _when(line.last_success, now),
            _error(line.last_error),
            f"{line.days:,}",
            _day(line.newest_day),
            _when(line.last_stored, now),
        )
        for line in lines
    ]
    headers = (
        "source",
        "state",
        "last poll",
        "last good poll",
        "last error",
        "days archived",
        "newest day",
        "last stored",
    )
    return _section("sources", "Sources", _table(headers, rows, {5}))


# --- subscriptions -----------------------------------------------------------------------


def _subscription_state(line: SubscriptionLine) -> str:
    if line.paused:
        words = f"paused: {line.note}" if line.note else "paused"
        return _chip(words, "warn")
    if line.next_post is None:
        return _chip(f"not posting: {line.note}" if line.note else "not posting", "bad")
    return _chip("active")


def _platform(group: PlatformSubscriptions, now: dt.datetime) -> str:
    counts = f"{group.active:,} active · {group.paused:,} paused"
    soonest = group.next_post
    if soonest is not None:
        counts += f" · next post {iso_utc(soonest)} ({relative(soonest, now)})"
    rows = [
        (
            _text(line.channel),
            _text(line.schedule),
            _when(line.next_post, now),
            _subscription_state(line),
        )
        for line in group.lines
    ]
    table = _table(("channel", "posts at", "next post", "state"), rows, set())
    more = f'<p class="more">… and {group.hidden:,} more</p>' if group.hidden else ""
    heading = f'<h3>{_text(group.platform)} <span class="meta">{_text(counts)}</span></h3>'
    return heading + table + more


def _subscriptions(groups: Sequence[PlatformSubscriptions], now: dt.datetime) -> str:
    inner = "".join(_platform(g, now) for g in groups) or _empty("No subscription yet.")
    return _section("subscriptions", "Subscriptions", inner)


# --- outbox ------------------------------------------------------------------------------


def _backlog(lines: Sequence[BacklogLine], now: dt.datetime) -> str:
    if not lines:
        return _section("outbox", "Outbox backlog", _empty("Nothing waiting to be sent."))
    rows = [
        (
            _text(line.platform),
            _chip(line.state, "bad" if line.state == "failed" else "idle"),
            f"{line.rows:,}",
            _when(line.oldest, now),
            _when(line.next_attempt, now) if line.next_attempt else "being sent",
        )
        for line in lines
    ]
    headers = ("platform", "state", "posts", "oldest planned", "next attempt")
    return _section("outbox", "Outbox backlog", _table(headers, rows, {2}))


def _dead(lines: Sequence[PostLine], total: int, now: dt.datetime) -> str:
    if not lines:
        return _section("dead-letters", "Dead letters", _empty("No dead letter."))
    rows = [
        (
            _when(line.at, now),
            _text(line.channel),
            _text(line.kind),
            _text(line.item),
            f"{line.attempts:,}",
            _error(line.error),
        )
        for line in lines
    ]
    headers = ("given up", "channel", "kind", "day / item", "attempts", "last error")
    more = total - len(lines)
    tail = f'<p class="more">… and {more:,} older</p>' if more > 0 else ""
    return _section("dead-letters", "Dead letters", _table(headers, rows, {4}) + tail)


def _recent(lines: Sequence[PostLine], days: int, now: dt.datetime) -> str:
    if not lines:
        words = f"No post sent of those planned in the last {days} days."
        return _section("recent-posts", "Recent posts", _empty(words))
    rows = [
        (_when(line.at, now), _text(line.channel), _text(line.kind), _text(line.item))
        for line in lines
    ]
    headers = ("sent", "channel", "kind", "day / item")
    return _section("recent-posts", "Recent posts", _table(headers, rows, set()))


# --- the page ----------------------------------------------------------------------------


def _tile(number: str, what: str, tone: str = "") -> str:
    return (
        f'<div class="tile {tone}"><div class="n">{_text(number)}</div>'
        f'<div class="what">{_text(what)}</div></div>'
    )


def _glance(view: StatusView) -> str:
    polled = [s for s in view.sources if s.polled]
    good = sum(1 for s in polled if s.last_attempt is not None and not s.failures)
    active = sum(g.active for g in view.subscriptions)
    paused = sum(g.paused for g in view.subscriptions)
    waiting = sum(b.rows for b in view.backlog)
    dead = view.dead_letters
    tiles = (
        _tile(f"{good}/{len(polled)}", "sources answering", "" if good == len(polled) else "bad"),
        _tile(f"{active:,}", f"subscriptions active · {paused:,} paused"),
        _tile(f"{waiting:,}", "posts waiting in the outbox", "warn" if waiting else ""),
        _tile(f"{dead:,}", "dead letters", "bad" if dead else ""),
    )
    return f'<div class="glance" id="glance">{"".join(tiles)}</div>'


def _page(title_extra: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_text(TITLE + title_extra)}</title>\n<style>{STATUS_CSS}</style>\n"
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _header(now: dt.datetime, details: str) -> str:
    meta = f"{details} · {_when(now, now)} · refreshes every minute"
    return f'<header><h1>{_text(TITLE)}</h1><span class="meta">{meta}</span></header>'


def render_status(view: StatusView) -> str:
    """The whole page."""
    now = view.now
    details = f"papers-bot {_text(view.version)} · store {_text(view.store)}"
    body = "\n".join(
        (
            _header(now, details),
            _glance(view),
            _sources(view.sources, now),
            _subscriptions(view.subscriptions, now),
            _backlog(view.backlog, now),
            _dead(view.dead, view.dead_letters, now),
            _recent(view.recent, view.recent_days, now),
        )
    )
    return _page("", body)


def render_unavailable(reason: str, now: dt.datetime) -> str:
    """The page while the database does not answer: that, in one line."""
    line = f'<p class="down">The database is not answering: {_text(reason)}</p>'
    return _page(" (database down)", f"{_header(now, 'papers-bot')}\n{line}")
