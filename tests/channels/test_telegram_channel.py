"""Telegram end to end: updates built with python-telegram-bot's own classes are POSTed to the
running product (`python -m bot.serve`), which answers through the Bot API stand-in."""

from __future__ import annotations

import itertools
import json
import time
import urllib.request
from typing import Any, Dict, List

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User

from tests.channels.conftest import REQUIREMENTS_QUESTION_ANSWER, TELEGRAM_SECRET, Stack, answer_opening, post

pytestmark = pytest.mark.conversation

_ids = itertools.count(int(time.time()) % 100000 * 100)


def new_chat() -> Chat:
    return Chat(id=500000000 + next(_ids), type=Chat.PRIVATE)


def text_update(chat: Chat, text: str) -> Dict[str, Any]:
    user = User(id=chat.id, is_bot=False, first_name="Sari")
    message = Message(message_id=next(_ids), date=_now(), chat=chat, from_user=user, text=text)
    return Update(update_id=next(_ids), message=message).to_dict()


def button_update(chat: Chat, data: str) -> Dict[str, Any]:
    user = User(id=chat.id, is_bot=False, first_name="Sari")
    shown = Message(message_id=next(_ids), date=_now(), chat=chat, text="…")
    query = CallbackQuery(id=str(next(_ids)), from_user=user, chat_instance="ci", data=data, message=shown)
    return Update(update_id=next(_ids), callback_query=query).to_dict()


def _now():
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc)


def send(stack: Stack, update: Dict[str, Any], secret: str = TELEGRAM_SECRET):
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return post(stack.telegram_webhook, json.dumps(update).encode("utf-8"), headers)


def replies(stack: Stack, chat: Chat, count: int = 1) -> List[Dict[str, Any]]:
    return [c.params for c in stack.telegram.wait_for("sendMessage", count, chat_id=chat.id, timeout=90)]


def test_a_question_is_answered_through_the_bot_api(stack: Stack) -> None:
    chat = new_chat()
    status, _ = send(stack, text_update(chat, "magang ke jepang syaratnya apa aja?"))
    assert status == 200
    sent = replies(stack, chat)
    assert answer_opening(REQUIREMENTS_QUESTION_ANSWER) in sent[0]["text"]
    assert sent[0]["parse_mode"] == "HTML"
    # Answers come with related topics as an inline keyboard.
    keyboard = sent[-1].get("reply_markup", {}).get("inline_keyboard")
    assert keyboard and all(len(row) == 1 and row[0]["callback_data"].startswith("/") for row in keyboard)


def test_a_button_press_is_answered_and_acknowledged(stack: Stack) -> None:
    chat = new_chat()
    update = button_update(chat, "/greet")
    assert send(stack, update)[0] == 200
    assert replies(stack, chat)
    answered = stack.telegram.wait_for("answerCallbackQuery", 1)
    assert any(str(c.params.get("callback_query_id")) == update["callback_query"]["id"] for c in answered)


def test_commands(stack: Stack) -> None:
    chat = new_chat()
    send(stack, text_update(chat, "/start"))
    greeting = replies(stack, chat, 1)[0]
    assert greeting.get("reply_markup"), "the greeting offers topics"
    send(stack, text_update(chat, "/lang"))
    chooser = replies(stack, chat, 2)[1]
    data = [row[0]["callback_data"] for row in chooser["reply_markup"]["inline_keyboard"]]
    assert data == ['/set_language{"language": "id"}', '/set_language{"language": "en"}']
    send(stack, button_update(chat, data[1]))
    assert "english" in replies(stack, chat, 3)[2]["text"].lower()
    send(stack, text_update(chat, "/lapor"))
    assert replies(stack, chat, 4)[3]["text"]  # the report form's first question


def test_forged_or_missing_secret_is_refused_and_nothing_is_sent(stack: Stack) -> None:
    chat = new_chat()
    assert send(stack, text_update(chat, "halo"), secret="")[0] == 401
    assert send(stack, text_update(chat, "halo"), secret="not-the-secret")[0] == 403
    time.sleep(3)  # give a wrongly accepted update time to show up
    assert stack.telegram.calls_to("sendMessage", chat_id=chat.id) == []


def test_malformed_and_oversized_bodies_get_4xx(stack: Stack) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}
    assert post(stack.telegram_webhook, b"{not json", headers)[0] == 400
    assert post(stack.telegram_webhook, b'["a list"]', headers)[0] == 400
    assert post(stack.telegram_webhook, b'{"update_id": 1, "message": "text"}', headers)[0] == 400
    assert (
        post(stack.telegram_webhook, b'{"update_id": 1, "message": {"text": "x"' + b" " * 300_000 + b"}}", headers)[0]
        == 413
    )


def test_a_redelivered_update_is_answered_once(stack: Stack) -> None:
    chat = new_chat()
    update = text_update(chat, "halo")
    status, body = send(stack, update)
    assert status == 200 and "ok" in body
    replies(stack, chat, 1)
    status, body = send(stack, update)
    assert status == 200 and "duplicate" in body
    time.sleep(3)
    assert len(stack.telegram.calls_to("sendMessage", chat_id=chat.id)) == 1


def test_stickers_and_photos_get_the_text_only_notice(stack: Stack) -> None:
    chat = new_chat()
    update = text_update(chat, "x")
    del update["message"]["text"]
    update["message"]["sticker"] = {
        "file_id": "f",
        "file_unique_id": "u",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    send(stack, update)
    notice = replies(stack, chat)[0]["text"]
    assert "teks" in notice and "text" in notice


def test_group_messages_are_ignored(stack: Stack) -> None:
    group = Chat(id=-100000 - next(_ids), type=Chat.SUPERGROUP)
    status, body = send(stack, text_update(group, "halo bot"))
    assert status == 200 and "ignored" in body


def test_flood_control_is_honoured_and_the_reply_still_arrives(stack: Stack) -> None:
    chat = new_chat()
    stack.telegram.fail_next("sendMessage", 429, retry_after=1, description="Too Many Requests: retry after 1")
    started = time.monotonic()
    send(stack, text_update(chat, "halo"))
    calls = stack.telegram.wait_for("sendMessage", 2, chat_id=chat.id, timeout=90)
    assert calls[1].params["text"] == calls[0].params["text"]
    assert time.monotonic() - started >= 1.0


def test_a_send_that_keeps_failing_is_recorded_not_lost(stack: Stack) -> None:
    from sqlalchemy import select

    from bot.storage.db import transaction
    from bot.storage.models import InboxMessage

    chat = new_chat()
    stack.telegram.fail_next("sendMessage", 500, times=3)  # SEND_MAX_ATTEMPTS is 3 in the stack
    update = text_update(chat, "halo")
    send(stack, update)
    stack.telegram.wait_for("sendMessage", 3, chat_id=chat.id, timeout=90)
    external_id = f"m:{chat.id}:{update['message']['message_id']}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with transaction(stack.database_url) as session:
            row = session.execute(select(InboxMessage).where(InboxMessage.external_id == external_id)).scalar_one()
            if row.status != "pending":
                break
        time.sleep(0.5)
    assert row.status == "undelivered" and "telegram network error" in row.error
    assert "halo" not in stack.log()  # no message text in the logs


def test_messages_from_one_user_are_answered_in_order(stack: Stack) -> None:
    # The greeting needs a conversation turn; the language chooser is sent at once by the
    # connector. Without per-user ordering the chooser would overtake the greeting.
    chat = new_chat()
    send(stack, text_update(chat, "/start"))
    send(stack, text_update(chat, "/lang"))
    sent = replies(stack, chat, 2)
    first, second = ([row[0]["callback_data"] for row in m["reply_markup"]["inline_keyboard"]] for m in sent[:2])
    assert not first[0].startswith("/set_language") and second[0].startswith("/set_language")


def test_polling_mode_hands_updates_to_the_webhook_and_confirms_them(stack: Stack, monkeypatch) -> None:
    import asyncio

    from bot.channels.telegram_polling import poll
    from bot.settings import get_settings

    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE_URL", "RASA_PORT"):
        monkeypatch.setenv(name, stack.env[name])
    chat = new_chat()
    update = text_update(chat, "halo")
    stack.telegram.queue_update(update)

    async def scenario() -> None:
        stop = asyncio.Event()
        polling = asyncio.ensure_future(poll(get_settings(), stop))
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: stack.telegram.wait_for("sendMessage", 1, chat_id=chat.id, timeout=90)
        )
        # The next getUpdates confirms the update (offset past it), so Telegram drops it.
        await asyncio.get_running_loop().run_in_executor(None, lambda: _wait_for_offset(stack, update["update_id"] + 1))
        stop.set()
        await asyncio.wait_for(polling, timeout=30)

    asyncio.run(scenario())
    assert stack.telegram.calls_to("deleteWebhook"), "getUpdates only works without a webhook"
    assert "halo" not in stack.log()


def _wait_for_offset(stack: Stack, offset: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c.params.get("offset") == offset for c in stack.telegram.calls_to("getUpdates")):
            return
        time.sleep(0.2)
    raise TimeoutError(f"no getUpdates with offset {offset}")


def test_rasa_http_api_needs_the_token(stack: Stack) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{stack.rasa_url}/conversations/telegram:1/tracker", timeout=30)
    assert refused.value.code == 401


def test_a_high_risk_report_filed_on_telegram_alerts_staff_and_reaches_the_console(stack: Stack) -> None:
    from tests.channels.conftest import STAFF_CHAT_ID
    from tests.conversation.test_recruitment_conversations import ANSWERS

    chat = new_chat()
    sender = f"telegram:{chat.id}"
    code, _pin = file_report(stack, chat)
    alert = _wait_for_alert(stack, STAFF_CHAT_ID, code)
    assert "https://console.example.test/reports/" in alert
    for private in ("0813-1111-2222", "0812-3456-7890", "6281234567890", str(chat.id)):
        assert private not in alert

    # The same report in the staff console (served by the same `make run`): API, queue, transcript.
    console = ConsoleClient(stack)
    [item] = console.api(f"/api/reports?q={code}")["items"]
    assert item["case_code"] == code and item["channel"] == "telegram" and item["status"] == "new"
    assert item["risk_level"] in ("high", "urgent") and "upfront_fee" in item["flags"]
    assert f"/reports/{item['id']}" in alert
    detail = console.api(f"/api/reports/{item['id']}")
    assert detail["what_happened"] == ANSWERS["report_what_happened"] and detail["events"][0]["kind"] == "created"
    # The report page's transcript comes from the tracker store Rasa wrote (PostgreSQL here).
    from console.transcript import load_transcript

    transcript = load_transcript(stack.env["TRACKER_STORE_URL"], sender)
    assert [line.text for line in transcript if line.speaker == "user"][1] == ANSWERS["report_what_happened"]


class ConsoleClient:
    """The staff console's JSON API in the stack, with a reviewer's bearer token. (Its pages are
    tested with a real browser in tests/console; here the session cookie is Secure, as
    CONSOLE_BASE_URL is https, so it would not travel over plain loopback HTTP.)"""

    def __init__(self, stack: Stack) -> None:
        from bot.storage.db import transaction
        from console.auth import create_token, create_user

        self.base = f"http://127.0.0.1:{stack.env['CONSOLE_PORT']}"
        self.username, self.password = f"reviewer{next(_ids)}", "a long enough passphrase"
        with transaction(stack.database_url) as session:
            create_user(session, self.username, self.password, "reviewer")
            self.token = create_token(session, self.username, "channel test", created_by="test")

    def api(self, path: str) -> Dict[str, Any]:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))


def file_report(stack: Stack, chat: Chat) -> tuple:
    """A whole report through the Telegram webhook, answered as a phone user would; returns the
    case code and PIN from the confirmation (the only message that holds them)."""
    from tests.conversation.test_recruitment_conversations import ANSWERS

    sender = f"telegram:{chat.id}"
    send(stack, text_update(chat, "/lapor"))
    asked = None
    for _ in range(20):
        asked = _next_question(stack, sender, asked)
        if asked == "report_confirm":
            break
        answer = ANSWERS[asked]
        # Yes/no questions are answered with their buttons, as on a phone.
        send(stack, button_update(chat, answer) if answer.startswith("/") else text_update(chat, answer))
    else:
        raise AssertionError("the report form did not reach its confirmation")
    send(stack, button_update(chat, "/affirm"))
    confirmation = _wait_for_text(stack, chat, "Kode laporan:")
    return confirmation.split("Kode laporan:")[1].split()[0], confirmation.split("PIN:")[1].split()[0]


def _next_question(stack: Stack, sender: str, previous, timeout: float = 60) -> str:
    """The slot the report form asks for once the last turn is saved (it differs from the last)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        asked = stack.tracker(sender)["slots"].get("requested_slot")
        if asked is not None and asked != previous:
            return asked
        time.sleep(0.2)
    raise TimeoutError(f"the form stayed at {previous}")


def _wait_for_text(stack: Stack, chat: Chat, needle: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in stack.telegram.calls_to("sendMessage", chat_id=chat.id):
            if needle in call.params["text"]:
                return call.params["text"]
        time.sleep(0.2)
    raise TimeoutError(f"no message containing {needle!r}")


def _wait_for_alert(stack: Stack, chat_id: str, case_code: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in stack.telegram.calls_to("sendMessage", chat_id=chat_id):
            if case_code in call.params["text"]:
                return call.params["text"]
        time.sleep(0.2)
    raise TimeoutError(f"no staff alert for {case_code}")
