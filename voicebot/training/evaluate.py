"""Validation on held-out utterances for TensorBoard: mel loss, speaking rate, alignment, audio.

Runs under a forked RNG seeded from the run's seed, so evaluating never changes what training
does next (resume stays exact) and the samples of different steps are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

import torch
from torch import Tensor

from voicebot.model import SpectrogramFeatures
from voicebot.model.layers import sequence_mask
from voicebot.training.dataset import Batch
from voicebot.training.losses import mel_loss
from voicebot.training.manifest import Utterance
from voicebot.training.state import TrainState
from voicebot.training.step import generate_segments

__all__ = ["Evaluation", "alignment_image", "evaluate", "pick_eval_utterances"]


def pick_eval_utterances(utterances: list[Utterance], count: int) -> list[int]:
    """Indices of ``count`` validation utterances, taking speakers in turn (a fixed choice)."""
    by_speaker: dict[str, list[int]] = {}
    for i, u in enumerate(utterances):
        by_speaker.setdefault(u.speaker, []).append(i)
    interleaved = [i for group in zip_longest(*by_speaker.values()) for i in group if i is not None]
    return interleaved[:count]


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` measures.

    Attributes:
        scalars: ``val/mel`` (teacher-forced mel L1); ``val/duration_ratio`` (synthesized length
            over the real one: 1.0 is the teacher's speaking rate); ``val/duration_spread``
            (coefficient of variation of the aligner's token durations: near 0 means the aligner
            still spreads tokens uniformly, real speech is around 0.5 to 1).
        clips: synthesized audio, one (S_i,) tensor per utterance.
        alignments: the aligner's attention of each utterance, (T_text_i, T_frames_i).
    """

    scalars: dict[str, float]
    clips: list[Tensor]
    alignments: list[Tensor]


def alignment_image(attention: Tensor) -> Tensor:
    """An attention matrix (T_text, T_frames) as a (1, T_text, T_frames) image, first token on top.

    Each column is scaled to its maximum so that weak alignments stay visible.
    """
    return (attention / attention.amax(dim=0, keepdim=True).clamp_min(1e-8)).unsqueeze(0)


def _duration_spread(durations: Tensor, mask: Tensor) -> float:
    """Mean over the batch of std / mean of the valid token durations (B, T)."""
    count = mask.sum(1)
    mean = (durations * mask).sum(1) / count
    var = (((durations - mean[:, None]) ** 2) * mask).sum(1) / count
    return (var.sqrt() / mean.clamp_min(1e-6)).mean().item()


@torch.no_grad()
def evaluate(state: TrainState, batch: Batch, features: SpectrogramFeatures) -> Evaluation:
    """Validate the model on ``batch`` (see :class:`Evaluation`)."""
    model = state.model
    devices = [batch.ids.device] if batch.ids.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(state.config.train.seed)
        model.eval()
        try:
            out, fake, real = generate_segments(state, batch)
            loss = mel_loss(features(fake.squeeze(1))[1], features(real.squeeze(1))[1])
            audio, lengths = model.infer(batch.ids, batch.id_lengths, batch.speakers)
        finally:
            model.train()
    token_mask = sequence_mask(batch.id_lengths, batch.ids.size(1))[:, 0].float()
    frames = batch.spec_lengths.float()
    scalars = {
        "val/mel": loss.item(),
        "val/duration_ratio": (lengths.float() / state.config.model.hop_length / frames).mean().item(),
        "val/duration_spread": _duration_spread((out.bounds.b - out.bounds.a).float(), token_mask),
    }
    clips = [audio[i, : int(lengths[i])].float().cpu() for i in range(audio.shape[0])]
    alignments = [
        out.attention[i, : int(batch.spec_lengths[i]), : int(batch.id_lengths[i])].T.float().cpu()
        for i in range(audio.shape[0])
    ]
    return Evaluation(scalars, clips, alignments)
