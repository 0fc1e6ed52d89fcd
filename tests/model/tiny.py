"""A tiny model config shared by the model tests."""

from __future__ import annotations

from voicebot.model import ModelConfig

__all__ = ["N_SYMBOLS", "tiny_config"]

N_SYMBOLS = 40


def tiny_config(**overrides: object) -> ModelConfig:
    """A config small enough for a test to run a model in milliseconds."""
    values: dict[str, object] = {
        "sample_rate": 8000,
        "hop_length": 64,
        "n_fft": 256,
        "win_length": 256,
        "n_mels": 20,
        "hidden_channels": 32,
        "text_conv_layers": 1,
        "text_attention_layers": 1,
        "attention_heads": 2,
        "kernel_size": 5,
        "dropout": 0.0,
        "aligner_layers": 1,
        "duration_layers": 1,
        "duration_latent": 2,
        "latent_channels": 8,
        "prior_layers": 1,
        "prior2_layers": 1,
        "posterior_layers": 1,
        "decoder_channels": 32,
        "decoder_intermediate": 64,
        "decoder_layers": 2,
        "ms_upsample": (2, 2),
        "ms_channels": 16,
        "ms_filter_size": 15,
        "speaker_channels": 8,
    }
    values.update(overrides)
    return ModelConfig(**values)  # type: ignore[arg-type]
