"""The harmonic source and the pitch path: what the decoder hears, and what users can change."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.model.tiny import N_SYMBOLS, tiny_config
from voicebot.model import ET2Model, ModelInputError, PitchControl
from voicebot.model.source import frame_phases, harmonic_source

RATE, HOP = 24000, 256


def _source(f0: torch.Tensor, max_hz: float | None = None, voiced: float = 1.0) -> np.ndarray:
    """The source of a (T + 1,) F0 track, noise off."""
    f0 = f0[None].double()
    frames = f0.size(1) - 1
    phases = frame_phases(f0, HOP, RATE)[:, :-1]
    silent = torch.zeros(1, frames * HOP)
    flags = torch.full_like(f0, voiced, dtype=torch.float32)
    return harmonic_source(f0, flags, phases, silent, HOP, RATE, max_hz)[0].numpy()


def _spectrum(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    power = np.abs(np.fft.rfft(audio * np.hanning(len(audio)))) ** 2
    return np.fft.rfftfreq(len(audio), 1 / RATE), power


@pytest.mark.parametrize("f0", [98.0, 220.5, 347.3])
def test_source_pitch_is_its_input(f0: float) -> None:
    audio = _source(torch.full((201,), f0))
    # The first autocorrelation peak past half a period is one period of the measured F0.
    corr = np.correlate(audio[:8192], audio[:8192], mode="full")[8191:]
    low = int(RATE / f0 / 2)
    lag = low + int(np.argmax(corr[low : 2 * int(RATE / f0)]))
    parabola = corr[lag - 1 : lag + 2]
    offset = 0.5 * (parabola[0] - parabola[2]) / (parabola[0] - 2 * parabola[1] + parabola[2])
    assert RATE / (lag + offset) == pytest.approx(f0, rel=2e-3)
    assert audio.std() == pytest.approx(0.1, rel=0.05)


@pytest.mark.parametrize(("f0", "limit"), [(180.0, 3000.0), (1000.0, None), (3100.0, None)])
def test_every_harmonic_up_to_the_band_limit_and_nothing_else(f0: float, limit: float | None) -> None:
    freqs, power = _spectrum(_source(torch.full((301,), f0), max_hz=limit))
    top = limit or RATE / 2
    # A harmonic fades out as it reaches the limit: one exactly at the limit is silent.
    expected = [h * f0 for h in range(1, int(top // f0) + 1) if h * f0 < top]
    near = np.zeros_like(power, dtype=bool)
    for frequency in expected:
        near |= np.abs(freqs - frequency) < 25
        assert power[np.abs(freqs - frequency) < 25].max() > 1e-3 * power.max(), frequency
    # No aliasing and nothing above the limit: all the energy sits on the expected harmonics.
    assert power[~near].sum() < 1e-6 * power.sum()
    assert power[freqs > top + 25].sum() < 1e-8 * power.sum()


def test_source_phase_runs_on_across_frames_and_chunks() -> None:
    f0 = torch.linspace(120.0, 360.0, 101)[None].double()
    phases = frame_phases(f0, HOP, RATE)
    noise, flags = torch.zeros(1, 100 * HOP), torch.ones(1, 101)
    whole = harmonic_source(f0, flags, phases[:, :-1], noise, HOP, RATE)
    first = harmonic_source(f0[:, :41], flags[:, :41], phases[:, :40], noise[:, : 40 * HOP], HOP, RATE)
    rest = harmonic_source(f0[:, 40:], flags[:, 40:], phases[:, 40:-1], noise[:, 40 * HOP :], HOP, RATE)
    assert torch.allclose(torch.cat([first, rest], dim=1), whole, atol=1e-5)
    # Each frame starts where the previous one ended: the phase equals the running sum of the
    # sample-rate frequency (the frame's linear ramp), not a restart.
    ramp = torch.arange(HOP, dtype=torch.float64) / HOP
    freq = (f0[0, :-1, None] + (f0[0, 1:] - f0[0, :-1])[:, None] * ramp).reshape(-1)
    running = torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(freq, 0) / RATE])
    expected = torch.frac(running[::HOP])  # phase where each frame begins
    error = (phases[0] - expected + 0.5) % 1.0 - 0.5
    assert error.abs().max() < 1e-9


def test_unvoiced_source_is_noise_only() -> None:
    frames = 50
    f0 = torch.full((1, frames + 1), 200.0, dtype=torch.float64)
    noise = torch.randn(1, frames * HOP, generator=torch.Generator().manual_seed(0))
    phases = frame_phases(f0, HOP, RATE)[:, :-1]
    audio = harmonic_source(f0, torch.zeros(1, frames + 1), phases, noise, HOP, RATE)
    assert torch.allclose(audio, noise * (0.1 / 3))


@pytest.fixture
def voice() -> ET2Model:
    torch.manual_seed(0)
    model = ET2Model(tiny_config(source="harmonic"), N_SYMBOLS, n_speakers=2).eval()
    model.set_pitch_stats(torch.tensor([[math.log(220.0), 0.15], [math.log(110.0), 0.2]]))
    return model


def _contour(model: ET2Model, control: PitchControl, speaker: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.arange(1, 16)[None] % (N_SYMBOLS - 1) + 1
    track, lengths = model.predict_pitch(
        ids, torch.tensor([15]), torch.tensor([speaker]), noise_scale_dur=0.0, pitch=control
    )
    return track.log_f0[0, : int(lengths[0])], track.voiced[0, : int(lengths[0])]


def test_pitch_shift_moves_the_contour_by_exact_semitones(voice: ET2Model) -> None:
    base, voiced = _contour(voice, PitchControl())
    up, voiced_up = _contour(voice, PitchControl(semitones=12))
    down, _ = _contour(voice, PitchControl(semitones=-3.5))
    assert torch.allclose(up.exp(), 2 * base.exp(), rtol=1e-5)  # an octave
    assert torch.allclose(down - base, torch.full_like(base, -3.5 * math.log(2) / 12), atol=1e-6)
    assert torch.equal(voiced, voiced_up)  # pitch never changes what is voiced


def test_intonation_scales_the_contour_around_the_speaker_mean(voice: ET2Model) -> None:
    mean = math.log(220.0)
    base, _ = _contour(voice, PitchControl())
    flat, _ = _contour(voice, PitchControl(intonation=0.0))
    lively, _ = _contour(voice, PitchControl(intonation=2.0))
    assert torch.allclose(flat, torch.full_like(flat, mean), atol=1e-6)
    assert torch.allclose(lively - mean, 2 * (base - mean), atol=1e-5)
    low, _ = _contour(voice, PitchControl(intonation=0.0), speaker=1)
    assert torch.allclose(low, torch.full_like(low, math.log(110.0)), atol=1e-6)


def test_pitch_changes_the_audio(voice: ET2Model) -> None:
    with torch.no_grad():
        voice.pitch_predictor.out.bias[1] = 5.0  # an untrained predictor: make every frame voiced
    ids, lengths, speakers = torch.arange(1, 12)[None], torch.tensor([11]), torch.tensor([0])
    kwargs = {"noise_scale": 0.0, "noise_scale_dur": 0.0}
    base, _ = voice.infer(ids, lengths, speakers, **kwargs)
    same, _ = voice.infer(ids, lengths, speakers, **kwargs)
    higher, _ = voice.infer(ids, lengths, speakers, pitch=PitchControl(semitones=5), **kwargs)
    assert torch.equal(base, same)
    assert base.shape == higher.shape and not torch.allclose(base, higher, atol=1e-4)


@pytest.mark.parametrize(
    ("control", "message"),
    [
        (PitchControl(semitones=12.5), "between -12 and \\+12 semitones"),
        (PitchControl(semitones=float("nan")), "semitones"),
        (PitchControl(intonation=-0.1), "intonation must be between 0"),
        (PitchControl(intonation=2.5), "intonation must be between 0"),
    ],
)
def test_out_of_range_pitch_is_refused_not_clamped(
    voice: ET2Model, control: PitchControl, message: str
) -> None:
    ids = torch.arange(1, 6)[None]
    with pytest.raises(ModelInputError, match=message):
        voice.infer(ids, torch.tensor([5]), torch.tensor([0]), pitch=control)
    with pytest.raises(ModelInputError, match=message):
        next(voice.infer_chunks(ids, torch.tensor([0]), pitch=control))


def test_a_voice_without_source_predicts_no_pitch() -> None:
    model = ET2Model(tiny_config(), N_SYMBOLS, n_speakers=1).eval()
    with pytest.raises(ModelInputError, match="no harmonic source"):
        model.predict_pitch(torch.arange(1, 6)[None], torch.tensor([5]), torch.tensor([0]))


def test_pitch_statistics_must_fit_the_speakers(voice: ET2Model) -> None:
    with pytest.raises(ModelInputError, match="positive"):
        voice.set_pitch_stats(torch.tensor([[5.0, 0.0], [5.0, 0.1]]))
    with pytest.raises(ModelInputError, match=r"\(2, 2\)"):
        voice.set_pitch_stats(torch.tensor([[5.0, 0.1]]))


def test_a_streams_first_chunk_predicts_only_the_pitch_it_needs(voice: ET2Model) -> None:
    """First audio must not wait for the pitch of a long sentence's end; the stream still equals
    the whole sentence (tests/model/test_model.py checks that for this model too)."""
    ids = torch.arange(1, 61)[None] % (N_SYMBOLS - 1) + 1
    predicted: list[int] = []
    voice.pitch_predictor.register_forward_hook(lambda _m, _a, out: predicted.append(out.size(-1)))
    chunks = voice.infer_chunks(ids, torch.tensor([0]), first_chunk_frames=4, noise_scale_dur=0.0)
    next(chunks)
    first = sum(predicted)
    total = sum(chunk.numel() for chunk in chunks) // voice.config.hop_length + 4
    assert 0 < first < total / 3
