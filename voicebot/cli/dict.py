"""``voicebot dict``: the bot-wide reading dictionary, kept by the bot's owner.

Its words apply in every server, after the server's own ``/dict`` and before the built-in
readings. It lives in the settings database (``VOICEBOT_DATA_DIR``); a running bot reads the
change with the next message.

Examples::

    voicebot dict add 鬼滅 きめつ
    voicebot dict import words.csv
    voicebot dict list
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from voicebot.cli.common import help_text, init

__all__ = ["register"]


async def _run(args: argparse.Namespace) -> int:
    from voicebot.storage import BOT_DICTIONARY, MAX_PATTERN_CHARS, MAX_READING_CHARS, Database
    from voicebot.text.dictionary_file import parse_dictionary

    db = Database.from_settings(init(args.verbose))
    await db.open()
    try:
        if args.action == "add":
            replaced = await db.add_dictionary_entry(BOT_DICTIONARY, args.word, args.reading)
            print(f"{'updated' if replaced else 'added'}: {args.word.strip()} → {args.reading.strip()}")
        elif args.action == "remove":
            if not await db.remove_dictionary_entry(BOT_DICTIONARY, args.word):
                print(f"voicebot dict: {args.word!r} is not in the bot-wide dictionary")
                return 1
            print(f"removed: {args.word}")
        elif args.action == "list":
            entries = await db.list_dictionary(BOT_DICTIONARY)
            for entry in entries:
                print(f"{entry.pattern} → {entry.reading}")
            print(f"{len(entries)} words")
        else:
            path = Path(args.file)
            parsed = parse_dictionary(path.read_bytes(), path.name, (MAX_PATTERN_CHARS, MAX_READING_CHARS))
            for line in parsed.skipped:
                print(f"skipped {line}")
            added, replaced = await db.import_dictionary(BOT_DICTIONARY, parsed.entries)
            print(f"{added} added, {replaced} updated, {len(parsed.skipped)} lines skipped")
    finally:
        await db.close()
    return 0


def _main(args: argparse.Namespace) -> int:
    from voicebot.storage import StorageLimitError
    from voicebot.text.dictionary_file import DictionaryFileError

    try:
        return asyncio.run(_run(args))
    except (StorageLimitError, DictionaryFileError) as exc:
        print(f"voicebot dict: error: {exc} (nothing was changed)")
        return 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``dict`` subcommand."""
    parser = subparsers.add_parser(
        "dict", help="the bot-wide reading dictionary (every server)", description=help_text(__doc__)
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add or update a word")
    add.add_argument("word")
    add.add_argument("reading")
    remove = actions.add_parser("remove", help="remove a word")
    remove.add_argument("word")
    actions.add_parser("list", help="list the words")
    load = actions.add_parser("import", help="add every word of a JSON or CSV file (all or nothing)")
    load.add_argument("file", help="JSON as /dict export writes it, or CSV lines word,reading")
    parser.set_defaults(func=_main)
