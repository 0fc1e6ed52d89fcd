"""A small speaker folder the project makes itself, to try training end to end in minutes.

Open JTalk speaks bundled sentences of the public-domain ITA corpus (phoneme-balanced) into
the LJSpeech layout that ``voicebot data prepare`` reads. Nothing is downloaded. The voice
trained on it imitates Open JTalk's "mei": the point is to see every step work on a new
machine before recording a real corpus.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import soundfile

from voicebot.training.errors import DataError

__all__ = ["SENTENCES_FILE", "ita_sentences", "write_sample_corpus"]

SENTENCES_FILE = Path(__file__).with_name("ita_sentences.txt")


def ita_sentences() -> list[tuple[str, str]]:
    """The bundled ITA sentences as ``(id, text)``, in corpus order (424 of them)."""
    lines = SENTENCES_FILE.read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("|", 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def write_sample_corpus(out: Path, count: int) -> Iterator[str]:
    """Speak the first ``count`` ITA sentences with Open JTalk into ``out`` (``metadata.csv`` and
    ``wavs/ID.wav``), yielding each id as it is written; existing audio is kept (resumable).

    Raises:
        DataError: ``count`` is out of range, or ``out`` exists and is not a sample corpus.
    """
    sentences = ita_sentences()
    if not 1 <= count <= len(sentences):
        raise DataError(f"--sentences must be between 1 and {len(sentences)} (got {count})")
    metadata = out / "metadata.csv"
    if out.exists() and any(out.iterdir()) and not metadata.is_file():
        raise DataError(f"{out} exists and is not a speaker folder: give a new or empty folder")
    from voicebot.voices import OpenJTalkVoice  # loads the dictionary

    voice = OpenJTalkVoice()
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    chosen = sentences[:count]
    for utterance_id, text in chosen:
        wav = out / "wavs" / f"{utterance_id}.wav"
        if not wav.is_file():
            partial = wav.with_suffix(".partial.wav")
            soundfile.write(partial, voice.synthesize(text), voice.sample_rate, subtype="PCM_16")
            partial.replace(wav)
        yield utterance_id
    metadata.write_text("".join(f"{i}|{t}\n" for i, t in chosen), encoding="utf-8")
