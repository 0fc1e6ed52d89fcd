"""Every text the bot shows a user, in Japanese and English, in one place.

Japanese is the default; a user whose Discord client is set to English gets English.
"""

from __future__ import annotations

from typing import Final

import discord

__all__ = ["MESSAGES", "Lang", "lang_of", "text"]

Lang = str

MESSAGES: Final[dict[str, dict[Lang, str]]] = {
    # --- refusals -----------------------------------------------------------------------
    "not_in_guild": {
        "ja": "このコマンドはサーバー内でのみ使えます。",
        "en": "This command only works inside a server.",
    },
    "join_voice_first": {
        "ja": "先にボイスチャンネルに参加してから、もう一度お試しください。",
        "en": "Join a voice channel first, then try again.",
    },
    "rate_limited": {
        "ja": "読み上げの依頼が多すぎます。{seconds}秒ほど待ってからお試しください。",
        "en": "Too many requests. Wait about {seconds} seconds and try again.",
    },
    "too_long": {
        "ja": "文章が長すぎます({count}文字)。{limit}文字以内にしてください。",
        "en": "The text is too long ({count} characters). Keep it within {limit} characters.",
    },
    "empty_text": {
        "ja": "読み上げる文字がありません。文章を入れてください。",
        "en": "There is nothing to read. Type some text.",
    },
    "unreadable_text": {
        "ja": "読み上げられる文字がありません。日本語・英語・数字・絵文字を読み上げます"
        "(ハングルやアラビア文字、記号だけの文は読めません)。",
        "en": "Nothing here can be read aloud. I read Japanese, English, numbers and emoji "
        "(not Korean or Arabic script, or symbols alone).",
    },
    "queue_full": {
        "ja": "読み上げ待ちが{limit}件たまっています。少し待つか /stop で空にしてください。",
        "en": "{limit} messages are already waiting. Wait a little or clear them with /stop.",
    },
    "not_connected": {
        "ja": "ボイスチャンネルに接続していません。/join で呼んでください。",
        "en": "I am not in a voice channel. Call me with /join.",
    },
    "admin_only": {
        "ja": "このコマンドは「サーバー管理」権限か管理ロールを持つ人だけが使えます。",
        "en": "Only members with Manage Server or the admin role can use this command.",
    },
    "owner_only": {
        "ja": "このコマンドはボットの持ち主だけが使えます。",
        "en": "Only the bot's owner can use this command.",
    },
    "unknown_voice": {
        "ja": "「{name}」という声はありません。候補から選んでください。",
        "en": "There is no voice named '{name}'. Pick one from the suggestions.",
    },
    "unknown_speaker": {
        "ja": "声「{voice}」に話者「{speaker}」はありません。候補から選んでください。",
        "en": "Voice '{voice}' has no speaker '{speaker}'. Pick one from the suggestions.",
    },
    "voice_unavailable": {
        "ja": "その声はいま使えません: {reason}。/voice set で別の声を選んでください。",
        "en": "That voice cannot be used right now: {reason}. Pick another one with /voice set.",
    },
    "engine_busy": {
        "ja": "いま混み合っています。少し待ってからお試しください。",
        "en": "I am busy right now. Try again in a moment.",
    },
    "synthesis_failed": {
        "ja": "読み上げに失敗しました。別の文章か別の声でお試しください。",
        "en": "Speech synthesis failed. Try other text or another voice.",
    },
    "voice_connect_failed": {
        "ja": "ボイスチャンネルに接続できませんでした。"
        "ボットに「接続」と「発言」の権限があるか確認してください。",
        "en": "I could not join the voice channel. Check that I have the Connect and Speak permissions.",
    },
    "dave_failed": {
        "ja": "このボイスチャンネルはエンドツーエンド暗号化(DAVE)が必須ですが、暗号化の確立に失敗しました。"
        "少し待ってから /join でもう一度呼んでください。続く場合、管理者はボットのログを確認し、"
        "discord.py と davey を更新してください。",
        "en": "This voice channel requires end-to-end encryption (DAVE), and setting it up failed. "
        "Call me again with /join in a moment. If it keeps failing, an admin should check the bot's log "
        "and update discord.py and davey.",
    },
    "dave_unavailable": {
        "ja": "このボイスチャンネルはエンドツーエンド暗号化(DAVE)が必須ですが、ボットの暗号化部品(davey)が"
        "読み込めていません。管理者は `voicebot doctor` で原因を確認し、再起動してください。",
        "en": "This voice channel requires end-to-end encryption (DAVE), but the bot could not load its "
        "encryption component (davey). An admin should run `voicebot doctor` to see why, then restart.",
    },
    "voice_lost": {
        "ja": "ボイスチャンネルから切断されました。/join でもう一度呼んでください。",
        "en": "I was disconnected from the voice channel. Call me again with /join.",
    },
    "internal_error": {
        "ja": "内部エラーが起きました。時間をおいてお試しください。続く場合は管理者に連絡してください。",
        "en": "Something went wrong inside the bot. Try again later; tell an admin if it keeps happening.",
    },
    "shutting_down": {
        "ja": "ボットは停止中です。再起動後にお試しください。",
        "en": "The bot is shutting down. Try again after it restarts.",
    },
    # --- confirmations ------------------------------------------------------------------
    "queued": {"ja": "読み上げます。", "en": "Reading it out."},
    "joined": {"ja": "{channel} に参加しました。", "en": "Joined {channel}."},
    "left": {"ja": "ボイスチャンネルから退出しました。", "en": "Left the voice channel."},
    "skipped": {"ja": "スキップしました。", "en": "Skipped."},
    "nothing_playing": {"ja": "読み上げ中のものはありません。", "en": "Nothing is being read."},
    "stopped": {
        "ja": "読み上げを止め、待ち行列({count}件)を空にしました。",
        "en": "Stopped and cleared the queue ({count} waiting).",
    },
    "forgot": {
        "ja": "あなたが保存したデータ(声の設定など)を削除しました。管理者の読み上げ除外設定は残ります。",
        "en": "Deleted everything you stored (voice settings and the like). An admin's reader ignore stays.",
    },
    "forgot_partly": {
        "ja": "データを削除しましたが、次のプラグインで失敗しました: {plugins}。管理者に連絡してください。",
        "en": "Deleted your data, but these plugins failed: {plugins}. Tell an admin.",
    },
    # --- auto-join ---------------------------------------------------------------------
    "autojoin_added": {
        "ja": "{voice} に人が来たら参加して {text} を読み上げます。",
        "en": "When someone enters {voice}, I join and read {text} aloud.",
    },
    "autojoin_removed": {
        "ja": "{voice} への自動参加をやめました。",
        "en": "No longer joining {voice} by myself.",
    },
    "autojoin_missing": {
        "ja": "{voice} は自動参加に登録されていません。",
        "en": "{voice} is not an auto-join channel.",
    },
    "autojoin_full": {
        "ja": "自動参加は{limit}チャンネルまでです。/autojoin remove で減らしてください。",
        "en": "At most {limit} auto-join channels: remove one with /autojoin remove.",
    },
    "autojoin_list": {
        "ja": "自動参加({limit}件まで):\n{pairs}",
        "en": "Auto-join channels (up to {limit}):\n{pairs}",
    },
    # --- settings ---------------------------------------------------------------------
    "settings_view": {
        "ja": "**このサーバーの読み上げ設定**\n"
        "スキップする接頭辞: {prefixes}\nボットの発言を読む: {read_bots}\n最大文字数: {max_chars}\n"
        "名前を読む: {read_names}(敬称「{suffix}」、{repeat})\n"
        "ボイスチャンネルにいる人だけ読む: {members_only}\n"
        "必要なロール: {role}\n入退室の読み上げ: {joins}\n返信先を読む: {replies}\n"
        "VCのチャットも読む: {in_voice}\nURL: {urls} ・ 絵文字: {emoji} ・ サーバー絵文字: {custom_emoji} ・ "
        "添付: {attachments}\n既定の声: {voice}\n"
        "読まない人: {ignored}人\n変更は管理者が /settings で。",
        "en": "**This server's reading settings**\n"
        "Skip prefixes: {prefixes}\nRead bots: {read_bots}\nMaximum characters: {max_chars}\n"
        'Read names: {read_names} (suffix "{suffix}", {repeat})\nOnly members in the voice channel: '
        "{members_only}\nRequired role: {role}\nAnnounce joins and leaves: {joins}\n"
        "Say whom a reply answers: {replies}\nRead the voice channel's chat: {in_voice}\n"
        "Links: {urls} · emoji: {emoji} · custom emoji: {custom_emoji} · attachments: {attachments}\n"
        "Default voice: {voice}\nMembers not read: {ignored}\n"
        "Admins change them with /settings.",
    },
    "settings_changed": {"ja": "設定を変更しました: {what}", "en": "Setting changed: {what}"},
    "settings_bad_value": {
        "ja": "その値は使えません: {reason}",
        "en": "That value cannot be used: {reason}",
    },
    # --- help and stats ---------------------------------------------------------------
    "help": {
        "ja": "**コマンド一覧**\n{commands}\n断られたメッセージには理由のリアクションが付きます"
        "(⏳ 送りすぎ、🈵 混雑、🔇 読めない文字)。",
        "en": "**Commands**\n{commands}\nA message I do not read gets a reaction saying why "
        "(⏳ too many, 🈵 busy, 🔇 nothing readable).",
    },
    "stats": {
        "ja": "応答速度 {latency} ・ 稼働 {uptime} ・ サーバー {guilds} ・ 読み上げ中 {sessions}\n"
        "待ち {queued}件 ・ 音声ワーカー {workers}(処理中 {in_flight}件) ・ 既定の声 {voice}",
        "en": "Latency {latency} · up {uptime} · servers {guilds} · speaking in {sessions}\n"
        "queued {queued} · speech workers {workers} ({in_flight} in progress) · default voice {voice}",
    },
    # --- reader -------------------------------------------------------------------------
    "reader_on": {
        "ja": "このチャンネル {channel} のメッセージを読み上げます。止めるには /reader off。",
        "en": "Reading messages of {channel} aloud. Stop with /reader off.",
    },
    "reader_off": {"ja": "読み上げを終了しました。", "en": "Stopped reading messages."},
    "reader_was_off": {
        "ja": "このサーバーでは読み上げは動いていません。/reader on で始めます。",
        "en": "The reader is not running in this server. Start it with /reader on.",
    },
    "reader_names_on": {
        "ja": "話す人が変わったとき、名前を読み上げます。",
        "en": "The author's name is read when the speaker changes.",
    },
    "reader_names_off": {
        "ja": "名前を読み上げないようにしました。戻すには /reader names on。",
        "en": "Names are no longer read. Turn them back on with /reader names on.",
    },
    "reader_ignored": {
        "ja": "{user} さんのメッセージを読み上げないようにしました。戻すには /reader unignore。",
        "en": "Messages from {user} will not be read. Undo with /reader unignore.",
    },
    "reader_unignored": {
        "ja": "{user} さんのメッセージをまた読み上げます。",
        "en": "Messages from {user} are read again.",
    },
    "reader_not_ignored": {
        "ja": "{user} さんは読み上げ対象外になっていません。",
        "en": "{user} is not on the list of members who are not read.",
    },
    "reader_ignore_full": {
        "ja": "読み上げ対象外のメンバーが上限({limit}人)です。/reader unignore で減らしてください。",
        "en": "Too many members are not read ({limit}). Remove some with /reader unignore.",
    },
    # --- voice preferences --------------------------------------------------------------
    "voice_set": {
        "ja": "あなたの声を {voice}(話者 {speaker}、速さ {speed}、高さ {pitch:+g}半音、"
        "抑揚 {intonation}、音量 {volume}%)にしました。",
        "en": "Your voice is now {voice} (speaker {speaker}, speed {speed}, pitch {pitch:+g} semitones, "
        "intonation {intonation}, volume {volume}%).",
    },
    "name_set": {
        "ja": "このサーバーでは名前を「{reading}」と読みます。",
        "en": 'Your name is read as "{reading}" in this server.',
    },
    "name_cleared": {
        "ja": "名前は表示名のとおりに読みます。",
        "en": "Your name is read as your display name again.",
    },
    "name_too_long": {
        "ja": "名前の読み方は{limit}文字までにしてください。",
        "en": "Keep the reading of your name within {limit} characters.",
    },
    "bad_pitch": {
        "ja": "声の高さは -12〜+12 半音、抑揚は 0(平坦)〜2 で指定してください(1 が標準)。",
        "en": "Pitch goes from -12 to +12 semitones and intonation from 0 (flat) to 2 (1 is as trained).",
    },
    "voice_lacks_pitch": {
        "ja": "声「{voice}」は高さを変えられません。0 のままにするか、別の声を選んでください。",
        "en": "Voice '{voice}' cannot change its pitch. Leave it at 0 or pick another voice.",
    },
    "voice_lacks_intonation": {
        "ja": "声「{voice}」は抑揚を変えられません。1 のままにするか、別の声を選んでください。",
        "en": "Voice '{voice}' cannot change its intonation. Leave it at 1 or pick another voice.",
    },
    # --- dictionary ---------------------------------------------------------------------
    "dict_added": {
        "ja": "「{pattern}」を「{reading}」と読みます。",
        "en": "'{pattern}' is now read as '{reading}'.",
    },
    "dict_removed": {
        "ja": "「{pattern}」を辞書から削除しました。",
        "en": "Removed '{pattern}' from the dictionary.",
    },
    "dict_missing": {
        "ja": "「{pattern}」は辞書にありません。/dict list で確認してください。",
        "en": "'{pattern}' is not in the dictionary. See /dict list.",
    },
    "dict_heading": {
        "ja": "辞書({count}語、{page}/{pages}ページ):",
        "en": "Dictionary ({count} words, page {page} of {pages}):",
    },
    "dict_exported": {
        "ja": "辞書({count}語)を書き出しました。/dict import で読み込めます。",
        "en": "Exported the dictionary ({count} words); /dict import reads it back.",
    },
    "dict_imported": {
        "ja": "{added}語を追加、{replaced}語を更新しました。{skipped}",
        "en": "Added {added} words and updated {replaced}. {skipped}",
    },
    "dict_import_skipped": {
        "ja": "読み込まなかった行({count}件):\n{lines}",
        "en": "Lines not imported ({count}):\n{lines}",
    },
    "dict_import_refused": {
        "ja": "読み込めません: {reason}。何も変更していません。",
        "en": "Cannot import: {reason}. Nothing was changed.",
    },
    "dict_empty": {
        "ja": "辞書は空です。/dict add で追加できます。",
        "en": "The dictionary is empty. Add words with /dict add.",
    },
    "dict_full": {
        "ja": "辞書がいっぱいです({limit}語)。使わない語を {command} で消してください。",
        "en": "The dictionary is full ({limit} words). Remove unused words with {command}.",
    },
    "dict_invalid": {
        "ja": "単語は1〜{pattern_limit}文字、読みは1〜{reading_limit}文字にしてください。",
        "en": "Keep the word within {pattern_limit} and the reading within {reading_limit} characters.",
    },
    # --- models -------------------------------------------------------------------------
    "model_installed": {
        "ja": "声「{name}」をインストールしました(話者: {speakers})。",
        "en": "Installed voice '{name}' (speakers: {speakers}).",
    },
    "model_rejected": {
        "ja": "この声ファイルは使えません: {reason}",
        "en": "This voice file was refused: {reason}",
    },
    "model_too_large": {
        "ja": "ファイルが大きすぎます({size} MB)。{limit} MB 以下にしてください。",
        "en": "The file is too large ({size} MB). Keep it within {limit} MB.",
    },
    "model_wrong_type": {
        "ja": "`.safetensors` の声ファイルを添付してください。",
        "en": "Attach a `.safetensors` voice file.",
    },
    "model_download_failed": {
        "ja": "ファイルをダウンロードできませんでした。もう一度添付してください。",
        "en": "Could not download the file. Attach it again.",
    },
    "model_list": {"ja": "インストール済みの声:\n{voices}", "en": "Installed voices:\n{voices}"},
    "model_default_set": {
        "ja": "このサーバーの既定の声を {name} にしました。",
        "en": "Default voice is now {name}.",
    },
    "model_removed": {"ja": "声「{name}」を削除しました。", "en": "Removed voice '{name}'."},
}


def lang_of(locale: discord.Locale | str | None) -> Lang:
    """The message language for a Discord locale: English for ``en-*``, Japanese otherwise."""
    value = locale.value if isinstance(locale, discord.Locale) else (locale or "")
    return "en" if value.startswith("en") else "ja"


def text(key: str, locale: discord.Locale | str | None = None, /, **fields: object) -> str:
    """The message ``key`` in the user's language with ``fields`` filled in.

    Raises:
        KeyError: ``key`` is not a known message (a programming error, caught by tests).
    """
    return MESSAGES[key][lang_of(locale)].format(**fields)
