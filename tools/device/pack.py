"""Pack a prepared dataset (``voicebot data prepare``) small enough to travel to a lent GPU.

The device tool carries at most 64 MiB per call, the repository included, so the 16-bit WAVs
(400 MB for the default voice's 143 minutes) travel as Ogg Opus at ~60 kbit/s, split into
parts that each fit one call. ``unpack.py`` on the device writes them back as 16-bit WAV
with the same names, lengths and TSV files, so ``voicebot train --data`` reads them as is.

    python tools/device/pack.py /work/data/ja-kokoro-full .gpu/pack --parts 2
"""

from __future__ import annotations

import argparse
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import soundfile as sf

# libsndfile's Opus setting: 0.8 keeps the 4-12 kHz bands (~22 dB waveform SNR, ~60 kbit/s);
# 0.85 and above switch to a mode that loses 3 dB in 4-8 kHz.
COMPRESSION = 0.8


def _encode(job: tuple[Path, Path]) -> int:
    src, dst = job
    audio, rate = sf.read(src, dtype="float32")
    dst.parent.mkdir(parents=True, exist_ok=True)
    sf.write(dst, audio, rate, format="OGG", subtype="OPUS", compression_level=COMPRESSION)
    return dst.stat().st_size


def pack(data: Path, out: Path, parts: int) -> int:
    """Encode ``data``'s WAVs into ``out/a``, ``out/b``, ...; the TSVs and pitch go to ``out/a``.
    Returns bytes."""
    wavs = sorted(data.glob("wavs/*/*.wav"))
    names = [chr(ord("a") + i) for i in range(parts)]
    jobs = [
        (wav, out / names[i % parts] / wav.relative_to(data).with_suffix(".ogg"))
        for i, wav in enumerate(wavs)
    ]
    with ProcessPoolExecutor() as pool:
        total = sum(pool.map(_encode, jobs, chunksize=32))
    for meta in data.glob("*.*"):
        if meta.is_file():
            shutil.copy(meta, out / "a" / meta.name)
    if (data / "pitch").is_dir():  # the pitch tracks (~3 MB) travel as they are
        shutil.copytree(data / "pitch", out / "a" / "pitch", dirs_exist_ok=True)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path, help="prepared dataset folder")
    parser.add_argument("out", type=Path, help="where the parts go (a git-ignored folder)")
    parser.add_argument("--parts", type=int, default=2, help="how many calls the data travels in")
    args = parser.parse_args()
    total = pack(args.data, args.out, args.parts)
    print(f"{total / 1e6:.1f} MB in {args.parts} parts under {args.out}")


if __name__ == "__main__":
    main()
