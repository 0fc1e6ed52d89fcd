"""Validation: mel loss on held-out utterances and audio of fixed sentences for TensorBoard.

Runs under a forked RNG seeded from the run's seed, so evaluating never changes what training
does next (resume stays exact) and the samples of different steps are comparable.
"""

from __future__ import annotations

from itertools import zip_longest

import torch
from torch import Tensor

from voicebot.model import SpectrogramFeatures
from voicebot.training.dataset import Batch
from voicebot.training.losses import mel_loss
from voicebot.training.manifest import Utterance
from voicebot.training.state import TrainState
from voicebot.training.step import slice_segments

__all__ = ["evaluate", "pick_eval_utterances"]


def pick_eval_utterances(utterances: list[Utterance], count: int) -> list[int]:
    """Indices of ``count`` validation utterances, taking speakers in turn (a fixed choice)."""
    by_speaker: dict[str, list[int]] = {}
    for i, u in enumerate(utterances):
        by_speaker.setdefault(u.speaker, []).append(i)
    interleaved = [i for group in zip_longest(*by_speaker.values()) for i in group if i is not None]
    return interleaved[:count]


@torch.no_grad()
def evaluate(
    state: TrainState, batch: Batch, features: SpectrogramFeatures
) -> tuple[dict[str, float], list[Tensor]]:
    """Validation mel L1 (teacher-forced) and synthesized audio, one (S_i,) tensor per utterance."""
    model = state.model
    devices = [batch.ids.device] if batch.ids.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(state.config.train.seed)
        model.eval()
        try:
            out = model.forward_train(
                batch.ids,
                batch.id_lengths,
                batch.spec,
                batch.mel,
                batch.spec_lengths,
                batch.speakers,
                state.config.train.segment_frames,
            )
            fake = out.audio_hat.float()
            real = slice_segments(
                batch.audio, out.slice_starts, fake.shape[-1], state.config.model.hop_length
            )
            loss = mel_loss(features(fake.squeeze(1))[1], features(real.squeeze(1))[1])
            audio, lengths = model.infer(batch.ids, batch.id_lengths, batch.speakers)
        finally:
            model.train()
    clips = [audio[i, : int(lengths[i])].float().cpu() for i in range(audio.shape[0])]
    return {"val/mel": loss.item()}, clips
