"""`papers-bot db upgrade|current`: apply or show the store's schema migrations.

The bot migrates on start-up anyway; this is for operators who migrate before deploying a new
version, or who want to see where a database stands.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "db",
        help="database migrations (upgrade, current)",
        description="Manage the store's schema (DATABASE_URL; default a SQLite file in the "
        "data folder).",
    )
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="apply pending migrations")
    upgrade.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    actions.add_parser("current", help="print the database's schema revision")
    parser.set_defaults(handler=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    from bot.store.migrate import revisions  # noqa: PLC0415 (keeps --help instant)

    if args.db_action == "upgrade" and args.revision != "head":
        known = revisions()
        if args.revision not in known:
            args.parser.error(
                f"unknown revision {args.revision!r}; known: {', '.join(known)} or head"
            )
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    from bot.config import load_settings  # noqa: PLC0415 (keeps --help instant)
    from bot.store import migrate  # noqa: PLC0415
    from bot.store.engine import Database  # noqa: PLC0415

    settings = load_settings()
    db = await Database.open(settings.resolved_database_url)
    try:
        if args.db_action == "upgrade":
            before = await migrate.current_revision(db)
            await migrate.upgrade(db, args.revision)
            after = await migrate.current_revision(db)
            print(f"database at revision {after} (was {before or 'empty'})")
        else:
            current = await migrate.current_revision(db)
            head = migrate.head_revision()
            state = "up to date" if current == head else f"head is {head}"
            print(f"{current or 'empty'} ({state})")
    finally:
        await db.close()
    return 0
