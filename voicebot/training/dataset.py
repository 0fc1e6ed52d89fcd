"""The prepared dataset as tensors: symbol ids, waveform, linear and mel spectrograms, pitch."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from torch import Tensor
from torch.utils.data import Dataset

from voicebot.model import SpectrogramFeatures
from voicebot.text import symbols_to_ids
from voicebot.training.errors import DataError
from voicebot.training.manifest import Utterance
from voicebot.training.pitch import continuous_log_f0, pitch_path, read_f0

__all__ = ["Batch", "SpeechDataset", "collate"]


@dataclass
class Batch:
    """A padded batch of B utterances (T tokens, F frames, hop samples per frame)."""

    ids: Tensor  # (B, T) int64
    id_lengths: Tensor  # (B,)
    spec: Tensor  # (B, n_fft // 2 + 1, F)
    mel: Tensor  # (B, n_mels, F)
    spec_lengths: Tensor  # (B,)
    audio: Tensor  # (B, 1, F * hop)
    speakers: Tensor  # (B,)
    log_f0: Tensor  # (B, F) continuous log-F0 (zeros when the dataset is read without pitch)
    voiced: Tensor  # (B, F) 1 where voiced

    def to(self, device: torch.device) -> Batch:
        """The same batch on ``device``."""
        return Batch(**{f.name: getattr(self, f.name).to(device, non_blocking=True) for f in fields(self)})

    def pin_memory(self) -> Batch:
        """The same batch in page-locked memory (called by the DataLoader when pinning for CUDA)."""
        return Batch(**{f.name: getattr(self, f.name).pin_memory() for f in fields(self)})


class SpeechDataset(Dataset[dict[str, Tensor]]):
    """Utterances of a prepared dataset, ids taken from ``symbols`` and speakers from ``speakers``.

    ``pitch_means`` (speaker -> mean log-F0, from ``dataset.json``) makes it read each
    utterance's pitch track too; without it the pitch tensors are zeros.
    """

    def __init__(
        self,
        root: Path,
        utterances: list[Utterance],
        symbols: tuple[str, ...],
        speakers: tuple[str, ...],
        features: SpectrogramFeatures,
        hop_length: int,
        pitch_means: dict[str, float] | None = None,
    ) -> None:
        unknown = sorted({u.speaker for u in utterances} - set(speakers))
        if unknown:
            raise DataError(f"{root}: utterances of speakers {unknown} not listed in dataset.json")
        self.root = root
        self.utterances = utterances
        self.symbols = symbols
        self.speaker_index = {name: i for i, name in enumerate(speakers)}
        self.features = features
        self.hop_length = hop_length
        self.pitch_means = pitch_means

    def __len__(self) -> int:
        return len(self.utterances)

    def lengths(self) -> list[int]:
        """Audio lengths in samples, for length bucketing."""
        return [u.samples for u in self.utterances]

    @torch.no_grad()
    def __getitem__(self, index: int) -> dict[str, Tensor]:
        """One utterance: ids (T,), speaker (), audio (F * hop,), spec (n_fft // 2 + 1, F), mel (n_mels, F),
        log_f0 (F,), voiced (F,).

        F is the number of frames: samples // hop.
        """
        utt = self.utterances[index]
        try:
            samples, _ = sf.read(str(self.root / utt.audio), dtype="float32")
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise DataError(f"cannot read {self.root / utt.audio} ({exc}): re-run data prepare") from None
        audio = torch.from_numpy(np.ascontiguousarray(samples))
        spec, mel = self.features(audio.unsqueeze(0))
        frames = spec.shape[-1]
        audio = torch.nn.functional.pad(audio, (0, max(0, frames * self.hop_length - len(audio))))
        log_f0, voiced = torch.zeros(frames), torch.zeros(frames)
        if self.pitch_means is not None:
            f0 = read_f0(self.root / pitch_path(utt.audio), frames)
            log_f0 = torch.from_numpy(continuous_log_f0(f0, self.pitch_means[utt.speaker]))
            voiced = torch.from_numpy((f0 > 0).astype(np.float32))
        return {
            "ids": torch.tensor(symbols_to_ids(list(utt.phonemes), self.symbols), dtype=torch.long),
            "speaker": torch.tensor(self.speaker_index[utt.speaker]),
            "audio": audio[: frames * self.hop_length],
            "spec": spec[0],
            "mel": mel[0],
            "log_f0": log_f0,
            "voiced": voiced,
        }


def _pad(tensors: list[Tensor]) -> Tensor:
    """Right-pad the last dimension of same-rank tensors to the longest."""
    longest = max(t.shape[-1] for t in tensors)
    return torch.stack([torch.nn.functional.pad(t, (0, longest - t.shape[-1])) for t in tensors])


def collate(items: list[dict[str, Tensor]]) -> Batch:
    """Pad a list of dataset items into a :class:`Batch`."""
    return Batch(
        ids=_pad([i["ids"] for i in items]),
        id_lengths=torch.tensor([len(i["ids"]) for i in items]),
        spec=_pad([i["spec"] for i in items]),
        mel=_pad([i["mel"] for i in items]),
        spec_lengths=torch.tensor([i["spec"].shape[-1] for i in items]),
        audio=_pad([i["audio"] for i in items]).unsqueeze(1),
        speakers=torch.stack([i["speaker"] for i in items]),
        log_f0=_pad([i["log_f0"] for i in items]),
        voiced=_pad([i["voiced"] for i in items]),
    )
