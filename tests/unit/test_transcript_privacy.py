"""What a reviewer sees of the conversation behind a report (issue 10, item 5)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from bot.channels.rest import access_refusal, address_key, bearer_matches, client_address, conversation_id
from bot.settings import get_settings
from console.transcript import MASKED_PHONE, report_lines

SAVED = dt.datetime(2026, 12, 1, 10, 0)


def at(minutes: float) -> float:
    return (SAVED + dt.timedelta(minutes=minutes)).replace(tzinfo=dt.timezone.utc).timestamp()


def user(minutes: float, message: str):
    return ("user", at(minutes), None, json.dumps({"event": "user", "text": message}))


def bot(minutes: float, message: str):
    return ("bot", at(minutes), None, json.dumps({"event": "bot", "text": message}))


def action(minutes: float, name: str):
    return ("action", at(minutes), name, json.dumps({"event": "action", "name": name}))


CONVERSATION = [
    user(-60, "halo, aku Sari dari Cianjur, nomorku 0812-3456-7890"),
    bot(-60, "Halo!"),
    user(-10, "mau lapor"),
    action(-10, "action_start_report"),
    bot(-10, "Apa yang terjadi?"),
    user(-9, "calo minta 30jt, nomornya 0813 1111 2222"),
    user(-1, "kirim"),
    action(0.01, "action_submit_report"),
    bot(0.01, "✅ Tersimpan. Kode laporan: K7QX-4M2P · PIN: 482913"),
    user(0.5, "oh iya nama asliku Sari Wulandari"),
    user(30, "cek status K7QX-4M2P 482913"),
]


def test_a_named_report_shows_the_conversation_up_to_the_report_without_code_or_pin() -> None:
    lines = report_lines(CONVERSATION, SAVED, anonymous=False)
    texts = [line.text for line in lines]
    assert texts[0].startswith("halo, aku Sari") and texts[-1].startswith("✅")  # nothing typed after the save
    joined = "\n".join(texts)
    assert "K7QX-4M2P" not in joined and "482913" not in joined


def test_an_anonymous_report_shows_only_the_report_with_phone_numbers_masked() -> None:
    lines = report_lines(CONVERSATION, SAVED, anonymous=True)
    texts = [line.text for line in lines]
    assert texts[0] == "mau lapor" and not any("Sari" in t or "Cianjur" in t for t in texts)
    assert MASKED_PHONE in texts[2] and "0813" not in texts[2]


def test_a_later_report_never_shows_an_earlier_one_of_the_same_chat() -> None:
    later = SAVED + dt.timedelta(hours=2)
    rows = CONVERSATION + [
        user(100, "mau lapor lagi"),
        action(100, "action_start_report"),
        user(110, "agen lain minta 10jt"),
        user(119, "kirim"),
        action(120.01, "action_submit_report"),
        bot(120.01, "✅ Tersimpan. Kode laporan: ABCD-2345"),
    ]
    texts = [line.text for line in report_lines(rows, later, anonymous=False)]
    assert texts[0] == "oh iya nama asliku Sari Wulandari"  # from the end of the earlier report on
    assert not any("30jt" in text or "0813" in text for text in texts)


def test_an_anonymous_report_whose_start_is_unknown_shows_nothing() -> None:
    rows = [row for row in CONVERSATION if row[2] != "action_start_report"]
    assert report_lines(rows, SAVED, anonymous=True) is None


def test_rest_senders_live_in_their_own_namespace() -> None:
    assert conversation_id("whatsapp:6281234567890") == "rest:whatsapp:6281234567890"
    assert conversation_id("telegram:1").startswith("rest:")


def test_the_client_address_trusts_only_the_configured_proxies() -> None:
    assert client_address("10.0.0.9", "1.2.3.4", 0) == "10.0.0.9"  # no proxy: a header proves nothing
    assert client_address("127.0.0.1", "6.6.6.6, 1.2.3.4", 1) == "1.2.3.4"  # the spoofed part is ignored
    assert client_address("127.0.0.1", "9.9.9.9, 1.2.3.4, 10.0.0.2", 2) == "1.2.3.4"
    assert address_key("1.2.3.4", "s" * 32) != address_key("1.2.3.5", "s" * 32)
    assert "1.2.3.4" not in address_key("1.2.3.4", "s" * 32)


def test_the_rest_token_is_checked_exactly() -> None:
    assert bearer_matches("Bearer abc", "abc") and bearer_matches("bearer abc", "abc")
    assert not bearer_matches("Bearer abd", "abc") and not bearer_matches(None, "abc")
    assert not bearer_matches("Bearer ", "") and not bearer_matches("abc", "abc")


def test_rest_off_or_behind_a_token() -> None:
    settings = get_settings()
    assert access_refusal(dataclasses.replace(settings, rest_channel="on"), None) is None
    off = dataclasses.replace(settings, rest_channel="off")
    assert access_refusal(off, "Bearer anything").status == 404
    guarded = dataclasses.replace(settings, rest_channel="token", rest_channel_token="t" * 32)
    assert access_refusal(guarded, None).status == 401
    assert access_refusal(guarded, "Bearer " + "t" * 31).status == 401
    assert access_refusal(guarded, "Bearer " + "t" * 32) is None
    # An unknown mode never means open.
    assert (
        access_refusal(dataclasses.replace(settings, rest_channel="maybe", rest_channel_token=""), None).status == 401
    )


def test_without_a_save_time_the_whole_conversation_is_shown() -> None:
    texts = [line.text for line in report_lines(CONVERSATION, None, anonymous=False)]
    assert texts[0].startswith("halo, aku Sari") and texts[-1].startswith("cek status")


def test_a_token_that_starts_with_a_dash_is_one_argument() -> None:
    import argparse

    from bot.rasa_server import rasa_arguments

    arguments = rasa_arguments(
        dataclasses.replace(get_settings(), rasa_api_token="-H6Mig" + "x" * 30),
        __import__("pathlib").Path("endpoints.yml"),
    )
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-token")
    known, _ = parser.parse_known_args(arguments[2:])
    assert known.auth_token == "-H6Mig" + "x" * 30
