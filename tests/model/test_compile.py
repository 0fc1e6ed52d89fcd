"""torch.compile(dynamic=True) of the frame-level synthesizer on CPU."""

from __future__ import annotations

import warnings

import pytest
import torch

from tests.model.tiny import N_SYMBOLS, tiny_config
from voicebot.model import ET2Model


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning:torch.*")  # inductor imports torch.jit
@pytest.mark.parametrize(("head", "source"), [("istft", "none"), ("ms_istft", "none"), ("istft", "harmonic")])
def test_compiled_synthesizer_matches_eager_and_warm_up_compiles_all_that_serving_runs(
    head: str, source: str
) -> None:
    torch.manual_seed(0)
    model = ET2Model(tiny_config(head=head, source=source), N_SYMBOLS).eval()
    inputs = [torch.randint(1, N_SYMBOLS, (1, n)) for n in (9, 23)]
    kwargs = {"noise_scale": 0.0, "noise_scale_dur": 0.0}
    eager = [model.infer(ids, torch.tensor([ids.size(1)]), torch.tensor([0]), **kwargs)[0] for ids in inputs]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.compile_synthesizer()
        model.warm_up(symbols=20)
    assert not [w for w in caught if "complex" in str(w.message)]  # expected fallback, not shown to admins
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    for ids, reference in zip(inputs, eager, strict=True):  # other lengths than the warm-up's
        audio, _ = model.infer(ids, torch.tensor([ids.size(1)]), torch.tensor([0]), **kwargs)
        assert audio.shape == reference.shape
        assert torch.allclose(audio, reference, atol=1e-4)
    batch = torch.zeros(2, inputs[1].size(1), dtype=torch.long)
    for row, ids in enumerate(inputs):
        batch[row, : ids.size(1)] = ids[0]
    lengths = torch.tensor([ids.size(1) for ids in inputs])
    audio, audio_lengths = model.infer(batch, lengths, torch.tensor([0, 0]), **kwargs)
    for row, reference in enumerate(eager):
        assert int(audio_lengths[row]) == reference.size(1)
        assert torch.allclose(audio[row, : reference.size(1)], reference[0], atol=1e-4)
    chunks = list(
        model.infer_chunks(inputs[1], torch.tensor([0]), chunk_frames=20, first_chunk_frames=4, **kwargs)
    )
    assert (torch.cat(chunks) - eager[1][0]).abs().max() < 1e-3
    started = model.start_chunks(
        [ids[0] for ids in inputs], torch.tensor([0, 0]), first_chunk_frames=6, **kwargs
    )
    for stream, reference in zip(started, eager, strict=True):  # a burst of messages started together
        assert (torch.cat(list(stream)) - reference[0]).abs().max() < 1e-3
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == graphs, "serving compiled again"
    assert set(model.state_dict()) == set(
        ET2Model(tiny_config(head=head, source=source), N_SYMBOLS).state_dict()
    )
