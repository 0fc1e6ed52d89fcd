"""The Japanese text frontend: chat text -> normalized Japanese -> phoneme symbols.

``normalize`` and ``apply_dictionary`` run in the bot process; ``split_sentences``, ``g2p``
and ``symbols_to_ids`` in the synthesis workers (the bot uses ``g2p`` to tell whether a message
can be read). None of them raises on any ``str``. ``warm_up`` at start-up spares the first
messages Open JTalk's lazy loading.
"""

from __future__ import annotations

from voicebot.text.dictionary import DictEntry, apply_dictionary
from voicebot.text.normalizer import normalize
from voicebot.text.options import NormalizeOptions, Resolver
from voicebot.text.phonemize import g2p, openjtalk_text, warm_up
from voicebot.text.sentences import split_sentences
from voicebot.text.symbols import SYMBOL_TABLE_VERSION, SYMBOLS, symbols_to_ids, unknown_symbols

__all__ = [
    "SYMBOLS",
    "SYMBOL_TABLE_VERSION",
    "DictEntry",
    "NormalizeOptions",
    "Resolver",
    "apply_dictionary",
    "g2p",
    "normalize",
    "openjtalk_text",
    "split_sentences",
    "symbols_to_ids",
    "unknown_symbols",
    "warm_up",
]
