"""``voicebot bench frontend``: time normalize + dictionary + G2P per chat message, on one thread.

The G2P cache is cleared before every round, so the figures are those of messages the bot
has not seen before (a cached message costs microseconds).
"""

from __future__ import annotations

import argparse
import statistics
import time

import pyopenjtalk

from voicebot.text import DictEntry, apply_dictionary, g2p, normalize, openjtalk_text
from voicebot.text.phonemize import clear_cache

__all__ = ["DICTIONARY", "MESSAGES", "run"]

MESSAGES: tuple[str, ...] = (
    "今日の配信めっちゃ面白かったです！また明日も絶対に見に来ますね、次の企画も楽しみにしてます😂",
    "<@123456789012345678> 明日の集合は駅前に12:30でお願いします。遅れないでねwww",
    "このゲーム何時間やっても全然飽きないんだけど、みんなはどのキャラ使ってる？おすすめ教えて",
    "https://example.com/news/2026/11/22 これ見た？すごくない？ｗｗｗ",
    "セールで¥1,200になってたから思わず買っちゃった、海外より送料込みで$5くらい安いよ",
    "天気予報だと明日は最高気温25℃らしいよ、でも降水確率は30%だって。傘を持っていくべきかな？",
    "アップデートのダウンロードに2.5GBも必要なの草、回線速度100Mbpsでも結構時間かかる",
    "```py\nprint('hello')\n``` このコード動かないんだけど誰か分かる？",
    "||犯人は執事||って書いたら完全にネタバレになるから、感想を書くときは気をつけてね、マジで",
    "おはようございます！今日も一日がんばりましょう👍🏽 寒くなってきたので体調には気をつけて",
    "次回は2026/11/22の14:00から定例会議です。資料は前日の夜までに共有してください",
    "すごーーーーーい！！！！本当にあのラスボスをノーダメでクリアしたの？おめでとう🎉🎉🎉",
    "昨日10km走ったら足が痛くて、今日は体が5kgくらい重く感じる。筋肉痛がつらいので休みます",
    "**重要** 来週のイベントは中止になりました。詳細は <#987654321098765432> で確認を",
    "さっきからボイスチャンネルに入れないんだけど、これってDiscordのアプデのせいかな？",
    "それな〜、わかるわかる。でも結局どっちが正しいのか、ここにいる誰も知らないんだよね、不思議",
    "今日の夕飯なに食べる？ラーメンか寿司か焼肉か、3〜5人で予約なしで行けるところがいいな",
    "やっとレベル上げ終わった！次のボスは弱点が炎属性だから、みんな装備を変えてから挑戦しよう",
    "あああああああ、また負けた。あと1ダメージで倒せたのに、悔しすぎて今夜は眠れないんだが",
    "<:pepe_laugh:1234567890> 草生える、その発想はさすがになかったわ。お前は天才かよ(笑)",
)
"""Chat messages of about 50 characters, covering what the normalizer rewrites."""

DICTIONARY: tuple[DictEntry, ...] = (
    DictEntry("アプデ", "アップデート"),
    DictEntry("Discord", "ディスコード"),
    DictEntry("ボス", "ぼす"),
    *(DictEntry(f"word{i}", f"ワード{i}") for i in range(200)),
)
"""A guild dictionary of realistic size (a few real entries plus filler)."""


def _time_message(message: str) -> tuple[float, float, float, float]:
    """CPU seconds (all threads) in normalize, dictionary and g2p, then wall seconds in all three."""
    wall, start = time.perf_counter(), time.process_time()
    text = normalize(message)
    after_normalize = time.process_time()
    text = apply_dictionary(text, DICTIONARY)
    after_dictionary = time.process_time()
    g2p(text)
    end = time.process_time()
    return (
        after_normalize - start,
        after_dictionary - after_normalize,
        end - after_dictionary,
        time.perf_counter() - wall,
    )


def _summary(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    mean = statistics.fmean(ms)
    p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) > 1 else ms[0]
    return f"  {label:<18} mean {mean:6.3f} ms  p95 {p95:6.3f} ms  {1000 / mean:7.0f} messages/s"


def run(args: argparse.Namespace) -> int:
    """Print mean and p95 milliseconds per message (CPU per stage, and wall) and messages per second."""
    rounds = max(1, args.rounds)
    for message in MESSAGES:  # warm-up: imports, the emoji tables, Open JTalk's dictionary
        _time_message(message)
    stages: list[tuple[float, float, float, float]] = []
    for _ in range(rounds):
        clear_cache()
        stages.extend(_time_message(message) for message in MESSAGES)
    chars = statistics.fmean(len(m) for m in MESSAGES)
    print(f"frontend: {len(MESSAGES)} messages (mean {chars:.0f} characters) x {rounds} rounds, 1 thread")
    print("CPU time of the process, all threads (what it costs, whatever else runs on the machine):")
    for i, name in enumerate(("normalize", "dictionary", "g2p")):
        print(_summary(name, [s[i] for s in stages]))
    print(_summary("total", [sum(s[:3]) for s in stages]))
    print("wall-clock time (includes waiting for a core on a busy machine):")
    print(_summary("total", [s[3] for s in stages]))
    if args.show:
        for message in MESSAGES:
            text = apply_dictionary(normalize(message), DICTIONARY)
            print(f"\n{message!r}\n  -> {text}\n  -> {pyopenjtalk.g2p(openjtalk_text(text), kana=True)}")
    return 0
