"""``voicebot db``: the settings database.

``migrate-to URL`` copies the SQLite settings file (in ``VOICEBOT_DATA_DIR``) into an empty
Postgres database, once, when a bot grows to several processes; then set
``VOICEBOT_DATABASE_URL`` to that URL. The SQLite file is left as it was.

Example::

    voicebot db migrate-to postgresql://voicebot:secret@db.example:5432/voicebot
"""

from __future__ import annotations

import argparse
import asyncio

from voicebot.cli.common import help_text, init

__all__ = ["register"]


async def _migrate_to(args: argparse.Namespace) -> int:
    from voicebot.storage import DATABASE_FILE, Database
    from voicebot.storage.postgres import describe_url, is_postgres_url

    settings = init(args.verbose)
    if not is_postgres_url(args.url):
        print("voicebot db migrate-to: give a postgresql://user:password@host:port/dbname URL")
        return 2
    path = settings.data_dir / DATABASE_FILE
    if not path.is_file():
        print(f"voicebot db migrate-to: no settings database at {path} (check VOICEBOT_DATA_DIR)")
        return 2
    async with (
        Database(path, max_dictionary_entries=settings.dictionary_max_entries) as source,
        Database(args.url, max_dictionary_entries=settings.dictionary_max_entries) as target,
    ):
        copied = await source.copy_into(target)
    print(f"copied {sum(copied.values())} rows from {path} to {describe_url(args.url)}:")
    for table, count in copied.items():
        print(f"  {table}: {count}")
    print("now set VOICEBOT_DATABASE_URL to that URL for every bot process")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``db`` subcommand."""
    parser = subparsers.add_parser(
        "db", help="the settings database (copy SQLite to Postgres)", description=help_text(__doc__)
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = actions.add_parser(
        "migrate-to", help="copy the SQLite settings into an empty Postgres database (one way)"
    )
    migrate.add_argument("url", help="postgresql://user:password@host:port/dbname")
    migrate.set_defaults(func=lambda args: asyncio.run(_migrate_to(args)))
