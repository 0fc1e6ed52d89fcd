"""One adversarial training step: discriminator update, then generator update."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import torch
from torch import Tensor

from voicebot.errors import ConfigError
from voicebot.model import PitchTrack, SpectrogramFeatures, TrainOutput
from voicebot.training.config import TrainConfig
from voicebot.training.dataset import Batch
from voicebot.training.discriminators import DiscriminatorOutput
from voicebot.training.errors import TrainingError
from voicebot.training.losses import discriminator_loss, feature_matching_loss, generator_loss, mel_loss
from voicebot.training.state import TrainState

__all__ = ["generate_segments", "slice_segments", "train_step", "weighted_model_loss"]


def slice_segments(audio: Tensor, starts: Tensor, length: int, hop_length: int) -> Tensor:
    """Cut ``audio`` (B, 1, S) at ``starts`` (B,) frames into (B, 1, length) samples, zero-padded.

    A start lies inside its item, so padding by ``length`` always suffices; computing the
    exact need would read ``starts`` back from the GPU and stall the step.
    """
    audio = torch.nn.functional.pad(audio, (0, length))
    offsets = starts.to(audio.device).long() * hop_length
    index = offsets[:, None] + torch.arange(length, device=audio.device)[None, :]
    return torch.gather(audio[:, 0], 1, index).unsqueeze(1)


def generate_segments(state: TrainState, batch: Batch) -> tuple[TrainOutput, Tensor, Tensor]:
    """The model's training pass on ``batch``: its output, the generated segments and the matching
    recorded ones, both float32 (B, 1, segment samples)."""
    out = state.model.forward_train(
        batch.ids,
        batch.id_lengths,
        batch.spec,
        batch.mel,
        batch.spec_lengths,
        batch.speakers,
        state.config.train.segment_frames,
        PitchTrack(batch.log_f0, batch.voiced) if state.model.has_source else None,
    )
    fake = out.audio_hat.float()
    real = slice_segments(batch.audio, out.slice_starts, fake.shape[-1], state.config.model.hop_length)
    return out, fake, real


def _split(output: DiscriminatorOutput, size: int) -> tuple[DiscriminatorOutput, DiscriminatorOutput]:
    """Split the output of one pass over ``cat([real, fake])`` into the real and the fake half."""
    logits, features = output
    real = ([x[:size] for x in logits], [[f[:size] for f in maps] for maps in features])
    fake = ([x[size:] for x in logits], [[f[size:] for f in maps] for maps in features])
    return real, fake


def weighted_model_loss(losses: dict[str, Tensor], weights: dict[str, float]) -> Tensor:
    """Sum of the model's own losses, each times its configured weight (1 when not configured).

    Raises :class:`ConfigError` for a configured name the model does not produce (a typo).
    """
    unknown = sorted(set(weights) - set(losses))
    if unknown:
        raise ConfigError(
            f"train.model_loss_weights: unknown loss {unknown[0]!r}; the model's losses are {sorted(losses)}"
        )
    return torch.stack([value.float() * weights.get(name, 1.0) for name, value in losses.items()]).sum()


def _discriminator_step(
    state: TrainState, real: Tensor, fake: Tensor, autocast: AbstractContextManager[object]
) -> dict[str, Tensor]:
    """Update the discriminators on real and (detached) generated segments."""
    with autocast:
        (real_d, _), (fake_d, _) = _split(
            state.discriminator(torch.cat([real, fake.detach()])), real.shape[0]
        )
    loss_d = discriminator_loss(real_d, fake_d)
    state.optim_d.zero_grad(set_to_none=True)
    loss_d.backward()
    norm_d = torch.nn.utils.clip_grad_norm_(state.discriminator.parameters(), state.config.train.grad_clip)
    state.optim_d.step()
    return {"loss/d": loss_d.detach(), "grad_norm/discriminator": norm_d}


@contextmanager
def _frozen(module: torch.nn.Module) -> Iterator[None]:
    """``module``'s weights get no gradient inside the block (its inputs still do)."""
    module.requires_grad_(False)
    try:
        yield
    finally:
        module.requires_grad_(True)


def _adversarial_losses(
    state: TrainState, real: Tensor, fake: Tensor, autocast: AbstractContextManager[object]
) -> tuple[Tensor, Tensor]:
    """The generator's LSGAN and feature-matching losses against the discriminators.

    Only the generated audio needs gradients here: the discriminators' weights are frozen (the
    generator's backward pass then skips their weight gradients) and the recorded audio runs
    without autograd. Profiled on 2 CPU cores, the backward pass through the discriminators
    was most of the generator's update; the losses are the same as with everything tracked.
    """
    with _frozen(state.discriminator), autocast:
        with torch.no_grad():
            _, real_maps = state.discriminator(real)
        fake_d, fake_maps = state.discriminator(fake)
    return generator_loss(fake_d), feature_matching_loss(real_maps, fake_maps)


def train_step(
    state: TrainState,
    batch: Batch,
    features: SpectrogramFeatures,
    autocast: AbstractContextManager[object],
) -> dict[str, float]:
    """Update discriminator then generator on ``batch``; returns scalars for logging.

    During the first ``train.adversarial_start`` steps only the generator trains, on the mel
    and model losses (the discriminators are not run at all), and with
    ``train.warmup_trains_voice`` off only its training-only parts do. For
    ``train.discriminator_warmup`` steps after that the discriminators train while the generator
    still trains as in the warm-up.

    The scalars are read back from the device once, at the end: every read waits for the GPU
    to catch up, and a read in the middle would keep the CPU from queueing the rest of the
    step. A non-finite loss is reported then, before anything is saved.
    """
    cfg: TrainConfig = state.config.train
    adversarial = state.step >= cfg.adversarial_start
    generator_adversarial = state.step >= cfg.adversarial_start + cfg.discriminator_warmup
    state.train_voice_weights(generator_adversarial or cfg.warmup_trains_voice)
    with autocast:
        out, fake, real = generate_segments(state, batch)

    scalars = _discriminator_step(state, real, fake, autocast) if adversarial else {}
    loss_mel = mel_loss(features(fake.squeeze(1))[1], features(real.squeeze(1))[1])
    loss_model = weighted_model_loss(out.losses, cfg.model_loss_weights)
    loss_g = cfg.mel_weight * loss_mel + loss_model
    if generator_adversarial:
        loss_adv, loss_fm = _adversarial_losses(state, real, fake, autocast)
        loss_g = loss_g + cfg.adversarial_weight * loss_adv + cfg.feature_weight * loss_fm
        scalars.update({"loss/adversarial": loss_adv.detach(), "loss/feature_matching": loss_fm.detach()})
    state.optim_g.zero_grad(set_to_none=True)
    loss_g.backward()
    norm_g = torch.nn.utils.clip_grad_norm_(state.model.parameters(), cfg.grad_clip)
    state.optim_g.step()
    state.sched_g.step()
    if adversarial:  # the discriminators' learning rate starts decaying when they start training
        state.sched_d.step()
    state.step += 1

    scalars.update(
        {"loss/g_total": loss_g.detach(), "loss/mel": loss_mel.detach(), "grad_norm/generator": norm_g}
    )
    scalars.update({f"loss/model_{name}": value.detach() for name, value in out.losses.items()})
    values = dict(zip(scalars, torch.stack([v.float() for v in scalars.values()]).tolist(), strict=True))
    if not math.isfinite(values["loss/g_total"]):
        raise TrainingError(
            f"generator loss is {values['loss/g_total']} at step {state.step}: lower train.learning_rate "
            "and rerun (training resumes from the last checkpoint)"
        )
    return values
