"""Shape and masking behaviour of each part of the model."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tests.model.tiny import N_SYMBOLS, tiny_config
from voicebot.model.aligner import DifferentiableAligner, beta_binomial_log_prior, forward_sum_loss
from voicebot.model.attention import HybridAttention
from voicebot.model.decoder import Decoder
from voicebot.model.duration import AlignmentPredictor, alignment_targets, boundaries_from_log_durations
from voicebot.model.istft import ISTFT
from voicebot.model.layers import ConvNeXtStack, sequence_mask
from voicebot.model.text_encoder import TextEncoder
from voicebot.model.vae import GaussianNet, PosteriorEncoder, gaussian_kl


def _masks() -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([9, 5])
    return lengths, sequence_mask(lengths, 9)


def test_sequence_mask_marks_valid_positions() -> None:
    mask = sequence_mask(torch.tensor([3, 1]), 4)
    assert mask.shape == (2, 1, 4)
    assert mask[:, 0].tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]


def test_convnext_stack_ignores_padding() -> None:
    torch.manual_seed(0)
    stack = ConvNeXtStack(6, 16, 32, 2, 5, cond_channels=4).eval()
    _, mask = _masks()
    x, cond = torch.randn(2, 6, 9), torch.randn(2, 4)
    out = stack(x, mask, cond)
    noisy = stack(x + 100 * (1 - mask) * torch.randn_like(x), mask, cond)
    assert out.shape == (2, 16, 9)
    assert torch.allclose(out, noisy, atol=1e-5)
    assert out[1, :, 5:].abs().max() == 0


def test_text_encoder_shapes_and_padding() -> None:
    torch.manual_seed(0)
    encoder = TextEncoder(N_SYMBOLS, 32, 1, 2, 2, 5, 0.0).eval()
    _, mask = _masks()
    ids = torch.randint(1, N_SYMBOLS, (2, 9)) * mask[:, 0].long()
    other = ids.clone()
    other[1, 5:] = 7  # different symbols in the padding
    out = encoder(ids, mask)
    assert out.shape == (2, 32, 9)
    assert torch.allclose(out, encoder(other, mask), atol=1e-5)
    single = encoder(ids[1:, :5], mask[1:, :, :5])
    assert torch.allclose(out[1:, :, :5], single, atol=1e-5)


def test_aligner_boundaries_are_monotonic_and_cover_all_frames() -> None:
    torch.manual_seed(0)
    aligner = DifferentiableAligner(20, 32, 1, 5, sigma=8.0)
    text_lengths, text_mask = _masks()
    frame_lengths = torch.tensor([40, 23])
    frame_mask = sequence_mask(frame_lengths, 40)
    bounds, attention, forward_sum = aligner(
        torch.randn(2, 32, 9), text_mask, torch.randn(2, 20, 40), frame_mask
    )
    for item in range(2):
        n = int(text_lengths[item])
        a, b, e = (bound[item, :n] for bound in bounds)
        assert a[0] == 0
        assert b[-1] == frame_lengths[item]
        assert torch.all(a[1:] - a[:-1] >= -1e-4)
        assert torch.allclose(b[:-1], a[1:])
        assert torch.all((e >= 0) & (e <= frame_lengths[item]))
        assert bounds.a[item, n:].abs().sum() == 0
        rows = attention[item, : int(frame_lengths[item])]
        assert torch.allclose(rows.sum(-1), torch.ones(rows.shape[0])) and rows[:, n:].sum() < 1e-6
    targets = alignment_targets(bounds)
    assert targets.shape == (2, 2, 9) and torch.all(targets >= 0)
    assert forward_sum.dim() == 0 and torch.isfinite(forward_sum) and forward_sum > 0


def test_beta_binomial_prior_favours_the_diagonal() -> None:
    text_lengths, frame_lengths = torch.tensor([10, 4]), torch.tensor([50, 30])
    prior = beta_binomial_log_prior(text_lengths, frame_lengths, tokens=10, frames=50)
    assert prior.shape == (2, 50, 10)
    for item in range(2):
        n, m = int(text_lengths[item]), int(frame_lengths[item])
        probs = prior[item, :m, :n].exp()
        assert torch.allclose(probs.sum(-1), torch.ones(m), atol=1e-4)  # a distribution per frame
        peaks = probs.argmax(-1).float()
        expected = torch.arange(m).float() / (m - 1) * (n - 1)
        assert (peaks - expected).abs().max() <= 1.0
        assert torch.all(peaks[1:] >= peaks[:-1])
        assert prior[item, m:].abs().sum() == 0 and prior[item, :, n:].abs().sum() == 0


def test_forward_sum_rewards_attention_that_reads_the_tokens_in_order() -> None:
    tokens, frames = 6, 24
    lengths, frame_lengths = torch.tensor([tokens]), torch.tensor([frames])
    in_order = torch.arange(frames) * tokens // frames
    diagonal = F.one_hot(in_order, tokens).float()[None] * 8.0
    reversed_ = diagonal.flip(-1)
    uniform = torch.zeros(1, frames, tokens)

    def loss(scores: torch.Tensor) -> float:
        return float(forward_sum_loss(F.log_softmax(scores, -1), lengths, frame_lengths))

    assert loss(diagonal) < loss(uniform) < loss(reversed_)


def test_hybrid_attention_attends_inside_token_spans() -> None:
    torch.manual_seed(0)
    attention = HybridAttention(8)
    with torch.no_grad():
        attention.log_scale_bound.fill_(2.0)
        attention.log_scale_gauss.fill_(1.0)
    text_mask = torch.ones(1, 1, 3)
    log_durations = torch.log1p(torch.tensor([[[1.0, 2.0, 1.0], [4.0, 4.0, 4.0]]]))
    bounds = boundaries_from_log_durations(log_durations, text_mask, 1.0)
    assert bounds.b.tolist() == [[4.0, 8.0, 12.0]]
    text_h = torch.randn(1, 8, 3)
    changed = text_h.clone()
    changed[:, :, 0] += 5.0  # only the first token (frames 0-3) changes
    positions, frame_mask = torch.arange(12), torch.ones(1, 1, 12)
    frames = attention(text_h, text_mask, bounds, positions, frame_mask)
    delta = (attention(changed, text_mask, bounds, positions, frame_mask) - frames).abs().sum(1)[0]
    assert frames.shape == (1, 8, 12)
    assert delta[:4].min() > 100 * delta[8:].max()
    # Frames can be computed in any slice, which streaming relies on.
    part = attention(text_h, text_mask, bounds, positions[5:9], frame_mask[..., 5:9])
    assert torch.allclose(part, frames[..., 5:9], atol=1e-6)


def test_boundaries_follow_length_scale() -> None:
    log_durations = torch.log1p(torch.tensor([[[1.0, 2.0], [4.0, 6.0]]]))
    mask = torch.ones(1, 1, 2)
    normal = boundaries_from_log_durations(log_durations, mask, 1.0)
    slow = boundaries_from_log_durations(log_durations, mask, 2.0)
    assert torch.allclose(normal.b, torch.tensor([[4.0, 10.0]]), atol=1e-5)
    assert torch.allclose(slow.b, 2 * normal.b) and torch.allclose(slow.e, 2 * normal.e)
    assert torch.allclose(normal.e, torch.tensor([[1.0, 6.0]]), atol=1e-5)


def test_alignment_predictor_losses_and_sampling() -> None:
    torch.manual_seed(0)
    predictor = AlignmentPredictor(32, 2, 1, 5, 0.0, 8)
    _, mask = _masks()
    text_h, speaker = torch.randn(2, 32, 9), torch.randn(2, 8)
    losses = predictor(text_h, mask, speaker, torch.rand(2, 2, 9))
    assert losses.mse.dim() == 0 and losses.kl.dim() == 0
    assert torch.isfinite(losses.mse) and losses.kl >= 0
    sample = predictor.sample(text_h, mask, speaker, torch.zeros(2, 2, 9))
    assert sample.shape == (2, 2, 9)
    assert sample[1, :, 5:].abs().sum() == 0
    single = predictor.sample(text_h[1:, :, :5], mask[1:, :, :5], speaker[1:], torch.zeros(1, 2, 5))
    assert torch.allclose(sample[1:, :, :5], single, atol=1e-5)


def test_gaussian_nets_and_kl() -> None:
    torch.manual_seed(0)
    _, mask = _masks()
    prior = GaussianNet(32, 32, 8, 1, 5, 8)
    gaussian = prior(torch.randn(2, 32, 9), mask, torch.randn(2, 8))
    assert gaussian.mean.shape == gaussian.log_std.shape == (2, 8, 9)
    assert gaussian_kl(gaussian, gaussian, mask).abs() < 1e-5
    posterior = PosteriorEncoder(129, 32, 8, 1, 5, 8)
    q1, q2, z1, z2 = posterior(torch.rand(2, 129, 9), mask, torch.randn(2, 8))
    assert z1.shape == z2.shape == q2.mean.shape == (2, 8, 9)
    assert gaussian_kl(q1, gaussian, mask) > 0
    assert z2[1, :, 5:].abs().sum() == 0


def test_istft_inverts_the_stft() -> None:
    torch.manual_seed(0)
    n_fft, hop = 256, 64
    signal = torch.randn(2, 64 * 30)
    pad = (n_fft - hop) // 2
    padded = F.pad(signal[:, None], (pad, pad), mode="reflect")[:, 0]
    spec = torch.stft(padded, n_fft, hop, window=torch.hann_window(n_fft), center=False, return_complex=True)
    audio = ISTFT(n_fft, hop)(spec.real, spec.imag, torch.ones(2, 1, spec.size(-1)))
    assert audio.shape == (2, 64 * 30)
    assert torch.allclose(audio, signal, atol=1e-4)


def test_decoder_heads_shapes_and_padding() -> None:
    for head in ("istft", "ms_istft"):
        torch.manual_seed(0)
        config = tiny_config(head=head)
        decoder = Decoder(config).eval()
        _, mask = _masks()
        z, speaker = torch.randn(2, 8, 9), torch.randn(2, 8)
        audio = decoder(z, mask, speaker)
        assert audio.shape == (2, 9 * config.hop_length)
        single = decoder(z[1:, :, :5], mask[1:, :, :5], speaker[1:])
        assert torch.allclose(audio[1:, : 5 * config.hop_length], single, atol=1e-4), head
