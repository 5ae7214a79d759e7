"""The one renderer: the same bot message on Telegram and WhatsApp, within each platform's limits."""

from __future__ import annotations

import pytest

from bot.channels.render import (
    TELEGRAM_TEXT_LIMIT,
    WHATSAPP_INTERACTIVE_BODY_LIMIT,
    bot_message_from_rasa,
    display_text,
    render_telegram,
    render_whatsapp,
    split_text,
    telegram_callback_data,
    whatsapp_template,
)
from bot.replies import BotMessage, Button

RISK = {"type": "risk_assessment", "level": "high", "flags": ["fee_to_individual"], "agencies": []}


def test_rasa_message_becomes_a_bot_message() -> None:
    message = bot_message_from_rasa(
        {
            "text": "Hasil cek",
            "buttons": [{"title": "Lapor", "payload": "/report_recruiter"}, {"payload": "/x"}],
            "custom": RISK,
            "image": "https://example.org/a.png",
        }
    )
    assert message.text == "Hasil cek\nhttps://example.org/a.png"
    assert message.buttons == (Button("Lapor", "/report_recruiter"),)  # a button without a title is dropped
    assert message.custom == RISK


def test_risk_assessment_leads_with_its_marker_on_both_platforms() -> None:
    message = BotMessage(text="Tawaran ini berisiko tinggi.", custom=RISK)
    assert display_text(message).startswith("🔴 ")
    assert render_telegram(message)[0].text.startswith("🔴 ")
    assert render_whatsapp(message, "628")[0]["text"]["body"].startswith("🔴 ")
    assert display_text(BotMessage(text="", custom=RISK)) == "🔴 HIGH: fee to individual"
    assert display_text(BotMessage(text="x", custom={"type": "other"})) == "x"


@pytest.mark.parametrize("limit", [10, 50, 4096])
def test_split_text_keeps_every_word_under_the_limit(limit: int) -> None:
    text = ("Paragraf satu berisi kalimat. " * 40 + "\n\n" + "Baris dua\n" * 30 + "katapanjangsekali" * 20).strip()
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert "".join(c.replace(" ", "").replace("\n", "") for c in chunks) == text.replace(" ", "").replace("\n", "")


def test_split_prefers_paragraph_boundaries() -> None:
    text = "a" * 3000 + "\n\n" + "b" * 3000
    assert split_text(text, 4096) == ["a" * 3000, "b" * 3000]


def test_telegram_escapes_html_and_splits_after_escaping() -> None:
    message = BotMessage(text="<script>alert(1)</script> & " + "<" * 5000)
    parts = render_telegram(message)
    assert parts[0].text.startswith("&lt;script&gt;alert(1)&lt;/script&gt; &amp; ")
    assert all(len(p.text) <= TELEGRAM_TEXT_LIMIT for p in parts)
    assert sum(p.text.count("&lt;") for p in parts) == 5002


def test_telegram_keyboard_goes_with_the_last_chunk() -> None:
    message = BotMessage(text="x " * 5000, buttons=(Button("Ya", "/affirm"), Button("Tidak", "/deny")))
    parts = render_telegram(message)
    assert len(parts) == 3 and [p.keyboard for p in parts[:-1]] == [(), ()]
    assert parts[-1].keyboard == (("Ya", "/affirm"), ("Tidak", "/deny"))


def test_long_callback_payload_falls_back_to_the_title() -> None:
    assert telegram_callback_data(Button("Cek LPK", "/" + "x" * 80)) == "Cek LPK"
    assert len(telegram_callback_data(Button("é" * 80, "/" + "x" * 80)).encode()) <= 64


def test_whatsapp_reply_buttons_for_up_to_three_short_titles() -> None:
    bodies = render_whatsapp(
        BotMessage("Lapor?", (Button("Ya, lapor", "/report_recruiter"), Button("Tidak", "/deny"))), "628"
    )
    assert len(bodies) == 1
    interactive = bodies[0]["interactive"]
    assert bodies[0]["to"] == "628" and interactive["type"] == "button"
    assert [b["reply"] for b in interactive["action"]["buttons"]] == [
        {"id": "/report_recruiter", "title": "Ya, lapor"},
        {"id": "/deny", "title": "Tidak"},
    ]


def test_whatsapp_list_for_long_titles_or_many_buttons() -> None:
    buttons = tuple(Button(f"Topik nomor {i} dengan judul yang cukup panjang", f"/t{i}") for i in range(12))
    bodies = render_whatsapp(BotMessage("Pilih topik", buttons), "628")
    lists = [b["interactive"] for b in bodies]
    assert [item["type"] for item in lists] == ["list", "list"]
    rows = [r for item in lists for r in item["action"]["sections"][0]["rows"]]
    assert len(lists[0]["action"]["sections"][0]["rows"]) == 10 and len(rows) == 12
    assert all(len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in rows)
    assert rows[0]["description"].startswith("Topik nomor 0")
    assert all(len(item["action"]["button"]) <= 20 for item in lists)


def test_whatsapp_long_text_goes_before_the_buttons() -> None:
    text = "kalimat panjang. " * 400  # ~6,800 characters
    bodies = render_whatsapp(BotMessage(text, (Button("Ya", "/affirm"),)), "628")
    assert [b["type"] for b in bodies] == ["text", "text", "interactive"]
    assert all(len(b["text"]["body"]) <= 4096 for b in bodies[:2])
    assert len(bodies[-1]["interactive"]["body"]["text"]) <= WHATSAPP_INTERACTIVE_BODY_LIMIT


def test_whatsapp_template_carries_the_text_on_one_line() -> None:
    body = whatsapp_template("628", "case_update", "id", "Kabar baru:\n\tkasus ABCD-1234\n\nsudah diteruskan")
    assert body["type"] == "template" and body["template"]["name"] == "case_update"
    parameter = body["template"]["components"][0]["parameters"][0]["text"]
    assert "\n" not in parameter and "\t" not in parameter and "ABCD-1234" in parameter
