#!/usr/bin/env python3
"""Spectrograms of audio files stacked in one PNG, to compare a voice with its recordings by eye.

    python tools/spectrograms.py OUT.png eval/voice/X.wav eval/reference/X.wav [...]

Linear frequency up to Nyquist, dB relative to each file's peak (-80 to 0), so the harmonics,
the noise between them and the pauses show as they are. Needs numpy, soundfile and
matplotlib (the quality.py environment has them), not the voicebot package.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib
import numpy as np
import soundfile

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the file-only backend

N_FFT, HOP = 1024, 256


def spectrogram_db(audio: np.ndarray) -> np.ndarray:
    """Magnitude in dB relative to the peak, (N_FFT // 2 + 1, frames)."""
    padded = np.pad(audio, (N_FFT // 2, N_FFT // 2))
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP] * np.hanning(N_FFT)
    magnitude = np.abs(np.fft.rfft(frames, axis=1)).T
    return 20 * np.log10(np.maximum(magnitude, 1e-10) / max(float(magnitude.max()), 1e-10))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="PNG to write")
    parser.add_argument("files", type=Path, nargs="+", help="audio files, one row each")
    args = parser.parse_args()
    figure, axes = plt.subplots(len(args.files), 1, figsize=(14, 3.2 * len(args.files)), squeeze=False)
    for axis, path in zip(axes[:, 0], args.files, strict=True):
        audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
        audio = audio.mean(axis=1)
        extent = (0.0, len(audio) / rate, 0.0, rate / 2000)
        axis.imshow(spectrogram_db(audio), origin="lower", aspect="auto", vmin=-80, vmax=0, extent=extent)
        axis.set_title(str(path))
        axis.set_ylabel("kHz")
    axes[-1, 0].set_xlabel("s")
    figure.tight_layout()
    figure.savefig(args.out, dpi=70)


if __name__ == "__main__":
    main()
