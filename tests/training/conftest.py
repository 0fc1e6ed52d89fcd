"""Tiny corpora and a tiny config, so a whole training run takes seconds on a CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from voicebot.training import RunConfig, TrainOptions, load_config, prepare_dataset, train

SENTENCES = (
    "こんにちは、今日はいい天気ですね。",
    "明日は雨が降るそうです。",
    "駅まで歩いて十分かかります。",
    "猫が窓の外を見ています。",
    "新しい本を買いました。",
    "音楽を聞きながら料理をする。",
    "電車が少し遅れています。",
    "週末は山に登る予定です。",
)

TINY_TOML = """
[model]
preset = "small"
sample_rate = 16000
hop_length = 128
n_fft = 512
win_length = 512
n_mels = 32
hidden_channels = 32
text_conv_layers = 1
text_attention_layers = 1
aligner_layers = 1
duration_layers = 1
latent_channels = 16
prior_layers = 1
prior2_layers = 1
posterior_layers = 1
decoder_channels = 32
decoder_intermediate = 64
decoder_layers = 1
speaker_channels = 8

[train]
seed = 7
max_steps = 30
batch_size = 4
num_workers = 0
segment_frames = 16
learning_rate = 2e-3
mpd_periods = [2, 3]
mrd_resolutions = [[256, 64, 256]]
discriminator_width = 0.125
log_interval = 5
eval_interval = 10
eval_samples = 2
checkpoint_interval = 10
keep_last = 2
"""


def speechlike(seconds: float, rate: int, seed: int) -> np.ndarray:
    """A voiced, pitch-varying tone with syllable-like bursts, padded with near-silence."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    pitch = 140 + 40 * np.sin(2 * np.pi * 1.5 * t + seed)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 6))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    body = 0.3 * voiced * envelope + 0.01 * rng.standard_normal(len(t))
    silence = 0.0005 * rng.standard_normal(int(0.3 * rate))
    return np.concatenate([silence, body, silence]).astype(np.float32)


def make_ljspeech(folder: Path, count: int, rate: int = 22050, fmt: str = "wav") -> Path:
    """An LJSpeech-style speaker folder with ``count`` utterances."""
    (folder / "wavs").mkdir(parents=True)
    lines = []
    for i in range(count):
        utt = f"utt{i:03d}"
        sf.write(folder / "wavs" / f"{utt}.{fmt}", speechlike(0.5 + 0.1 * (i % 6), rate, i), rate)
        lines.append(f"{utt}|{SENTENCES[i % len(SENTENCES)]}")
    (folder / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> None:
    """The CI machine has two shared cores: more threads only add contention for tiny models."""
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "tiny.toml"
    path.write_text(TINY_TOML, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_config(tiny_config_path: Path) -> RunConfig:
    return load_config(tiny_config_path)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory, tiny_config: RunConfig) -> Path:
    """A prepared two-speaker dataset (10 + 6 utterances, 2 validation each)."""
    root = tmp_path_factory.mktemp("corpus")
    sources = [
        ("alpha", make_ljspeech(root / "alpha", 10)),
        ("kumo", make_ljspeech(root / "kumo", 6, rate=24000, fmt="flac")),
    ]
    out = root / "prepared"
    prepare_dataset(
        sources,
        out,
        tiny_config.model.sample_rate,
        val_per_speaker=2,
        progress=False,
        hop_length=tiny_config.model.hop_length,
    )
    return out


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, tiny_data: Path, tiny_config_path: Path) -> Path:
    """A finished 30-step run of the tiny config on the tiny dataset."""
    run = tmp_path_factory.mktemp("runs") / "tiny"
    train(TrainOptions(data=tiny_data, run=run, config=tiny_config_path, device="cpu", progress=False))
    return run
