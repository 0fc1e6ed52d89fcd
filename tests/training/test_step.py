"""The generator's adversarial losses: the same values and gradients as with everything tracked,
without computing the discriminators' weight gradients."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import torch

from voicebot.training.discriminators import Discriminator
from voicebot.training.losses import feature_matching_loss, generator_loss
from voicebot.training.step import _adversarial_losses


def test_adversarial_losses_match_the_fully_tracked_pass_and_leave_the_discriminators_alone() -> None:
    torch.manual_seed(0)
    discriminator = Discriminator(periods=(2, 3), resolutions=((256, 64, 256),), width=0.25)
    real = torch.randn(2, 1, 2048)
    fake_reference = torch.randn(2, 1, 2048, requires_grad=True)
    fake = fake_reference.detach().clone().requires_grad_(True)

    logits, maps = discriminator(torch.cat([real, fake_reference]))  # everything tracked, as before
    fake_logits = [x[2:] for x in logits]
    real_maps = [[f[:2] for f in sub] for sub in maps]
    fake_maps = [[f[2:] for f in sub] for sub in maps]
    reference = generator_loss(fake_logits) + feature_matching_loss(real_maps, fake_maps)
    reference.backward()
    discriminator.zero_grad(set_to_none=True)

    state = SimpleNamespace(discriminator=discriminator)
    adversarial, matching = _adversarial_losses(state, real, fake, contextlib.nullcontext())  # type: ignore[arg-type]
    (adversarial + matching).backward()

    torch.testing.assert_close(adversarial + matching, reference)
    torch.testing.assert_close(fake.grad, fake_reference.grad)  # the generator learns the same
    assert all(p.grad is None for p in discriminator.parameters()), "computed the discriminators' gradients"
    assert all(p.requires_grad for p in discriminator.parameters()), "left the discriminators frozen"
