"""Behaviour of the whole model: training forward, batched and streamed inference, speed, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tests.model.tiny import N_SYMBOLS, tiny_config
from voicebot.model import ET2Model, ModelConfig, ModelInputError, PitchTrack, SpectrogramFeatures


def _batch(config: ModelConfig) -> dict[str, Any]:
    torch.manual_seed(1)
    features = SpectrogramFeatures(config)
    frames = torch.tensor([30, 21])
    audio = torch.randn(2, 30 * config.hop_length) * 0.1
    audio[1, 21 * config.hop_length :] = 0
    spec, mel = features(audio)
    id_lengths = torch.tensor([7, 4])
    ids = torch.randint(1, N_SYMBOLS, (2, 7)) * (torch.arange(7) < id_lengths[:, None])
    batch = {
        "ids": ids,
        "id_lengths": id_lengths,
        "spec": spec * (torch.arange(30) < frames[:, None, None]),
        "mel": mel,
        "spec_lengths": frames,
        "speakers": torch.tensor([0, 1]),
    }
    if config.source == "harmonic":
        log_f0 = torch.log(torch.linspace(120.0, 240.0, 30)).repeat(2, 1)
        batch["pitch"] = PitchTrack(log_f0, (torch.arange(30) % 7 > 1).float().repeat(2, 1))
    return batch


def test_forward_train_gives_finite_losses_and_gradients_everywhere(train_model: ET2Model) -> None:
    batch = _batch(train_model.config)
    out = train_model.forward_train(**batch, segment_frames=8)
    hop = train_model.config.hop_length
    assert out.audio_hat.shape == (2, 1, 8 * hop)
    assert out.slice_starts.shape == (2,)
    assert torch.all(out.slice_starts >= 0) and torch.all(out.slice_starts <= batch["spec_lengths"] - 8)
    expected = {"kl_z1", "kl_z2", "duration_mse", "duration_kl", "aligned_mel", "forward_sum"}
    if train_model.has_source:
        expected |= {"pitch", "voicing"}
    assert set(out.losses) == expected
    for name, loss in out.losses.items():
        assert loss.dim() == 0 and torch.isfinite(loss), name
    total = sum(out.losses.values()) + out.audio_hat.abs().mean()
    total.backward()
    for name, param in train_model.named_parameters():
        assert param.grad is not None, f"{name} gets no gradient"
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, f"{name} has an all-zero gradient"


def test_forward_train_segment_longer_than_items(train_model: ET2Model) -> None:
    out = train_model.forward_train(**_batch(train_model.config), segment_frames=40)
    assert out.audio_hat.shape == (2, 1, 40 * train_model.config.hop_length)
    assert out.slice_starts.tolist() == [0, 0]
    assert all(torch.isfinite(loss) for loss in out.losses.values())


def test_inference_state_dict_omits_training_parts(train_model: ET2Model) -> None:
    inference = ET2Model(train_model.config, N_SYMBOLS, n_speakers=2)
    keys = set(inference.state_dict())
    assert keys < set(train_model.state_dict())
    assert not any(key.startswith(("aligner.", "posterior.", "mel_probe.")) for key in keys)
    inference.load_state_dict({k: v for k, v in train_model.state_dict().items() if k in keys})
    for key in ET2Model.symbol_embedding_keys():
        assert inference.state_dict()[key].shape[0] == N_SYMBOLS
    for key in ET2Model.speaker_embedding_keys():
        assert inference.state_dict()[key].shape[0] == 2
    with pytest.raises(ModelInputError, match="training=True"):
        inference.forward_train(**_batch(inference.config), segment_frames=8)


def test_batched_inference_equals_one_by_one(model: ET2Model) -> None:
    torch.manual_seed(2)
    ids = torch.randint(1, N_SYMBOLS, (3, 12))
    lengths = torch.tensor([12, 5, 9])
    ids = ids * (torch.arange(12) < lengths[:, None])
    speakers = torch.tensor([0, 1, 1])
    kwargs = {"noise_scale": 0.0, "noise_scale_dur": 0.0}
    audio, audio_lengths = model.infer(ids, lengths, speakers, **kwargs)
    assert audio.shape == (3, int(audio_lengths.max()))
    for item in range(3):
        n = int(lengths[item])
        single, single_length = model.infer(
            ids[item : item + 1, :n], lengths[item : item + 1], speakers[item : item + 1], **kwargs
        )
        assert single_length.item() == audio_lengths[item].item()
        assert torch.allclose(audio[item, : single.size(1)], single[0], atol=1e-4)
        assert audio[item, single.size(1) :].abs().sum() == 0


def test_speakers_change_the_voice(model: ET2Model) -> None:
    ids, lengths = torch.randint(1, N_SYMBOLS, (1, 10)), torch.tensor([10])
    first, _ = model.infer(ids, lengths, torch.tensor([0]), noise_scale=0.0, noise_scale_dur=0.0)
    second, _ = model.infer(ids, lengths, torch.tensor([1]), noise_scale=0.0, noise_scale_dur=0.0)
    n = min(first.size(1), second.size(1))
    assert not torch.allclose(first[:, :n], second[:, :n], atol=1e-4)


def test_chunks_concatenate_to_whole_inference(model: ET2Model) -> None:
    ids, speakers = torch.randint(1, N_SYMBOLS, (1, 15)), torch.tensor([1])
    whole, lengths = model.infer(
        ids, torch.tensor([15]), speakers, generator=torch.Generator().manual_seed(3)
    )
    chunks = list(
        model.infer_chunks(
            ids, speakers, chunk_frames=9, first_chunk_frames=3, generator=torch.Generator().manual_seed(3)
        )
    )
    hop = model.config.hop_length
    assert len(chunks) > 3
    assert chunks[0].shape == (3 * hop,)
    streamed = torch.cat(chunks)
    assert streamed.shape == (int(lengths[0]),)
    assert (streamed - whole[0]).abs().max() < 1e-3


def test_sentences_started_together_sound_as_each_alone(model: ET2Model) -> None:
    """A batched start (one plan, one first decoder pass) gives every sentence the chunks it
    gets alone, and leaves its noise generator where alone would, for the next sentence."""
    torch.manual_seed(4)
    sentences = [torch.randint(1, N_SYMBOLS, (n,)) for n in (15, 2, 9)]
    speakers = torch.tensor([1, 0, 1])
    # The 2-symbol sentence (17 frames) ends within the first chunk, the others go on.
    kwargs = {"chunk_frames": 9, "first_chunk_frames": 20, "length_scale": 1.3}
    together = [torch.Generator().manual_seed(i) for i in range(3)]
    streams = model.start_chunks(sentences, speakers, generators=together, **kwargs)
    for i, (sentence, stream) in enumerate(zip(sentences, streams, strict=True)):
        alone = torch.Generator().manual_seed(i)
        expected = list(model.infer_chunks(sentence[None], speakers[i : i + 1], generator=alone, **kwargs))
        got = list(stream)
        assert [c.numel() for c in got] == [c.numel() for c in expected]
        assert (torch.cat(got) - torch.cat(expected)).abs().max() < 1e-4
        assert torch.equal(torch.randn(4, generator=together[i]), torch.randn(4, generator=alone))
        assert (len(got) == 1) == (i == 1)


def test_sentences_started_together_decode_their_second_chunks_together_too(
    model: ET2Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst needs every second chunk within the first one's playing time: one decoder pass
    serves them all, and from the third chunk on each sentence is decoded alone."""
    sentences = [torch.randint(1, N_SYMBOLS, (n,)) for n in (15, 12, 9)]
    streams = model.start_chunks(sentences, torch.tensor([0, 1, 0]), chunk_frames=9, first_chunk_frames=3)
    batch_sizes: list[int] = []
    decode = model.decode_span

    def counted(plan: Any, z2: torch.Tensor, *args: Any) -> torch.Tensor:
        batch_sizes.append(z2.size(0))
        return decode(plan, z2, *args)

    monkeypatch.setattr(model, "decode_span", counted)
    for stream in streams:
        next(stream), next(stream)
    assert batch_sizes == [3, 3]
    next(streams[1])
    assert batch_sizes == [3, 3, 1]


def test_length_scale_changes_duration_proportionally(model: ET2Model) -> None:
    ids, lengths, speakers = torch.randint(1, N_SYMBOLS, (1, 20)), torch.tensor([20]), torch.tensor([0])
    _, normal = model.infer(ids, lengths, speakers, noise_scale_dur=0.0)
    _, slow = model.infer(ids, lengths, speakers, length_scale=2.0, noise_scale_dur=0.0)
    _, fast = model.infer(ids, lengths, speakers, length_scale=0.5, noise_scale_dur=0.0)
    hop = model.config.hop_length
    assert abs(slow.item() - 2 * normal.item()) <= 2 * hop
    assert abs(fast.item() - 0.5 * normal.item()) <= hop
    assert normal.item() > 20 * hop  # an untrained model already speaks at a plausible rate


@pytest.mark.parametrize(
    ("ids", "speakers", "length_scale", "message"),
    [
        ([[1, 2, N_SYMBOLS]], [0], 1.0, "symbol table"),
        ([[1, 2, 3]], [2], 1.0, "speaker 2"),
        ([[1, 2, 3]], [0], 0.0, "length_scale"),
    ],
)
def test_bad_inputs_raise_readable_errors(
    model: ET2Model, ids: list[list[int]], speakers: list[int], length_scale: float, message: str
) -> None:
    tensor = torch.tensor(ids)
    with pytest.raises(ModelInputError, match=message):
        model.infer(tensor, torch.tensor([tensor.size(1)]), torch.tensor(speakers), length_scale=length_scale)


def test_infer_chunks_takes_one_sentence(model: ET2Model) -> None:
    with pytest.raises(ModelInputError, match="one sentence"):
        next(model.infer_chunks(torch.ones(2, 3, dtype=torch.long), torch.tensor([0, 0])))


def test_bfloat16_autocast_inference_runs(model: ET2Model) -> None:
    ids, lengths, speakers = torch.randint(1, N_SYMBOLS, (1, 10)), torch.tensor([10]), torch.tensor([0])
    reference, _ = model.infer(ids, lengths, speakers, noise_scale=0.0, noise_scale_dur=0.0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        audio, _ = model.infer(ids, lengths, speakers, noise_scale=0.0, noise_scale_dur=0.0)
    assert audio.dtype == torch.float32 and torch.isfinite(audio).all()
    assert abs(audio.size(1) - reference.size(1)) <= 0.1 * reference.size(1)


def test_presets_validate() -> None:
    assert ModelConfig.small() == ModelConfig(source="harmonic")
    assert ModelConfig.large().decoder_channels > ModelConfig.small().decoder_channels
    with pytest.raises(ValueError, match="extra"):
        ModelConfig(unknown_field=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="hop_length"):
        tiny_config(head="ms_istft", ms_streams=3)


def test_no_hard_coded_cuda() -> None:
    package = Path(__file__).resolve().parents[2] / "voicebot" / "model"
    offenders = [p.name for p in package.glob("*.py") if ".cuda(" in p.read_text(encoding="utf-8")]
    assert offenders == []
