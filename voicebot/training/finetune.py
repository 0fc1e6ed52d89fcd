"""Start a run from an exported voice (fine-tuning), even with another symbol table or speakers.

Rows of the symbol and speaker embeddings are matched by name; rows for new symbols or
speakers keep their fresh initialization. Training-only modules (posterior encoder, aligner)
are not in voice files and start fresh, as do the discriminators, and so do parts that the
voice's model lacks: a voice from before the harmonic source gains a pitch predictor and the
decoder's source inputs, which start at zero effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from voicebot.model import ET2Model
from voicebot.training.errors import TrainingError
from voicebot.voices import VoiceMeta

__all__ = ["InitSummary", "init_from_voice"]


@dataclass(frozen=True)
class InitSummary:
    """What :func:`init_from_voice` copied and what it left freshly initialized."""

    copied: tuple[str, ...]
    fresh: tuple[str, ...]
    symbols_matched: int
    symbols_new: tuple[str, ...]
    speakers_matched: tuple[str, ...]
    speakers_new: tuple[str, ...]

    def lines(self) -> list[str]:
        """A human-readable summary, one fact per line."""
        new_symbols = " ".join(self.symbols_new) or "none"
        parts = _coarsest_modules(self.fresh, self.copied)
        return [
            f"tensors: {len(self.copied)} copied from the voice, {len(self.fresh)} initialized fresh",
            f"fresh parts: {', '.join(parts) or 'none'}",
            f"symbols: {self.symbols_matched} matched by name, new (fresh rows): {new_symbols}",
            f"speakers: matched {', '.join(self.speakers_matched) or 'none'}; "
            f"new (fresh rows): {', '.join(self.speakers_new) or 'none'}",
            "discriminators: start from scratch",
        ]


def _coarsest_modules(fresh: tuple[str, ...], copied: tuple[str, ...]) -> list[str]:
    """The largest modules all of whose tensors are in ``fresh`` (for a readable summary)."""
    parts = []
    for key in fresh:
        names = key.split(".")
        for depth in range(1, len(names)):
            prefix = ".".join(names[:depth]) + "."
            if not any(other.startswith(prefix) for other in copied):
                parts.append(prefix[:-1])
                break
    return sorted(set(parts))


def _match_rows(
    target: Tensor, source: Tensor, target_names: tuple[str, ...], source_names: tuple[str, ...]
) -> Tensor:
    """``target`` with row i replaced by ``source``'s row of the same name, where there is one."""
    rows = target.clone()
    index = {name: i for i, name in enumerate(source_names)}
    for i, name in enumerate(target_names):
        if name in index:
            rows[i] = source[index[name]].to(rows.dtype)
    return rows


def init_from_voice(
    model: ET2Model,
    voice_state: dict[str, Tensor],
    meta: VoiceMeta,
    symbols: tuple[str, ...],
    speakers: tuple[str, ...],
    source: Path,
) -> InitSummary:
    """Load a voice's weights into a training ``model`` built for ``symbols`` and ``speakers``.

    Raises :class:`TrainingError` if a tensor other than the embeddings has another shape (the
    voice was built with another model config).
    """
    symbol_keys = set(model.symbol_embedding_keys())
    speaker_keys = set(model.speaker_embedding_keys())
    target = model.state_dict()
    extra = sorted(set(voice_state) - set(target))
    if extra:
        raise TrainingError(
            f"{source}: tensors {extra[:3]} do not exist in this model: is it another architecture?"
        )
    merged: dict[str, Tensor] = {}
    for key, tensor in target.items():
        if key not in voice_state:
            merged[key] = tensor
        elif key in symbol_keys:
            merged[key] = _match_rows(tensor, voice_state[key], symbols, meta.symbols)
        elif key in speaker_keys:
            merged[key] = _match_rows(tensor, voice_state[key], speakers, meta.speakers)
        elif voice_state[key].shape != tensor.shape:
            raise TrainingError(
                f"{source}: tensor {key} has shape {tuple(voice_state[key].shape)}, this model needs "
                f"{tuple(tensor.shape)}: fine-tune with the voice's own model config"
            )
        else:
            merged[key] = voice_state[key].to(tensor.dtype)
    with torch.no_grad():
        model.load_state_dict(merged)
    return InitSummary(
        copied=tuple(key for key in target if key in voice_state),
        fresh=tuple(key for key in target if key not in voice_state),
        symbols_matched=sum(s in meta.symbols for s in symbols),
        symbols_new=tuple(s for s in symbols if s not in meta.symbols),
        speakers_matched=tuple(s for s in speakers if s in meta.speakers),
        speakers_new=tuple(s for s in speakers if s not in meta.speakers),
    )
