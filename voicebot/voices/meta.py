"""What a voice file says about itself, and its encoding as safetensors ``__metadata__``.

Safetensors metadata is a flat ``str -> str`` map, so lists and the model config are stored
as JSON text. The format name, format version and architecture are fixed by this module and
checked on read; everything else is :class:`VoiceMeta`.
"""

from __future__ import annotations

import json
import math

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from voicebot.model import ModelConfig
from voicebot.voices.errors import NotAVoiceFile, VoiceFileCorrupt, VoiceFileIncompatible
from voicebot.voices.strict_json import StrictJSONError, strict_json_loads

__all__ = [
    "ARCHITECTURE",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "VoiceMeta",
    "meta_from_metadata",
    "meta_to_metadata",
]

FORMAT_NAME = "voicebot-voice"
FORMAT_VERSION = 1
ARCHITECTURE = "ms-istft-et2"

_KEYS = (
    "format",
    "format_version",
    "architecture",
    "model_config",
    "symbols",
    "symbol_table_version",
    "sample_rate",
    "speakers",
    "default_speaker",
    "display_name",
    "license",
    "provenance",
)
_OPTIONAL_KEYS = ("pitch",)  # added after format 1 was released: older files lack them


class VoiceMeta(BaseModel):
    """Everything about a voice besides its weights.

    ``symbols`` is the table the model's embedding was trained with (index 0 is padding);
    ``speakers`` names the rows of the speaker embedding, in order.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    display_name: str = Field(min_length=1, max_length=100)
    config: ModelConfig
    symbols: tuple[str, ...] = Field(min_length=2)
    symbol_table_version: int = Field(ge=1)
    speakers: tuple[str, ...] = Field(min_length=1, max_length=1000)
    default_speaker: str
    license: str = Field(max_length=10_000)
    provenance: str = Field(max_length=10_000)
    pitch: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="Per speaker, mean and standard deviation of log-F0 (Hz) in the training data; "
        "a voice with the harmonic source needs them for every speaker.",
    )

    @property
    def sample_rate(self) -> int:
        """Output sample rate in Hz (the model config's)."""
        return self.config.sample_rate

    @field_validator("symbols", "speakers")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise ValueError(f"duplicate entries {duplicates}")
        return values

    @field_validator("display_name")
    @classmethod
    def _display_name(cls, value: str) -> str:
        # Shown in terminals, logs and Discord: no escape sequences, line breaks or bidi overrides.
        if not value.isprintable() or value != value.strip():
            raise ValueError(
                f"display name {value[:40]!r} must be printable on one line (no control or bidi characters)"
            )
        return value

    @field_validator("speakers")
    @classmethod
    def _speaker_names(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for name in values:
            if not name or len(name) > 64 or not name.isprintable() or name != name.strip():
                raise ValueError(f"speaker name {name!r} must be 1 to 64 printable characters")
        return values

    @model_validator(mode="after")
    def _default_is_a_speaker(self) -> VoiceMeta:
        if self.default_speaker not in self.speakers:
            raise ValueError(f"default_speaker {self.default_speaker!r} is not one of {list(self.speakers)}")
        return self

    @model_validator(mode="after")
    def _pitch_statistics(self) -> VoiceMeta:
        unknown = sorted(set(self.pitch) - set(self.speakers))
        if unknown:
            raise ValueError(f"pitch statistics for unknown speakers {unknown[:3]}")
        for speaker, (mean, std) in self.pitch.items():
            if not (math.log(20.0) <= mean <= math.log(2000.0) and 0.0 < std <= 2.0):
                raise ValueError(f"pitch statistics of {speaker!r} are out of range: ({mean}, {std})")
        missing = [s for s in self.speakers if s not in self.pitch]
        if self.config.source == "harmonic" and missing:
            raise ValueError(f"the harmonic source needs pitch statistics, missing for {missing[:3]}")
        return self


def meta_to_metadata(meta: VoiceMeta) -> dict[str, str]:
    """The safetensors ``__metadata__`` map of ``meta``, with the format markers."""
    return {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "architecture": ARCHITECTURE,
        "model_config": meta.config.model_dump_json(),
        "symbols": json.dumps(list(meta.symbols), ensure_ascii=False),
        "symbol_table_version": str(meta.symbol_table_version),
        "sample_rate": str(meta.sample_rate),
        "speakers": json.dumps(list(meta.speakers), ensure_ascii=False),
        "default_speaker": meta.default_speaker,
        "display_name": meta.display_name,
        "license": meta.license,
        "provenance": meta.provenance,
        **(
            {"pitch": json.dumps({k: list(v) for k, v in meta.pitch.items()}, ensure_ascii=False)}
            if meta.pitch
            else {}
        ),
    }


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "value"
        parts.append(f"{field}: {item['msg']}")
    return "; ".join(parts)


def _version(metadata: dict[str, str], source: str) -> int:
    text = metadata.get("format_version", "")
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise VoiceFileCorrupt(f"{source}: format_version {text[:20]!r} is not a number")
    return int(text)


def _json(metadata: dict[str, str], key: str, source: str) -> object:
    try:
        return strict_json_loads(metadata[key])
    except StrictJSONError as exc:
        raise VoiceFileCorrupt(f"{source}: metadata {key!r} is refused: {exc}") from None


def meta_from_metadata(metadata: dict[str, str], source: str) -> VoiceMeta:
    """Check the format markers in ``metadata`` and decode the :class:`VoiceMeta`.

    Raises:
        NotAVoiceFile: a safetensors file that is not a voicebot voice.
        VoiceFileIncompatible: another architecture, a newer format or an invalid model config.
        VoiceFileCorrupt: missing, unknown or malformed keys.
    """
    if metadata.get("format") != FORMAT_NAME:
        raise NotAVoiceFile(
            f"{source}: a safetensors file but not a voicebot voice (format marker "
            f"{metadata.get('format')!r}, expected {FORMAT_NAME!r}): export voices with `voicebot export`"
        )
    version = _version(metadata, source)
    if version > FORMAT_VERSION:
        raise VoiceFileIncompatible(
            f"{source}: written by a newer voicebot (voice format {version}, this one reads up to "
            f"{FORMAT_VERSION}): upgrade voicebot"
        )
    if version < 1:
        raise VoiceFileCorrupt(f"{source}: format_version {version} does not exist")
    if metadata.get("architecture") != ARCHITECTURE:
        raise VoiceFileIncompatible(
            f"{source}: architecture {metadata.get('architecture')!r} is not supported "
            f"(this voicebot runs {ARCHITECTURE!r} voices)"
        )
    missing = [key for key in _KEYS if key not in metadata]
    unknown = sorted(set(metadata) - set(_KEYS) - set(_OPTIONAL_KEYS))
    if missing or unknown:
        parts = [f"missing keys {missing}"] if missing else []
        parts += [f"unknown keys {unknown[:10]}"] if unknown else []
        raise VoiceFileCorrupt(f"{source}: metadata has {' and '.join(parts)}")
    try:
        config = ModelConfig.model_validate(_json(metadata, "model_config", source))
    except ValidationError as exc:
        raise VoiceFileIncompatible(f"{source}: invalid model config ({_describe(exc)})") from None
    if metadata["sample_rate"] != str(config.sample_rate):
        raise VoiceFileCorrupt(
            f"{source}: sample_rate {metadata['sample_rate']!r} disagrees with the model config "
            f"({config.sample_rate})"
        )
    fields = {key: metadata[key] for key in ("display_name", "default_speaker", "license", "provenance")}
    try:
        return VoiceMeta.model_validate(
            {
                **fields,
                "config": config,
                "symbols": _json(metadata, "symbols", source),
                "symbol_table_version": metadata["symbol_table_version"],
                "speakers": _json(metadata, "speakers", source),
                **({"pitch": _json(metadata, "pitch", source)} if "pitch" in metadata else {}),
            }
        )
    except ValidationError as exc:
        raise VoiceFileCorrupt(f"{source}: invalid metadata ({_describe(exc)})") from None
