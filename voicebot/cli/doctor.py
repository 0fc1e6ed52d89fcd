"""``voicebot doctor``: what a self-hoster needs to know before running the bot.

Each check returns a :class:`Check`; a failed one carries a hint saying what to do. The
Discord token is only ever reported as set or not set.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voicebot.config import ENV_PREFIX, Settings, load_settings
from voicebot.errors import ConfigError

__all__ = ["Check", "register", "run_checks"]


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report.

    ``warning`` marks a line that is not ok but does not stop anything from working (it is
    shown as ``warn`` and does not make the doctor exit non-zero).
    """

    name: str
    ok: bool
    detail: str
    hint: str = ""
    warning: bool = False

    @property
    def label(self) -> str:
        """``ok``, ``warn`` or ``FAIL``."""
        return "ok" if self.ok else "warn" if self.warning else "FAIL"


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_versions(settings: Settings) -> list[Check]:
    """Python and the packages voicebot depends on."""
    checks = [Check("python", True, platform.python_version())]
    for dist, why in (
        ("torch", "runs the voice model"),
        ("discord.py", "talks to Discord"),
        ("PyNaCl", "encrypts voice packets"),
        ("davey", "Discord's DAVE end-to-end voice encryption"),
        ("av", "encodes Opus"),
        ("pyopenjtalk-plus", "reads Japanese text"),
        ("safetensors", "reads voice files"),
        ("aiosqlite", "stores settings"),
    ):
        version = _version(dist)
        hint = "" if version else f"install it ({why}): pip install -e ."
        checks.append(Check(dist, version is not None, version or "missing", hint))
    return checks


def check_torch(settings: Settings) -> list[Check]:
    """Which device the model will run on, and with how many threads."""
    import torch

    cuda = torch.cuda.is_available()
    threads = settings.threads_per_worker()
    detail = f"device={settings.device} cuda={'yes: ' + torch.cuda.get_device_name(0) if cuda else 'no'}"
    checks = [Check("torch device", True, detail), Check("torch threads", True, f"{threads} per worker")]
    if settings.device == "cuda" and not cuda:
        checks[0] = Check(
            "torch device",
            False,
            detail,
            f"{ENV_PREFIX}DEVICE=cuda but no GPU is visible: set it to auto or cpu",
        )
    cores = os.cpu_count() or 1
    if settings.workers * threads > cores * 2:
        checks.append(
            Check(
                "cpu budget",
                False,
                f"{settings.workers} workers x {threads} threads on {cores} cores",
                f"oversubscribed: lower {ENV_PREFIX}WORKERS or {ENV_PREFIX}TORCH_THREADS",
            )
        )
    return checks


def check_opus(settings: Settings) -> list[Check]:
    """PyAV bundles libopus; the bot hands Discord pre-encoded Opus."""
    try:
        import av

        av.codec.Codec("libopus", "w")
    except Exception as exc:  # any failure here means no encoder, whatever its type
        return [Check("opus encoder", False, str(exc), "reinstall PyAV: pip install --force-reinstall av")]
    return [Check("opus encoder", True, "libopus (bundled with PyAV)")]


def check_dictionary(settings: Settings) -> list[Check]:
    """pyopenjtalk-plus ships its dictionary; plain pyopenjtalk would download it."""
    try:
        import pyopenjtalk

        dict_dir = Path(
            pyopenjtalk.OPEN_JTALK_DICT_DIR.decode()
            if isinstance(pyopenjtalk.OPEN_JTALK_DICT_DIR, bytes)
            else pyopenjtalk.OPEN_JTALK_DICT_DIR
        )
    except Exception as exc:  # import errors and missing attributes alike
        return [Check("open jtalk dictionary", False, str(exc), "pip install pyopenjtalk-plus")]
    if not (dict_dir / "sys.dic").exists():
        return [
            Check(
                "open jtalk dictionary",
                False,
                f"not found at {dict_dir}",
                "uninstall plain pyopenjtalk and install pyopenjtalk-plus, which bundles it",
            )
        ]
    return [Check("open jtalk dictionary", True, str(dict_dir))]


def check_models(settings: Settings) -> list[Check]:
    """Voice files in the models directory."""
    from voicebot.voices.discovery import nested_voices  # the voices package imports torch

    models = settings.models_dir
    if not models.is_dir():
        return [
            Check("models", False, f"{models} does not exist", f"create it or set {ENV_PREFIX}MODELS_DIR")
        ]
    files = sorted(p.name for p in models.glob("*.safetensors"))
    aside = ", ".join(f"--voice {name}" for name in nested_voices(models))
    aside_note = f"; kept aside, for `voicebot say` only: {aside}" if aside else ""
    if not files:
        return [
            Check(
                "models",
                False,
                f"no *.safetensors in {models}{aside_note}",
                "only the Open JTalk voice will speak (add a voice file or upload one with /model upload)",
                warning=True,
            )
        ]
    return [Check("models", True, ", ".join(files) + aside_note)]


def check_data_dir(settings: Settings) -> list[Check]:
    """The data directory holds the settings database; it must be writable."""
    data = settings.data_dir
    try:
        data.mkdir(parents=True, exist_ok=True)
        probe = data / ".doctor-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return [
            Check(
                "data dir", False, f"{data}: {exc.strerror}", f"make it writable or set {ENV_PREFIX}DATA_DIR"
            )
        ]
    return [Check("data dir", True, f"{data} (writable)")]


def check_database(settings: Settings) -> list[Check]:
    """The settings database opens (created or migrated if needed): the SQLite file in the data
    directory, or Postgres at ``database_url`` (shown without its password)."""
    import asyncio

    from voicebot.storage import Database, StorageError

    async def probe() -> None:
        async with Database.from_settings(settings):
            pass

    if settings.database_url is None:
        where = "SQLite in the data dir"
    else:
        from voicebot.storage.postgres import describe_url

        where = f"Postgres at {describe_url(settings.database_url.get_secret_value())}"
    try:
        asyncio.run(probe())
    except StorageError as exc:
        return [
            Check(
                "settings database", False, str(exc), f"fix it, or unset {ENV_PREFIX}DATABASE_URL for SQLite"
            )
        ]
    return [Check("settings database", True, where)]


def check_engine(settings: Settings) -> list[Check]:
    """Where synthesis runs: local workers, or a Ray cluster that must be installed and answer."""
    if settings.engine == "local":
        return [Check("speech engine", True, f"local: {settings.workers} worker process(es)")]
    from voicebot.engine import EngineUnavailable
    from voicebot.engine.cluster.deploy import probe, require_ray

    try:
        require_ray()
        probe(settings.ray_address)
    except EngineUnavailable as exc:  # its message says what to do
        return [Check("speech engine", False, str(exc))]
    replicas = f"{settings.ray_min_replicas}-{settings.ray_max_replicas} replica(s)"
    return [Check("speech engine", True, f"ray: cluster {settings.ray_address}, {replicas}")]


def check_token(settings: Settings, bot: bool = False) -> list[Check]:
    """Whether a Discord token is configured; its value is never shown. Missing is a failure only
    when the bot is to be checked (``bot``): ``voicebot say`` and training need none."""
    if settings.token:
        return [Check("discord token", True, "set")]
    return [
        Check(
            "discord token",
            False,
            "not set",
            f"put {ENV_PREFIX}DISCORD_TOKEN=... in .env (needed by `voicebot run` only)",
            warning=not bot,
        )
    ]


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def check_torch_build(settings: Settings) -> list[Check]:
    """Which torch build is installed (CPU or CUDA) and how much disk it and its CUDA libraries take."""
    import torch

    root = Path(torch.__file__).parent
    size = _folder_bytes(root)
    nvidia = root.parent / "nvidia"
    if nvidia.is_dir():
        size += _folder_bytes(nvidia)
    build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU only"
    detail = f"torch {torch.__version__}, {build}, {size / 1e9:.1f} GB on disk"
    hint = ""
    if torch.version.cuda and not torch.cuda.is_available():
        hint = (
            "a CUDA build on a machine without a GPU: the CPU build is far smaller "
            "(pip install torch --index-url https://download.pytorch.org/whl/cpu)"
        )
    return [Check("torch build", not hint, detail, hint, warning=bool(hint))]


def check_discord(settings: Settings) -> list[Check]:
    """Offline checks of the bot: token shape, plugins loadable, intents to switch on."""
    import asyncio

    from voicebot.bot.preflight import preflight

    report = asyncio.run(preflight(settings))
    checks = []
    if settings.token:
        ok = report.token_problem is None
        checks.append(
            Check(
                "token shape", ok, "looks like a bot token" if ok else "malformed", report.token_problem or ""
            )
        )
    checks.append(Check("plugins", True, ", ".join(report.plugins) or "none enabled"))
    for name, why in report.failures.items():
        checks.append(Check(f"plugin {name}", False, "does not load", why))
    detail = ", ".join(report.intents)
    if report.privileged:
        detail += f" (switch on in the developer portal, Bot page: {', '.join(report.privileged)})"
    checks.append(Check("intents", True, detail))
    return checks


CHECKS: list[Callable[[Settings], list[Check]]] = [
    check_versions,
    check_torch,
    check_torch_build,
    check_opus,
    check_dictionary,
    check_models,
    check_data_dir,
    check_database,
    check_engine,
    check_token,
    check_discord,
]


def run_checks(settings: Settings, bot: bool = False) -> list[Check]:
    """Run every check; a check that crashes is reported as a failed line, never raised.

    ``bot``: the setup is meant to run the Discord bot, so a missing token is a failure.
    """
    results: list[Check] = []
    for check in CHECKS:
        try:
            results.extend(check_token(settings, bot) if check is check_token else check(settings))
        except Exception as exc:  # the doctor must report, not crash
            results.append(Check(check.__name__.removeprefix("check_"), False, f"check failed: {exc!r}"))
    return results


def _main(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"[FAIL] settings: {exc}")
        return 1
    results = run_checks(settings, bot=args.bot)
    width = max(len(c.name) for c in results)
    for c in results:
        print(f"[{c.label:^4}] {c.name:<{width}}  {c.detail}")
        if c.hint:
            print(f"       {'':<{width}}  -> {c.hint}")
    counts = {label: sum(c.label == label for c in results) for label in ("ok", "warn", "FAIL")}
    warnings = f"{counts['warn']} warning{'' if counts['warn'] == 1 else 's'}"
    print(f"\n{counts['ok']} ok, {warnings}, {counts['FAIL']} to fix")
    return 1 if counts["FAIL"] else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="check the installation, settings, models and token",
        description="Report versions, torch device and threads, Opus, the Open JTalk dictionary, "
        "voice files, the data directory and whether a Discord token is set (never its value).",
    )
    parser.add_argument(
        "--bot", action="store_true", help="also require what `voicebot run` needs (a Discord token)"
    )
    parser.set_defaults(func=_main)
