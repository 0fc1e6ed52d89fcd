"""Training configs: shipped files load, mistakes are named with the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.errors import ConfigError
from voicebot.model import ModelConfig
from voicebot.training import DEFAULT_CONFIG, load_config
from voicebot.training.config import CONFIGS_DIR


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_configs_load_with_their_presets() -> None:
    small = load_config(DEFAULT_CONFIG)
    large = load_config(CONFIGS_DIR / "large.toml")
    assert small.model == ModelConfig.small()
    assert large.model == ModelConfig.large()
    assert small == load_config(None)


@pytest.mark.parametrize("path", sorted(CONFIGS_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_config_is_valid(path: Path) -> None:
    config = load_config(path)
    assert config.train.adversarial_start < config.train.max_steps


def test_unknown_train_key_is_named_with_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[train]\nbatchsize = 8\n")
    with pytest.raises(ConfigError, match=r"c\.toml: unknown key 'train\.batchsize'"):
        load_config(path)


def test_unknown_model_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, '[model]\npreset = "small"\nhiden_channels = 8\n')
    with pytest.raises(ConfigError, match=r"unknown key 'model\.hiden_channels'"):
        load_config(path)


def test_unknown_section_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'trian'"):
        load_config(_write(tmp_path, "[trian]\nseed = 1\n"))


def test_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'train\.batch_size'.*'big'"):
        load_config(_write(tmp_path, '[train]\nbatch_size = "big"\n'))


def test_preset_plus_overrides(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, '[model]\npreset = "large"\ndecoder_layers = 3\n'))
    assert config.model.decoder_layers == 3
    assert config.model.hidden_channels == ModelConfig.large().hidden_channels


def test_unknown_preset_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"model\.preset"):
        load_config(_write(tmp_path, '[model]\npreset = "huge"\n'))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "[train\n"))
