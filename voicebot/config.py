"""Settings, read from ``VOICEBOT_*`` environment variables and a ``.env`` file.

Every field is documented in ``.env.example``; keep the two in step. A wrong value never
produces a pydantic traceback at the edges: :func:`load_settings` turns it into one
:class:`~voicebot.errors.ConfigError` line per problem, naming the variable.
"""

from __future__ import annotations

import difflib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from voicebot.errors import ConfigError

Precision = Literal["auto", "float32", "bfloat16"]
"""The ``VOICEBOT_PRECISION`` setting (see :func:`voicebot.engine.runtime.resolve_precision`)."""

__all__ = ["ENV_PREFIX", "Settings", "get_settings", "load_settings", "unknown_variables"]

ENV_PREFIX = "VOICEBOT_"


def _default_workers() -> int:
    """One single-threaded worker per core, at most four.

    Measured on 2 cores: 2 workers x 1 thread serve 16 concurrent requests ~20% faster than
    1 worker x 2 threads, and degrade far less when other processes load the machine
    (torch's threads spin while they wait for a busy core).
    """
    return max(1, min(4, os.cpu_count() or 1))


class Settings(BaseSettings):
    """All of voicebot's settings. Field ``foo`` is read from ``VOICEBOT_FOO``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
        validate_default=True,
    )

    # --- general -------------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    models_dir: Path = Path("models")
    data_dir: Path = Path("data")
    database_url: SecretStr | None = None

    # --- Discord -------------------------------------------------------------------------
    discord_token: SecretStr | None = None
    admin_role: str | None = None
    dev_guild_id: int | None = None
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    plugins_dir: Path = Path("plugins")
    plugins_disabled: Annotated[list[str], NoDecode] = Field(default_factory=list)
    idle_timeout: float = Field(default=300.0, ge=5.0)
    max_upload_mb: int = Field(default=100, ge=1, le=2000)
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    discord_ca_file: Path | None = None

    # --- engine --------------------------------------------------------------------------
    device: Literal["auto", "cpu", "cuda"] = "auto"
    workers: int = Field(default_factory=_default_workers, ge=1, le=64)
    torch_threads: int = Field(default=0, ge=0, le=256)
    compile: bool = True
    precision: Precision = "auto"
    default_voice: str = "default"
    engine_queue: int = Field(default=64, ge=1, le=10_000)
    engine_utilization: float = Field(default=0.35, ge=0.0, le=1.0)
    synthesis_timeout: float = Field(default=30.0, gt=0)
    phrase_cache_mb: int = Field(default=32, ge=0, le=4096)
    engine: Literal["local", "ray"] = "local"
    ray_address: str = "auto"
    ray_replica_cpus: float = Field(default=1.0, gt=0, le=256)
    ray_replica_gpus: float = Field(default=0.0, ge=0, le=16)
    ray_min_replicas: int = Field(default=1, ge=1, le=10_000)
    ray_max_replicas: int = Field(default=4, ge=1, le=10_000)
    ray_target_ongoing: float = Field(default=4.0, gt=0, le=1000)

    # --- limits --------------------------------------------------------------------------
    max_chars: int = Field(default=200, ge=1, le=5000)
    max_queue: int = Field(default=20, ge=1, le=1000)
    rate_limit_count: int = Field(default=5, ge=1)
    rate_limit_seconds: float = Field(default=10.0, gt=0)
    dictionary_max_entries: int = Field(default=500, ge=1, le=100_000)

    @field_validator("plugins_disabled", mode="before")
    @classmethod
    def _name_list(cls, value: object) -> object:
        """A JSON list (``["reader"]``) or, as people type it, ``reader,hello``."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                raise ValueError('a JSON list such as ["reader"], or names separated by commas') from None
        return [name.strip() for name in text.split(",") if name.strip()]

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        """Shard numbers as people type them: ``0,1`` (or a JSON list)."""
        if not isinstance(value, str):
            return value
        text = value.strip().strip("[]")
        try:
            return [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise ValueError("shard numbers separated by commas, such as 0,1") from None

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Only Postgres: SQLite is what an unset URL means."""
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "a postgresql://user:password@host:port/dbname URL (leave it unset for the SQLite file "
                "in VOICEBOT_DATA_DIR)"
            )
        return value

    @model_validator(mode="after")
    def _shards(self) -> Self:
        """Shard ids need the shard count, and each must be below it."""
        if self.shard_ids and self.shard_count is None:
            raise ValueError("VOICEBOT_SHARD_IDS needs VOICEBOT_SHARD_COUNT (the total over all processes)")
        if self.shard_count is not None and any(not 0 <= i < self.shard_count for i in self.shard_ids):
            raise ValueError(
                f"VOICEBOT_SHARD_IDS must be between 0 and {self.shard_count - 1} (VOICEBOT_SHARD_COUNT - 1)"
            )
        if len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError("VOICEBOT_SHARD_IDS lists a shard twice")
        return self

    @model_validator(mode="after")
    def _replicas(self) -> Self:
        """The cluster's replica range must not be empty."""
        if self.ray_min_replicas > self.ray_max_replicas:
            raise ValueError("VOICEBOT_RAY_MIN_REPLICAS must not exceed VOICEBOT_RAY_MAX_REPLICAS")
        return self

    @field_validator("default_voice")
    @classmethod
    def _voice_name(cls, value: str) -> str:
        """A voice name as the models folder has them (``default``, ``openjtalk``), not a path."""
        if (
            not value
            or any(c in value for c in "/\\")
            or value.startswith(".")
            or value.endswith(".safetensors")
        ):
            raise ValueError(
                "a voice name from the models folder, such as default or openjtalk (not a path: copy a "
                "voice file into VOICEBOT_MODELS_DIR and name its stem)"
            )
        return value

    def threads_per_worker(self, workers: int | None = None) -> int:
        """torch threads per worker: the setting, or the cores divided among ``workers``
        (default: the ``workers`` setting)."""
        return self.torch_threads or max(1, (os.cpu_count() or 1) // (workers or self.workers))

    @property
    def token(self) -> str | None:
        """The Discord token in clear text, for the one place that needs it (login)."""
        return self.discord_token.get_secret_value() if self.discord_token else None

    def secrets(self) -> list[str]:
        """Values the logs must never show: the token and the database password."""
        password = urlsplit(self.database_url.get_secret_value()).password if self.database_url else None
        return [value for value in (self.token, password) if value]


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        if not item["loc"]:  # a rule across settings: its message names them
            lines.append(item["msg"].removeprefix("Value error, "))
            continue
        field = ".".join(str(part) for part in item["loc"])
        value = item.get("input")
        secret = "token" in field or field == "database_url"  # a URL may carry a password
        shown = "" if isinstance(value, dict) or secret else f" (got {value!r})"
        lines.append(f"{ENV_PREFIX}{field.upper()}: {item['msg']}{shown}")
    return "; ".join(lines)


def _plugin_names(settings: Settings) -> set[str]:
    """Names whose ``VOICEBOT_<NAME>_*`` variables belong to a plugin (they have their own settings)."""
    from importlib.metadata import entry_points

    names = {e.name for e in entry_points(group="voicebot.plugins")}
    if settings.plugins_dir.is_dir():
        names |= {p.stem for p in settings.plugins_dir.iterdir() if not p.name.startswith(("_", "."))}
    return {name.upper() for name in names}


def _dotenv_keys() -> list[str]:
    try:
        lines = Path(".env").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    keys = [line.split("=", 1)[0].strip().removeprefix("export ").strip() for line in lines if "=" in line]
    return [key for key in keys if not key.startswith("#")]


def unknown_variables(settings: Settings) -> list[str]:
    """One warning line per ``VOICEBOT_*`` variable (environment or ``.env``) that names no setting
    and no plugin's, with the closest setting's name."""
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    plugins = _plugin_names(settings)
    lines = []
    for key in sorted({*os.environ, *_dotenv_keys()}):
        upper = key.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        if upper.removeprefix(ENV_PREFIX).split("_", 1)[0] in plugins:
            continue
        word = upper.removeprefix(ENV_PREFIX)
        close = sorted(k for k in known if k.endswith(f"_{word}")) or difflib.get_close_matches(
            upper, known, n=1, cutoff=0.75
        )
        hint = f"; did you mean {close[0]}?" if close else ""
        lines.append(f"{key} is not a voicebot setting and is ignored{hint}")
    return lines


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``.env``; raise :class:`ConfigError` if wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(f"invalid setting: {_describe(exc)}") from None
    except SettingsError as exc:  # a value pydantic-settings could not even decode
        raise ConfigError(f"invalid setting: {str(exc).splitlines()[0]}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
