"""split_sentences(): pieces for streaming, punctuation kept."""

from __future__ import annotations

from voicebot.text import split_sentences


def test_splits_after_sentence_marks_and_newlines_keeping_them() -> None:
    text = "こんにちは。今日はいい天気ですね！散歩に行きませんか？\n行きましょう"
    assert split_sentences(text) == [
        "こんにちは。",
        "今日はいい天気ですね！",
        "散歩に行きませんか？",
        "行きましょう",
    ]


def test_tiny_pieces_are_merged() -> None:
    assert split_sentences("はい。そうですね、分かりました。") == ["はい。そうですね、分かりました。"]
    assert split_sentences("分かりました、ありがとう。うん。") == ["分かりました、ありがとう。うん。"]


def test_closing_brackets_and_mark_runs_stay_with_their_sentence() -> None:
    assert split_sentences("「本当ですか？」と聞いた。えっ！？本当に？") == [
        "「本当ですか？」と聞いた。",
        "えっ！？本当に？",
    ]


def test_long_pieces_break_at_commas_and_the_first_piece_is_short() -> None:
    text = (
        "今日はとても良い天気なので、みんなで公園に行ってお弁当を食べようと思っているのですが、"
        "一緒にどうですか？"
    )
    pieces = split_sentences(text)
    assert pieces == [
        "今日はとても良い天気なので、",
        "みんなで公園に行ってお弁当を食べようと思っているのですが、一緒にどうですか？",
    ]
    pieces = split_sentences(text, max_chars=30, first_max_chars=30)
    assert all(len(p) <= 30 for p in pieces)
    assert "".join(pieces) == text


def test_without_break_points_long_text_is_hard_cut() -> None:
    pieces = split_sentences("あ" * 150, max_chars=60)
    assert [len(p) for p in pieces] == [60, 60, 30]


def test_nothing_to_say_gives_no_pieces() -> None:
    assert split_sentences("") == []
    assert split_sentences("  \n\n ！！？。") == []
