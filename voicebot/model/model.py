"""MS-iSTFT-ET2: EfficientTTS 2 acoustic model with an iSTFT waveform decoder, end to end."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pad_sequence

from voicebot.model.aligner import DifferentiableAligner
from voicebot.model.attention import Boundaries
from voicebot.model.config import ModelConfig
from voicebot.model.duration import AlignmentPredictor, alignment_targets, boundaries_from_log_durations
from voicebot.model.errors import ModelInputError
from voicebot.model.layers import sequence_mask
from voicebot.model.pitch import PitchControl, PitchPredictor, PitchTrack, pitch_loss, voicing
from voicebot.model.source import frame_phases
from voicebot.model.streaming import JOINT_CHUNKS, ChunkStream, JointStart, packed
from voicebot.model.synthesis import Excitation, FrameSynthesizer
from voicebot.model.text_encoder import TextEncoder
from voicebot.model.vae import PosteriorEncoder, gaussian_kl

__all__ = ["ET2Model", "TrainOutput"]

_log = logging.getLogger(__name__)

# Until set_pitch_stats: a typical speaking voice, 150 Hz, and a spread of about 3.5 semitones.
_DEFAULT_LOG_F0 = 5.0106
_DEFAULT_LOG_F0_STD = 0.2
_AS_TRAINED = PitchControl()


@dataclass(frozen=True)
class TrainOutput:
    """What :meth:`ET2Model.forward_train` returns.

    Attributes:
        audio_hat: (B, 1, segment_frames * hop_length) decoded random segments.
        slice_starts: (B,) first frame of each segment; cut the real audio at
            ``slice_starts * hop_length`` for the mel / GAN losses.
        losses: model-internal scalar losses, with suggested weights (the trainer adds mel L1
            about 45, LSGAN and feature matching):

            - ``kl_z1``: KL(q(z1 | spec) || p(z1 | aligned text)), weight 1.0. Also trains the
              text encoder, the aligner and the hybrid attention.
            - ``kl_z2``: KL(q(z2 | spec, z1) || p(z2 | z1)), weight 1.0.
            - ``duration_mse``: alignment predictor regression on log(1 + frames), weight 1.0.
            - ``duration_kl``: alignment predictor KL per token, weight 0.1 to 1.0.
            - ``aligned_mel``: L1 between the log-mel and a linear probe of the aligned text
              states, weight 1.0: a direct signal for the aligner and the text encoder while
              the latents carry little information (early training), as in EfficientTTS.
            - ``forward_sum``: CTC loss of the aligner's attention (see
              :mod:`voicebot.model.aligner`), weight 1.0: makes it find the diagonal.
            - ``pitch`` and ``voicing`` (harmonic source only): L1 of the predicted normalized
              log-F0 and BCE of the voicing against the extracted pitch, weight 1.0.
        bounds: the aligner's token boundaries in frames (for diagnostics).
        attention: (B, T_frames, T_text) the aligner's soft attention (for diagnostics).
    """

    audio_hat: Tensor
    slice_starts: Tensor
    losses: dict[str, Tensor]
    bounds: Boundaries
    attention: Tensor


@dataclass(frozen=True)
class Plan:
    """The eager part of inference: everything with data-dependent sizes.

    ``excitation`` (harmonic source only, unless streaming) covers the whole sentence,
    ``margin`` frames beyond each end: pitch is predicted and its phase accumulated once, and
    each decoded span takes its slice, so chunks carry the source's phase across their
    boundaries. Streaming predicts the pitch as the chunks need it instead
    (:class:`_StreamedSource`), with the same result.
    """

    text_h: Tensor
    text_mask: Tensor
    bounds: Boundaries
    frame_lengths: Tensor
    noise1: Tensor
    noise2: Tensor
    speaker: Tensor
    pitch_stats: Tensor
    excitation: Excitation | None


class ET2Model(nn.Module):
    """The voice model.

    Args:
        config: hyperparameters (:meth:`ModelConfig.small` is the default preset).
        n_symbols: size of the phoneme symbol table (id 0 is padding).
        n_speakers: number of speakers (1 works).
        training: also build the training-only parts (aligner, posterior encoder). A voice file
            holds exactly the state dict of ``ET2Model(..., training=False)``.

    Inference runs in ``eval()`` mode; call :meth:`compile_synthesizer` once to speed it up.
    """

    def __init__(
        self, config: ModelConfig, n_symbols: int, n_speakers: int = 1, training: bool = False
    ) -> None:
        super().__init__()
        if n_symbols < 2 or n_speakers < 1:
            raise ModelInputError(f"need at least 2 symbols and 1 speaker (got {n_symbols}, {n_speakers})")
        self.config = config
        self.n_symbols = n_symbols
        self.n_speakers = n_speakers
        self.has_training_modules = training
        hidden = config.hidden_channels
        self.speaker_embedding = nn.Embedding(n_speakers, config.speaker_channels)
        self.text_encoder = TextEncoder(
            n_symbols,
            hidden,
            config.text_conv_layers,
            config.text_attention_layers,
            config.attention_heads,
            config.kernel_size,
            config.dropout,
        )
        self.alignment_predictor = AlignmentPredictor(
            hidden,
            config.duration_latent,
            config.duration_layers,
            config.kernel_size,
            config.dropout,
            config.speaker_channels,
        )
        self.synthesizer = FrameSynthesizer(config)
        self.pitch_predictor: PitchPredictor | None = None
        if config.source == "harmonic":
            self.pitch_predictor = PitchPredictor(
                hidden, config.pitch_layers, config.kernel_size, config.dropout, config.speaker_channels
            )
        # Per-speaker (mean, std) of log-F0 in the training data: they turn the predictor's
        # normalized log-F0 into Hz. Voice files keep them in their metadata, not the state dict.
        self.register_buffer(
            "pitch_stats",
            torch.tensor([[_DEFAULT_LOG_F0, _DEFAULT_LOG_F0_STD]] * n_speakers),
            persistent=False,
        )
        self.aligner: DifferentiableAligner | None = None
        self.posterior: PosteriorEncoder | None = None
        self.mel_probe: nn.Conv1d | None = None
        if training:
            self.aligner = DifferentiableAligner(
                config.n_mels, hidden, config.aligner_layers, config.kernel_size, config.aligner_sigma
            )
            self.mel_probe = nn.Conv1d(hidden, config.n_mels, 1)
            self.posterior = PosteriorEncoder(
                config.n_fft // 2 + 1,
                hidden,
                config.latent_channels,
                config.posterior_layers,
                config.kernel_size,
                config.speaker_channels,
            )
        self._latents: Callable[..., Tensor] = self.synthesizer.latents
        self._decode: Callable[..., Tensor] = self.synthesizer.decode

    # --- introspection ------------------------------------------------------------------------

    def training_only_modules(self) -> list[nn.Module]:
        """The parts that only training builds (aligner, mel probe, posterior encoder): what a voice
        file lacks. Empty for ``training=False``."""
        return [m for m in (self.aligner, self.mel_probe, self.posterior) if m is not None]

    @property
    def has_source(self) -> bool:
        """Whether this model predicts pitch and drives its decoder with the harmonic source."""
        return self.pitch_predictor is not None

    def set_pitch_stats(self, stats: Tensor) -> None:
        """Set each speaker's log-F0 (mean, std), a (n_speakers, 2) tensor (std > 0)."""
        if stats.shape != self.pitch_stats.shape or not bool((stats[:, 1] > 0).all()):
            raise ModelInputError(
                f"pitch statistics must be ({self.n_speakers}, 2) with positive deviations, "
                f"got {tuple(stats.shape)}"
            )
        self.pitch_stats.copy_(stats.to(self.pitch_stats))

    @staticmethod
    def symbol_embedding_keys() -> list[str]:
        """State-dict keys whose first dimension indexes symbols."""
        return ["text_encoder.embedding.weight"]

    @staticmethod
    def speaker_embedding_keys() -> list[str]:
        """State-dict keys whose first dimension indexes speakers."""
        return ["speaker_embedding.weight"]

    def compile_synthesizer(self, **options: object) -> None:
        """Compile the frame-level part with ``torch.compile(dynamic=True)``.

        The compiled copy is kept outside the module tree, so the state dict keys stay the same.
        Compilation happens on first use (about a minute on two cores, seconds with a warm
        inductor cache); short spans (chunks) and long ones compile separately because convolution
        kernels are chosen by size, so call :meth:`warm_up` before serving. A batch of more than one
        item compiles once more (batch 1 is special).
        """
        # The iSTFT head's complex ops fall back to eager kernels by design; inductor's warning about
        # it would greet every bot start-up as if something were wrong.
        warnings.filterwarnings(
            "ignore", message="Torchinductor does not support code generation for complex"
        )
        for name, stage in (("_latents", self.synthesizer.latents), ("_decode", self.synthesizer.decode)):
            object.__setattr__(self, name, torch.compile(stage, dynamic=True, **options))  # type: ignore[arg-type]
        _log.info("frame synthesizer will be compiled on first use")

    def warm_up(self, symbols: int = 80) -> None:
        """Synthesize made-up input of ``symbols`` ids, whole, in chunks and as two sentences
        started together, and discard it.

        This moves compilation (see :meth:`compile_synthesizer`) and one-time allocations to
        start-up instead of the first request: on two cores the first burst of messages (a batch)
        otherwise waited about half a minute.
        """
        device = self.speaker_embedding.weight.device
        ids = torch.arange(symbols, device=device) % (self.n_symbols - 1) + 1
        speakers = torch.zeros(2, dtype=torch.long, device=device)
        self.infer(ids[None], torch.tensor([symbols], device=device), speakers[:1])
        for stream in (
            *self.start_chunks([ids], speakers[:1]),
            *self.start_chunks([ids, ids[: max(1, symbols // 2)]], speakers),
        ):
            for _ in stream:
                pass

    # --- inference ----------------------------------------------------------------------------

    def _check(self, ids: Tensor, id_lengths: Tensor, speakers: Tensor, length_scale: float) -> None:
        if ids.dim() != 2 or id_lengths.shape != ids.shape[:1] or speakers.shape != ids.shape[:1]:
            raise ModelInputError(
                f"expected ids (B, T), id_lengths (B,), speakers (B,); got {tuple(ids.shape)}, "
                f"{tuple(id_lengths.shape)}, {tuple(speakers.shape)}"
            )
        if ids.numel() == 0 or int(id_lengths.min()) < 1 or int(id_lengths.max()) > ids.size(1):
            raise ModelInputError("every item needs between 1 and T symbol ids: check id_lengths")
        if int(ids.min()) < 0 or int(ids.max()) >= self.n_symbols:
            raise ModelInputError(
                f"symbol id {int(ids.max())} is outside this voice's table of {self.n_symbols} symbols: "
                "the voice was trained with another symbol table; update the voice or the frontend"
            )
        if int(speakers.min()) < 0 or int(speakers.max()) >= self.n_speakers:
            raise ModelInputError(
                f"speaker {int(speakers.max())} does not exist: this voice has {self.n_speakers} speaker(s)"
            )
        if not length_scale > 0:
            raise ModelInputError(f"length_scale must be positive (got {length_scale})")

    def plan(
        self,
        ids: Tensor,
        id_lengths: Tensor,
        speakers: Tensor,
        length_scale: float,
        noise_scale: float,
        noise_scale_dur: float,
        generator: torch.Generator | Sequence[torch.Generator | None] | None,
        control: PitchControl,
        whole_source: bool = True,
    ) -> Plan:
        """Everything before the frame-level stages; the excitation of the whole sentences
        (harmonic source) only when ``whole_source``.

        ``generator`` draws the batch's noise; a sequence of them, one per item, draws each
        item's noise as if it were alone (see :func:`_noise`).
        """
        self._check(ids, id_lengths, speakers, length_scale)
        control.check()
        text_mask = sequence_mask(id_lengths, ids.size(1))
        speaker = self.speaker_embedding(speakers)
        text_h = self.text_encoder(ids, text_mask)
        duration_noise = _noise(generator, self.config.duration_latent, id_lengths, ids.size(1))
        log_durations = self.alignment_predictor.sample(
            text_h, text_mask, speaker, duration_noise * noise_scale_dur
        )
        bounds = boundaries_from_log_durations(log_durations, text_mask, length_scale)
        frame_lengths = bounds.b[:, -1].ceil().long().clamp_min(1)
        frames = int(frame_lengths.max())
        latent = self.config.latent_channels
        noise1 = _noise(generator, latent, frame_lengths, frames) * noise_scale
        noise2 = _noise(generator, latent, frame_lengths, frames) * noise_scale
        stats = self.pitch_stats[speakers]  # (B, 2)
        plan = Plan(text_h, text_mask, bounds, frame_lengths, noise1, noise2, speaker, stats, None)
        if whole_source and self.pitch_predictor is not None:
            track = self.pitch_span(plan, control, 0, frames)
            plan = replace(plan, excitation=self.excitation(plan, track))
        return plan

    def pitch_span(self, plan: Plan, control: PitchControl, start: int, end: int) -> PitchTrack:
        """Predicted pitch of frames [start, end) (each (B, end - start)), changed by ``control``.

        The predictor sees the frames within its receptive field of the span and no more (the
        attention before it is per frame), so any span equals the same frames of the whole
        sentence's track: a stream predicts pitch chunk by chunk and gets the same contour, and
        so the same source phase, as :meth:`infer`.
        """
        assert self.pitch_predictor is not None
        total = plan.noise1.size(-1)
        field = self.pitch_predictor.receptive_field
        lo, hi = max(0, start - field), min(total, end + field)
        positions = torch.arange(lo, hi, device=plan.frame_lengths.device)
        frame_mask = sequence_mask(plan.frame_lengths - lo, hi - lo)
        aligned = self.synthesizer.attention(plan.text_h, plan.text_mask, plan.bounds, positions, frame_mask)
        raw = self.pitch_predictor(aligned, frame_mask, plan.speaker).float()
        keep = slice(start - lo, end - lo)
        return PitchTrack(
            control.apply(raw[:, 0, keep], plan.pitch_stats),
            voicing(raw[:, 1, keep]) * frame_mask[:, 0, keep],
        )

    def excitation(self, plan: Plan, track: PitchTrack) -> Excitation:
        """The whole sentences' :class:`Excitation` from their pitch ``track`` (each
        (B, T_frames)), from ``margin`` frames before the start to ``margin + 1`` after the end."""
        synth = self.synthesizer
        first = torch.full_like(plan.frame_lengths, -synth.source_margin)
        frames = plan.noise1.size(-1)
        return _excitation_window(track, plan.frame_lengths, first, frames, synth, plan.pitch_stats)

    def latent_span(self, plan: Plan, start: int, end: int) -> Tensor:
        """Latent z2 (B, Z, end - start) of frames [start, end) of the plan."""
        # Row-major inputs: the compiled code is specialised on strides, not on lengths (the text
        # encoder's output is transposed or not depending on its length).
        return self._latents(
            packed(plan.text_h),
            plan.text_mask,
            *plan.bounds,
            torch.arange(start, end, device=plan.frame_lengths.device),
            plan.frame_lengths,
            plan.noise1[..., start:end].contiguous(),
            plan.noise2[..., start:end].contiguous(),
            plan.speaker,
        )

    def decode_span(self, plan: Plan, z2: Tensor, start: int, source: Excitation | None = None) -> Tensor:
        """Audio (B, T * hop) of the latent span z2 (B, Z, T) that begins at frame ``start``; the
        whole sentences' excitation is ``source``, or the plan's."""
        frames = z2.size(-1)
        positions = torch.arange(start, start + frames, device=z2.device)
        excitation = None
        full = source if source is not None else plan.excitation
        if full is not None:
            # The whole excitation starts `margin` frames before frame 0: its index i is frame i - margin.
            margin = self.synthesizer.source_margin
            excitation = Excitation(
                packed(full.log_f0[:, start : start + frames + 2 * margin + 1]),
                packed(full.voiced[:, start : start + frames + 2 * margin + 1]),
                packed(full.phases[:, start : start + frames + 2 * margin]),
                full.first_sample + start * self.config.hop_length,
                full.stats,
            )
        return self._decode(z2.contiguous(), positions, plan.frame_lengths, plan.speaker, excitation)

    @torch.inference_mode()
    def infer(
        self,
        ids: Tensor,
        id_lengths: Tensor,
        speakers: Tensor,
        length_scale: float = 1.0,
        noise_scale: float = 0.667,
        noise_scale_dur: float = 0.8,
        generator: torch.Generator | None = None,
        pitch: PitchControl = _AS_TRAINED,
    ) -> tuple[Tensor, Tensor]:
        """Synthesize a padded batch.

        Args:
            ids: (B, T) symbol ids, zero-padded. id_lengths: (B,). speakers: (B,) speaker indices.
            length_scale: speaking time factor (2.0 is half as fast). noise_scale: prior noise.
            noise_scale_dur: alignment predictor noise. generator: for reproducible noise.
            pitch: pitch shift and intonation (a model without a harmonic source ignores them).

        Returns: audio (B, S) float32, zero after each item's end, and audio_lengths (B,) in samples.
        """
        plan = self.plan(
            ids, id_lengths, speakers, length_scale, noise_scale, noise_scale_dur, generator, pitch
        )
        total = plan.noise1.size(-1)
        audio = self.decode_span(plan, self.latent_span(plan, 0, total), 0).float()
        audio_lengths = plan.frame_lengths * self.config.hop_length
        samples = torch.arange(audio.size(1), device=audio.device)
        return audio * (samples[None, :] < audio_lengths[:, None]), audio_lengths

    @torch.inference_mode()
    def predict_pitch(
        self,
        ids: Tensor,
        id_lengths: Tensor,
        speakers: Tensor,
        length_scale: float = 1.0,
        noise_scale_dur: float = 0.8,
        generator: torch.Generator | None = None,
        pitch: PitchControl = _AS_TRAINED,
    ) -> tuple[PitchTrack, Tensor]:
        """The pitch contour the decoder gets from :meth:`infer` with the same arguments and noise.

        Returns: :class:`PitchTrack` (each (B, T_frames); log-F0 in log Hz) and frame lengths (B,).
        Raises :class:`ModelInputError` for a model without a harmonic source.
        """
        if not self.has_source:
            raise ModelInputError("this voice predicts no pitch (it has no harmonic source)")
        plan = self.plan(ids, id_lengths, speakers, length_scale, 0.0, noise_scale_dur, generator, pitch)
        assert plan.excitation is not None
        margin, frames = self.synthesizer.source_margin, plan.noise1.size(-1)
        inner = slice(margin, margin + frames)
        track = PitchTrack(plan.excitation.log_f0[:, inner], plan.excitation.voiced[:, inner])
        return track, plan.frame_lengths

    def infer_chunks(
        self,
        ids: Tensor,
        speakers: Tensor,
        length_scale: float = 1.0,
        noise_scale: float = 0.667,
        noise_scale_dur: float = 0.8,
        chunk_frames: int = 128,
        first_chunk_frames: int = 16,
        generator: torch.Generator | None = None,
        pitch: PitchControl = _AS_TRAINED,
    ) -> Iterator[Tensor]:
        """Synthesize one sentence in chunks (see :mod:`voicebot.model.streaming`): the first one
        ``first_chunk_frames`` long, each next one twice as long up to ``chunk_frames``.

        The alignment and the noise are computed for the whole sentence first; the concatenated
        chunks equal :meth:`infer` with the same noise.

        Args: ids (1, T), speakers (1,); the rest as :meth:`infer`; chunk sizes in frames.
        Returns: an iterator of Tensors of shape (S_i,), float32.
        """
        if ids.dim() != 2 or ids.size(0) != 1:
            raise ModelInputError(
                f"infer_chunks takes one sentence, ids of shape (1, T); got {tuple(ids.shape)}"
            )
        return self.start_chunks(
            [ids[0]],
            speakers,
            length_scale,
            noise_scale,
            noise_scale_dur,
            chunk_frames,
            first_chunk_frames,
            [generator],
            pitch,
        )[0]

    @torch.inference_mode()
    def start_chunks(
        self,
        sentences: Sequence[Tensor],
        speakers: Tensor,
        length_scale: float = 1.0,
        noise_scale: float = 0.667,
        noise_scale_dur: float = 0.8,
        chunk_frames: int = 128,
        first_chunk_frames: int = 16,
        generators: Sequence[torch.Generator | None] | None = None,
        pitch: PitchControl = _AS_TRAINED,
        joint_chunks: int = JOINT_CHUNKS,
    ) -> list[Iterator[Tensor]]:
        """Start several sentences together: one batched plan, and their first ``joint_chunks``
        chunks computed in one decoder pass each (see :class:`JointStart`); then each goes on
        as its own :meth:`infer_chunks` stream.

        Args:
            sentences: (T_i,) symbol ids each. speakers: (B,), one per sentence.
            generators: one per sentence (distinct), or None: each sentence draws its noise from
                its own, in the same order as alone, so it sounds as :meth:`infer_chunks` with
                that generator would make it (up to float rounding).
            the rest: as :meth:`infer_chunks`.

        Returns: one iterator of float32 Tensors (S_i,) per sentence, in order.
        """
        if joint_chunks < 1:
            raise ModelInputError("joint_chunks must be at least 1")
        if chunk_frames < 1 or first_chunk_frames < 1:
            raise ModelInputError("chunk_frames and first_chunk_frames must be at least 1")
        if not sentences or any(s.dim() != 1 or s.numel() == 0 for s in sentences):
            raise ModelInputError("start_chunks takes one or more sentences of (T_i,) symbol ids")
        if generators is not None and len(generators) != len(sentences):
            raise ModelInputError(
                f"{len(sentences)} sentences need as many generators, got {len(generators)}"
            )
        lengths = torch.tensor([s.numel() for s in sentences], device=sentences[0].device)
        ids = pad_sequence(list(sentences), batch_first=True)
        plan = self.plan(
            ids,
            lengths,
            speakers,
            length_scale,
            noise_scale,
            noise_scale_dur,
            generators or None,
            pitch,
            whole_source=False,
        )
        stream = ChunkStream(self, plan, pitch, chunk_frames, first_chunk_frames)
        if len(sentences) == 1:
            return [stream]
        return JointStart(stream, joint_chunks).members()

    # --- training -----------------------------------------------------------------------------

    def forward_train(
        self,
        ids: Tensor,
        id_lengths: Tensor,
        spec: Tensor,
        mel: Tensor,
        spec_lengths: Tensor,
        speakers: Tensor,
        segment_frames: int,
        pitch: PitchTrack | None = None,
    ) -> TrainOutput:
        """Training forward pass on a padded batch.

        Args:
            ids: (B, T_text). id_lengths: (B,). spec: (B, n_fft // 2 + 1, T_frames) linear magnitude.
            mel: (B, n_mels, T_frames) log-mel. spec_lengths: (B,) frames. speakers: (B,).
            segment_frames: frames per decoded random segment.
            pitch: the extracted pitch, each (B, T_frames) (required with a harmonic source): the
                pitch predictor's target, and what drives the decoder's source (teacher forcing).

        Returns: :class:`TrainOutput`.
        """
        if self.aligner is None or self.posterior is None or self.mel_probe is None:
            raise ModelInputError("forward_train needs ET2Model(..., training=True)")
        text_mask = sequence_mask(id_lengths, ids.size(1))
        frame_mask = sequence_mask(spec_lengths, spec.size(-1))
        speaker = self.speaker_embedding(speakers)
        text_h = self.text_encoder(ids, text_mask)
        bounds, attention, forward_sum = self.aligner(text_h, text_mask, mel, frame_mask)
        positions = torch.arange(spec.size(-1), device=spec.device)
        synth = self.synthesizer
        aligned = synth.attention(text_h, text_mask, bounds, positions, frame_mask)
        q1, q2, z1, z2 = self.posterior(spec, frame_mask, speaker)
        kl_z1 = gaussian_kl(q1, synth.prior1(aligned, frame_mask, speaker), frame_mask)
        kl_z2 = gaussian_kl(q2, synth.prior2(z1, frame_mask, speaker), frame_mask)
        probe_error = (self.mel_probe(aligned) - mel).abs().float() * frame_mask
        aligned_mel = probe_error.sum() / (frame_mask.sum() * mel.size(1)).clamp_min(1.0)
        duration = self.alignment_predictor(
            text_h.detach(), text_mask, speaker.detach(), alignment_targets(bounds).detach()
        )
        starts, segment, segment_mask = _random_segments(z2, spec_lengths, segment_frames)
        losses = {
            "kl_z1": kl_z1,
            "kl_z2": kl_z2,
            "duration_mse": duration.mse,
            "duration_kl": duration.kl,
            "aligned_mel": aligned_mel,
            "forward_sum": forward_sum,
        }
        if self.pitch_predictor is None:
            audio_hat = synth.decoder(segment, segment_mask, speaker)
        else:
            if pitch is None:
                raise ModelInputError("this model has a harmonic source: forward_train needs the pitch")
            stats = self.pitch_stats[speakers]
            predicted = self.pitch_predictor(aligned, frame_mask, speaker)
            losses["pitch"], losses["voicing"] = pitch_loss(predicted, pitch, stats, frame_mask)
            # Teacher forcing on the recorded pitch; a random start phase and noise position per
            # segment, since a recording's absolute phase carries no information.
            batch = ids.size(0)
            excitation = _excitation_window(
                pitch,
                spec_lengths,
                starts - synth.source_margin,
                segment_frames,
                synth,
                stats,
                phase0=torch.rand(batch, device=ids.device),
                noise_offset=torch.randint(0, 2**31, (batch,), device=ids.device),
            )
            audio_hat = synth.decoder(segment, segment_mask, speaker, *synth.excite(excitation))
        return TrainOutput(audio_hat.unsqueeze(1), starts, losses, bounds, attention)


def _noise(
    generator: torch.Generator | Sequence[torch.Generator | None] | None,
    channels: int,
    lengths: Tensor,
    total: int,
) -> Tensor:
    """Standard normal noise (B, channels, total) from ``generator``; given one generator per
    item, item ``i``'s first ``lengths[i]`` frames come from its own (zero after), drawn as
    (1, channels, lengths[i]): what that item alone would draw."""
    device = lengths.device
    if generator is None or isinstance(generator, torch.Generator):
        return torch.randn(lengths.numel(), channels, total, generator=generator, device=device)
    noise = torch.zeros(lengths.numel(), channels, total, device=device)
    for row, (own, length) in enumerate(zip(generator, lengths.tolist(), strict=True)):
        noise[row, :, :length] = torch.randn(1, channels, length, generator=own, device=device)[0]
    return noise


def _excitation_window(
    track: PitchTrack,
    lengths: Tensor,
    first: Tensor,
    frames: int,
    synth: FrameSynthesizer,
    stats: Tensor,
    phase0: Tensor | None = None,
    noise_offset: Tensor | None = None,
) -> Excitation:
    """The :class:`Excitation` of ``frames`` frames from frame ``first + margin`` of each item.

    Args: track (each (B, T)), lengths (B,) frames per item, first (B,) first frame of the window
        (``margin`` before the span; frames outside an item repeat its edge values), stats (B, 2),
        phase0 (B,) phase where the window starts (default 0), noise_offset (B,) added to the
        noise positions (default 0).
    """
    count = frames + 2 * synth.source_margin + 1
    index = first[:, None] + torch.arange(count, device=first.device)[None, :]
    index = torch.minimum(index.clamp_min(0), (lengths - 1)[:, None])
    log_f0 = torch.gather(track.log_f0.float(), 1, index)
    voiced = torch.gather(track.voiced.float(), 1, index)
    phases = frame_phases(log_f0.exp(), synth.hop_length, synth.sample_rate, phase0)[:, :-1].float()
    first_sample = first.long() * synth.hop_length
    if noise_offset is not None:
        first_sample = first_sample + noise_offset
    return Excitation(log_f0, voiced, phases, first_sample, stats.float())


def _random_segments(x: Tensor, lengths: Tensor, frames: int) -> tuple[Tensor, Tensor, Tensor]:
    """Random windows of ``frames`` frames inside each item's valid length.

    Args: x (B, C, T), lengths (B,). Returns: starts (B,), segments (B, C, frames),
        segment mask (B, 1, frames) (zero where a short item runs out).
    """
    room = (lengths - frames + 1).clamp_min(1)
    starts = (torch.rand(lengths.shape, device=x.device) * room).long()
    index = starts[:, None] + torch.arange(frames, device=x.device)[None, :]
    mask = (index < lengths[:, None]).unsqueeze(1).to(x.dtype)
    gathered = torch.gather(x, 2, index.clamp(max=x.size(-1) - 1).unsqueeze(1).expand(-1, x.size(1), -1))
    return starts, gathered * mask, mask
