"""On the device: decode one part written by ``pack.py`` into a dataset folder (16-bit WAV).

python3 tools/device/unpack.py .gpu/pack/a /root/ds    # then .gpu/pack/b in the next call
"""

from __future__ import annotations

import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import soundfile as sf


def _decode(job: tuple[Path, Path]) -> None:
    src, dst = job
    audio, rate = sf.read(src, dtype="float32")
    dst.parent.mkdir(parents=True, exist_ok=True)
    sf.write(dst, audio.clip(-1.0, 1.0), rate, subtype="PCM_16")


def unpack(part: Path, data: Path) -> int:
    """Decode every ``part/wavs/*/*.ogg`` to ``data/wavs/*/*.wav``; copy the TSVs and the
    pitch tracks. Returns files."""
    jobs = [(ogg, data / ogg.relative_to(part).with_suffix(".wav")) for ogg in part.glob("wavs/*/*.ogg")]
    with ProcessPoolExecutor() as pool:
        list(pool.map(_decode, jobs, chunksize=16))
    for meta in part.glob("*.*"):
        if meta.is_file():
            shutil.copy(meta, data / meta.name)
    if (part / "pitch").is_dir():
        shutil.copytree(part / "pitch", data / "pitch", dirs_exist_ok=True)
    return len(jobs)


if __name__ == "__main__":
    count = unpack(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"unpacked {count} files into {sys.argv[2]}")
