"""Hyperparameters of the MS-iSTFT-ET2 model, with a small (CPU) and a large preset."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ModelConfig"]


class ModelConfig(BaseModel):
    """Every hyperparameter of :class:`~voicebot.model.ET2Model`; unknown keys are rejected.

    :meth:`small` is the default preset (fast on two CPU cores); :meth:`large` trades speed for
    capacity. The config travels with each voice file, so a field once released keeps its meaning,
    and a field added later defaults to the behaviour from before it (``ModelConfig()`` is the
    first release's model; the presets are what new voices get).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- audio -------------------------------------------------------------------------------
    sample_rate: int = Field(24000, gt=0, description="Output sample rate in Hz (the corpus rate).")
    hop_length: int = Field(256, gt=0, description="Samples per spectrogram frame.")
    n_fft: int = Field(1024, gt=0, description="FFT size of the spectrogram and of the iSTFT head.")
    win_length: int = Field(1024, gt=0, description="Hann window length (<= n_fft).")
    n_mels: int = Field(80, gt=0, description="Mel bands of the log-mel features (aligner input, mel loss).")
    mel_fmin: float = Field(0.0, ge=0.0, description="Lowest mel filter frequency in Hz.")
    mel_fmax: float | None = Field(None, description="Highest mel filter frequency in Hz (None: Nyquist).")

    # --- text encoder ------------------------------------------------------------------------
    hidden_channels: int = Field(192, gt=0, description="Width of text states and aligned frame states.")
    text_conv_layers: int = Field(2, ge=0, description="ConvNeXt blocks after the symbol embedding.")
    text_attention_layers: int = Field(4, ge=1, description="Transformer layers of the text encoder.")
    attention_heads: int = Field(2, ge=1, description="Heads of the text self-attention.")
    kernel_size: int = Field(7, ge=1, description="Depthwise kernel of every ConvNeXt block (odd).")
    dropout: float = Field(0.1, ge=0.0, lt=1.0, description="Dropout in text encoder and predictors.")

    # --- aligner (training only) and hybrid attention -----------------------------------------
    aligner_layers: int = Field(3, ge=1, description="ConvNeXt blocks of the mel query encoder.")
    aligner_sigma: float = Field(
        8.0, gt=0.0, description="Sharpness of the frame-to-token position softmax (1 / token^2)."
    )

    # --- variational alignment predictor -------------------------------------------------------
    duration_layers: int = Field(3, ge=1, description="ConvNeXt blocks of the alignment predictor.")
    duration_latent: int = Field(4, ge=1, description="Latent channels per token of the predictor VAE.")

    # --- hierarchical VAE ------------------------------------------------------------------------
    latent_channels: int = Field(96, gt=0, description="Channels of each latent level z1 and z2.")
    prior_layers: int = Field(3, ge=1, description="ConvNeXt blocks of the prior p(z1 | aligned text).")
    prior2_layers: int = Field(2, ge=1, description="ConvNeXt blocks of the prior p(z2 | z1).")
    posterior_layers: int = Field(4, ge=1, description="ConvNeXt blocks of the posterior encoder.")

    # --- decoder -------------------------------------------------------------------------------
    decoder_channels: int = Field(256, gt=0, description="Width of the frame-rate ConvNeXt decoder.")
    decoder_intermediate: int = Field(768, gt=0, description="Pointwise expansion of decoder blocks.")
    decoder_layers: int = Field(8, ge=1, description="ConvNeXt blocks of the decoder at frame rate.")
    head: Literal["istft", "ms_istft"] = Field(
        "istft",
        description="Waveform head: 'istft' predicts one n_fft spectrum per frame (Vocos style); "
        "'ms_istft' upsamples and sums several small iSTFT streams (MS-iSTFT-VITS style). 'istft' is "
        "the default because it is faster: `voicebot bench model`, small preset, one thread, CPU time "
        "per second of audio 0.013 compiled (0.017 eager) against 0.018 (0.020) for 'ms_istft'.",
    )
    ms_streams: int = Field(4, ge=1, description="MS-iSTFT: number of sub-band streams.")
    ms_n_fft: int = Field(16, ge=2, description="MS-iSTFT: FFT size of each stream.")
    ms_hop: int = Field(4, ge=1, description="MS-iSTFT: hop of each stream.")
    ms_upsample: tuple[int, ...] = Field(
        (4, 4), description="MS-iSTFT: transposed-conv upsampling factors from frame rate."
    )
    ms_channels: int = Field(128, gt=0, description="MS-iSTFT: width after the first upsampling.")
    ms_filter_size: int = Field(63, ge=1, description="MS-iSTFT: taps of the stream synthesis filter (odd).")

    # --- pitch and harmonic source --------------------------------------------------------------
    source: Literal["none", "harmonic"] = Field(
        "none",
        description="Excitation of the decoder: 'harmonic' predicts pitch per frame and hands the "
        "decoder the spectrum of a band-limited pulse train at that pitch, whose phase it filters "
        "instead of inventing (voicebot.model.source); 'none' is the decoder alone. The presets pick "
        "'harmonic'; the field defaults to 'none' because voice files written before it existed "
        "store no value and mean 'none'.",
    )
    pitch_layers: int = Field(3, ge=1, description="ConvNeXt blocks of the frame-level pitch predictor.")

    # --- speakers --------------------------------------------------------------------------------
    speaker_channels: int = Field(64, gt=0, description="Speaker embedding size.")

    @model_validator(mode="after")
    def _check(self) -> ModelConfig:
        if self.win_length > self.n_fft:
            raise ValueError(f"win_length ({self.win_length}) must not exceed n_fft ({self.n_fft})")
        if self.kernel_size % 2 == 0 or self.ms_filter_size % 2 == 0:
            raise ValueError("kernel_size and ms_filter_size must be odd")
        if self.hidden_channels % self.attention_heads:
            raise ValueError("hidden_channels must be divisible by attention_heads")
        if self.source == "harmonic" and self.head != "istft":
            raise ValueError(
                "source 'harmonic' needs head 'istft' (the multi-stream head has no source input)"
            )
        if self.head == "ms_istft":
            up = 1
            for factor in self.ms_upsample:
                up *= factor
            if up * self.ms_hop * self.ms_streams != self.hop_length:
                raise ValueError(
                    "ms_istft needs prod(ms_upsample) * ms_hop * ms_streams == hop_length "
                    f"(got {up} * {self.ms_hop} * {self.ms_streams} != {self.hop_length})"
                )
        return self

    @classmethod
    def small(cls) -> ModelConfig:
        """The default preset: a few million inference parameters, fast on two CPU cores."""
        return cls(source="harmonic")

    @classmethod
    def large(cls) -> ModelConfig:
        """More capacity (about 24 M inference parameters), about 2.5 times the CPU time of :meth:`small`."""
        return cls(
            hidden_channels=256,
            text_attention_layers=6,
            latent_channels=192,
            prior_layers=4,
            prior2_layers=3,
            posterior_layers=8,
            decoder_channels=512,
            decoder_intermediate=1536,
            decoder_layers=8,
            speaker_channels=128,
            source="harmonic",
        )
