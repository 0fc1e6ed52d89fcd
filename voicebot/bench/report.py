"""The HTML report of ``voicebot bench voice``: listen and look, not only count.

One page in the output folder: the scores of each voice (and of the recordings) measured in
the run, then one row per sentence with audio players for the recording, the voice and Open
JTalk side by side and their spectrograms stacked in one image. The page refers to the WAV
files next to it by relative paths, so the folder can be copied and opened anywhere; the
spectrograms are PNG files written with numpy and zlib alone.
"""

from __future__ import annotations

import html
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicebot.bench import stft_magnitude
from voicebot.bench.quality import Dnsmos

__all__ = ["SentenceRow", "Summary", "spectrogram_png", "write_report"]

_FFT, _HOP = 1024, 256
_TOP_HZ = 8000.0
_ROWS = 160  # pixels per spectrogram panel
_GAP = 4
_FLOOR_DB = -80.0


@dataclass(frozen=True)
class Summary:
    """One line of the scores table: a voice (or the recordings) over all sentences."""

    name: str
    rtf: float | None
    duration_ratio: float | None
    mcd_db: float | None
    f0_rmse_cents: float | None
    voicing_error: float | None
    dnsmos: Dnsmos | None


@dataclass(frozen=True)
class SentenceRow:
    """One sentence: its text and, per column (recording, voice, Open JTalk), a WAV path
    relative to the report and a short score line."""

    stem: str
    text: str
    audio: Sequence[str]
    notes: Sequence[str]


def _panel(audio: np.ndarray, rate: int, width: int) -> np.ndarray:
    """(ROWS, width) dB spectrogram from 0 to 8 kHz, low frequencies at the bottom, 0..1."""
    if audio.size < _FFT:
        audio = np.pad(audio, (0, _FFT - audio.size))
    magnitude = stft_magnitude(audio.astype(np.float64), _FFT, _HOP)
    bins = int(_TOP_HZ / (rate / 2) * (_FFT // 2)) if rate / 2 > _TOP_HZ else _FFT // 2
    db = 20 * np.log10(np.maximum(magnitude[:, :bins], 1e-10) / max(float(magnitude.max()), 1e-10))
    picture = np.clip((db - _FLOOR_DB) / -_FLOOR_DB, 0.0, 1.0)  # (frames, bins)
    x = np.linspace(0, picture.shape[0] - 1, width).round().astype(int)
    y = np.linspace(0, picture.shape[1] - 1, _ROWS).round().astype(int)
    return picture[x][:, y].T[::-1]


def _colour(values: np.ndarray) -> np.ndarray:
    """A dark-blue to yellow ramp (perceptually ordered, readable in print): (..., 3) uint8."""
    stops = np.array([[10, 10, 40], [60, 20, 110], [180, 50, 90], [245, 140, 40], [250, 245, 160]], float)
    position = values * (len(stops) - 1)
    low = np.clip(np.floor(position).astype(int), 0, len(stops) - 2)
    fraction = (position - low)[..., None]
    return (stops[low] * (1 - fraction) + stops[low + 1] * fraction).astype(np.uint8)


def _png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an (H, W, 3) uint8 image."""
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def spectrogram_png(
    path: Path, audios: Sequence[tuple[np.ndarray, int]], pixels_per_second: int = 150
) -> None:
    """Write the spectrograms of ``audios`` ((samples, rate) each) stacked top to bottom, on
    one time scale (the longest sets the width), to ``path``."""
    seconds = max(audio.size / rate for audio, rate in audios)
    width = max(64, int(seconds * pixels_per_second))
    panels = []
    for audio, rate in audios:
        own = max(8, int(audio.size / rate * pixels_per_second))
        panel = np.zeros((_ROWS, width))
        panel[:, :own] = _panel(audio, rate, own)
        panels.extend([panel, np.ones((_GAP, width))])
    path.write_bytes(_png(_colour(np.vstack(panels[:-1]))))


def _cell(value: float | None, digits: int, unit: str = "") -> str:
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def write_report(
    path: Path,
    title: str,
    summaries: Sequence[Summary],
    rows: Sequence[SentenceRow],
    columns: Sequence[str],
    dnsmos_note: str | None,
) -> None:
    """Write the HTML report to ``path`` (the audio and ``spectrograms/STEM.png`` next to it)."""
    head = (
        "<tr><th>voice</th><th>P.808</th><th>OVRL</th><th>SIG</th><th>BAK</th><th>MCD</th>"
        "<th>F0 RMSE</th><th>voicing error</th><th>duration ratio</th><th>RTF</th></tr>"
    )
    lines = []
    for s in summaries:
        mos = (s.dnsmos.p808, s.dnsmos.ovrl, s.dnsmos.sig, s.dnsmos.bak) if s.dnsmos else (None,) * 4
        lines.append(
            f"<tr><td>{html.escape(s.name)}</td>"
            + "".join(f"<td>{_cell(v, 2)}</td>" for v in mos)
            + f"<td>{_cell(s.mcd_db, 2, ' dB')}</td><td>{_cell(s.f0_rmse_cents, 0, ' ¢')}</td>"
            f"<td>{_cell(s.voicing_error, 3)}</td><td>{_cell(s.duration_ratio, 3)}</td>"
            f"<td>{_cell(s.rtf, 4)}</td></tr>"
        )
    sentences = []
    for row in rows:
        cells = "".join(
            f"<td><div class=label>{html.escape(label)}</div>"
            f'<audio controls preload=none src="{html.escape(audio)}"></audio>'
            f"<div class=note>{html.escape(note)}</div></td>"
            for label, audio, note in zip(columns, row.audio, row.notes, strict=True)
        )
        sentences.append(
            f'<section class=sentence id="{html.escape(row.stem)}"><h3>{html.escape(row.stem)}: '
            f"{html.escape(row.text)}</h3><table><tr>{cells}</tr></table>"
            f'<img alt="spectrograms: {" / ".join(map(html.escape, columns))}" '
            f'src="spectrograms/{html.escape(row.stem)}.png"></section>'
        )
    note = f"<p class=note>{html.escape(dnsmos_note)}</p>" if dnsmos_note else ""
    order = " / ".join(map(html.escape, columns))
    path.write_text(
        f"""<!doctype html>
<html lang=ja><meta charset=utf-8><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
.sentence td {{ text-align: left; vertical-align: top; border: none; }}
.label {{ font-weight: bold; }} .note {{ color: #666; font-size: 90%; }}
img {{ display: block; margin-top: 6px; max-width: 100%; image-rendering: pixelated; }}
</style>
<h1>{html.escape(title)}</h1>
<h2>Scores</h2>
<table class=scores>{head}{"".join(lines)}</table>{note}
<p class=note>MCD: 24 mel cepstra, DTW-aligned, against the recording. F0 RMSE over frames voiced
in both, voicing error: share of aligned frames voiced in one only. RTF: synthesis time over audio
time, measured in this run. Spectrograms 0 to 8 kHz, top to bottom: {order}.</p>
<h2>Sentences</h2>
{"".join(sentences)}
</html>
""",
        encoding="utf-8",
    )
