"""Bodies as the platforms send them: the seed corpus of the fuzz tests (mutated into near-valid
bodies) and the fixtures of the parser and webhook tests.

The WhatsApp notifications follow the payload examples of Meta's webhook reference for the
``messages`` field (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/
reference/messages: text, media, interactive, button, reaction, system, unsupported, status and
errors webhooks), with the ids, numbers and timestamps made up. Each is built for a given user
and phone number id, so the end-to-end tests can replay them from a fresh number.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

Json = Dict[str, Any]

PHONE_NUMBER_ID = "106540352242922"
USER = "16505551234"
MESSAGE_ID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
OUR_MESSAGE_ID = "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="
ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


# --- WhatsApp: the envelope ------------------------------------------------------------------------


def envelope(
    value: Json, field: str = "messages", entry_extra: Optional[Json] = None, change_extra: Optional[Json] = None
) -> Json:
    """``value`` inside one entry and one change, as every notification is shaped."""
    change: Json = {"value": value, "field": field, **(change_extra or {})}
    entry: Json = {"id": "102290129340398", "changes": [change], **(entry_extra or {})}
    return {"object": "whatsapp_business_account", "entry": [entry]}


def metadata(phone_number_id: str) -> Json:
    return {"display_phone_number": "15550783881", "phone_number_id": phone_number_id}


def messages_value(user: str, phone_number_id: str, *messages: Json, contacts: bool = True) -> Json:
    value: Json = {"messaging_product": "whatsapp", "metadata": metadata(phone_number_id)}
    if contacts:  # system messages come without a contacts array
        value["contacts"] = [{"profile": {"name": "Sheena Nelson"}, "wa_id": user}]
    value["messages"] = list(messages)
    return value


def user_message(user: str, message_id: str, kind: str, content: Any, **extra: Any) -> Json:
    return {"from": user, "id": message_id, "timestamp": "1749416383", "type": kind, kind: content, **extra}


# --- WhatsApp: one builder per documented webhook ---------------------------------------------------

Builder = Callable[[str, str, str], Json]  # (user, message id, phone number id) -> notification


def text(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user, phone_number_id, user_message(user, message_id, "text", {"body": "Does it come in another color?"})
        )
    )


def forwarded_text_from_an_ad(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "text",
                {"body": "Can I get more info about this?"},
                context={"forwarded": True},
                referral={
                    "source_url": "https://fb.me/3cr4Wqqkv",
                    "source_id": "120226305854810726",
                    "source_type": "ad",
                    "body": "Summer succulents are here!",
                    "headline": "Chat with us",
                    "media_type": "image",
                    "image_url": "https://scontent.xx.fbcdn.net/v/t45.1",
                    "ctwa_clid": "Aff-n8ZTODiE79d22KtAwQKj9e",
                    "welcome_message": {"text": "Hi there! Let us know how we can help!"},
                },
            ),
        )
    )


def image(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "image",
                {
                    "caption": "Taj Mahal",
                    "mime_type": "image/jpeg",
                    "sha256": "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=",
                    "id": "1003383421387256",
                    "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133",
                },
            ),
        )
    )


def audio(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "audio",
                {
                    "mime_type": "audio/ogg; codecs=opus",
                    "sha256": "Jlh9uwK2m6p1Ow8EGXXKZAA1ihOgYHVA",
                    "id": "1003383421387257",
                    "voice": True,
                },
            ),
        )
    )


def document(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "document",
                {
                    "caption": "Lucky Shrub Invoice",
                    "filename": "lucky-shrub-invoice.pdf",
                    "mime_type": "application/pdf",
                    "sha256": "BXqmb+Wn0Q4LbZmdLpm0Hx3FT8kV",
                    "id": "1003383421387258",
                },
            ),
        )
    )


def sticker(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "sticker",
                {
                    "mime_type": "image/webp",
                    "sha256": "kxYhSmw0N6bkYR4t5wCuGUJ9",
                    "id": "1003383421387259",
                    "animated": False,
                },
            ),
        )
    )


def location(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "location",
                {
                    "address": "101 Shore Street, Menlo Park, CA",
                    "latitude": 37.44211676562361,
                    "longitude": -122.16155960083124,
                    "name": "Philz Coffee",
                    "url": "https://philzcoffee.com",
                },
            ),
        )
    )


def contacts(user: str, message_id: str, phone_number_id: str) -> Json:
    card = {
        "name": {"formatted_name": "Pablo Morales", "first_name": "Pablo", "last_name": "Morales"},
        "phones": [{"phone": "+1 (940) 555-1234", "type": "HOME", "wa_id": "19405551234"}],
    }
    return envelope(messages_value(user, phone_number_id, user_message(user, message_id, "contacts", [card])))


def button_reply(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "interactive",
                {"type": "button_reply", "button_reply": {"id": "/greet", "title": "Halo"}},
                context={"from": "15550783881", "id": OUR_MESSAGE_ID},
            ),
        )
    )


def list_reply(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "interactive",
                {"type": "list_reply", "list_reply": {"id": "/greet", "title": "Halo", "description": "Mulai lagi"}},
                context={"from": "15550783881", "id": OUR_MESSAGE_ID},
            ),
        )
    )


def flow_reply(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "interactive",
                {
                    "type": "nfm_reply",
                    "nfm_reply": {"name": "flow", "body": "Sent", "response_json": '{"flow_token": "unused"}'},
                },
                context={"from": "15550783881", "id": OUR_MESSAGE_ID},
            ),
        )
    )


def template_quick_reply(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "button",
                {"payload": "/greet", "text": "Halo"},
                context={"from": "15550783881", "id": OUR_MESSAGE_ID},
            ),
        )
    )


def reaction(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(user, message_id, "reaction", {"message_id": OUR_MESSAGE_ID, "emoji": "\U0001f44d"}),
        )
    )


def reaction_removed(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user, phone_number_id, user_message(user, message_id, "reaction", {"message_id": OUR_MESSAGE_ID})
        )
    )


def system_changed_number(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "system",
                {
                    "body": "User Sheena Nelson changed from 16505551234 to 12195555358",
                    "wa_id": "12195555358",
                    "type": "user_changed_number",
                },
            ),
            contacts=False,
        )
    )


def unsupported(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(
                user,
                message_id,
                "unsupported",
                {"type": "edit"},
                errors=[
                    {
                        "code": 131051,
                        "title": "Message type unknown",
                        "message": "Message type unknown",
                        "error_data": {"details": "Message type is currently not supported."},
                    }
                ],
            ),
        )
    )


def future_type(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        messages_value(
            user,
            phone_number_id,
            user_message(user, message_id, "poll_vote", {"options": [1], "new_field": {"nested": True}}),
        )
    )


def status(state: str, user: str, phone_number_id: str, **extra: Any) -> Json:
    return {"id": OUR_MESSAGE_ID, "status": state, "timestamp": "1750030073", "recipient_id": user, **extra}


def status_sent(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        {
            "messaging_product": "whatsapp",
            "metadata": metadata(phone_number_id),
            "statuses": [
                status(
                    "sent",
                    user,
                    phone_number_id,
                    conversation={
                        "id": "72b14d6bd5407799e66f64d1b338e567",
                        "expiration_timestamp": "1750116480",
                        "origin": {"type": "service"},
                    },
                    pricing={"billable": True, "pricing_model": "PMP", "type": "regular", "category": "service"},
                )
            ],
        }
    )


def status_read(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        {
            "messaging_product": "whatsapp",
            "metadata": metadata(phone_number_id),
            "statuses": [status("read", user, phone_number_id)],
        }
    )


def status_failed(user: str, message_id: str, phone_number_id: str) -> Json:
    error = {
        "code": 131049,
        "title": "This message was not delivered to maintain healthy ecosystem engagement.",
        "message": "This message was not delivered to maintain healthy ecosystem engagement.",
        "error_data": {
            "details": "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."
        },
        "href": ERROR_HREF,
    }
    return envelope(
        {
            "messaging_product": "whatsapp",
            "metadata": metadata(phone_number_id),
            "statuses": [status("failed", user, phone_number_id, errors=[error])],
        }
    )


RATE_LIMIT_ERROR = {
    "code": 130429,
    "title": "Rate limit hit",
    "message": "Rate limit hit",
    "error_data": {
        "details": "Message failed to send because there were too many messages sent "
        "from this phone number in a short period of time"
    },
    "href": ERROR_HREF,
}


def value_errors(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        {"messaging_product": "whatsapp", "metadata": metadata(phone_number_id), "errors": [RATE_LIMIT_ERROR]}
    )


def change_errors(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        {"messaging_product": "whatsapp", "metadata": metadata(phone_number_id)},
        change_extra={"errors": [{"code": 131000, "title": "Something went wrong"}]},
    )


def entry_errors(user: str, message_id: str, phone_number_id: str) -> Json:
    body = envelope(
        {"messaging_product": "whatsapp", "metadata": metadata(phone_number_id)},
        entry_extra={"errors": [{"code": 131000, "title": "Something went wrong"}]},
    )
    body["entry"][0]["changes"] = []
    return body


def account_update(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope({"phone_number": "15550783881", "event": "VERIFIED_ACCOUNT"}, field="account_update")


def template_status_update(user: str, message_id: str, phone_number_id: str) -> Json:
    return envelope(
        {
            "event": "APPROVED",
            "message_template_id": 123456789,
            "message_template_name": "case_update",
            "message_template_language": "id",
            "reason": "NONE",
        },
        field="message_template_status_update",
    )


def text_and_statuses_batched(user: str, message_id: str, phone_number_id: str) -> Json:
    body = text(user, message_id, phone_number_id)
    body["entry"][0]["changes"].append(status_read(user, message_id, phone_number_id)["entry"][0]["changes"][0])
    return body


def text_with_a_broken_neighbour(user: str, message_id: str, phone_number_id: str) -> Json:
    """A batch where one message is not of any known shape: the other one must still be answered."""
    body = text(user, message_id, phone_number_id)
    body["entry"][0]["changes"][0]["value"]["messages"].insert(
        0, {"from": user, "type": "text", "text": "not an object"}
    )
    return body


@dataclass(frozen=True)
class Sample:
    """A documented notification and what reading it must give."""

    name: str
    build: Builder
    text: Optional[str]  # the message's text, None for media; unused when no message
    answered: bool  # one user message to answer
    problems: Tuple[str, ...] = ()  # the kinds logged

    def body(self, user: str = USER, message_id: str = MESSAGE_ID, phone_number_id: str = PHONE_NUMBER_ID) -> Json:
        return copy.deepcopy(self.build(user, message_id, phone_number_id))


WHATSAPP_SAMPLES: List[Sample] = [
    Sample("text", text, "Does it come in another color?", True),
    Sample("forwarded text from an ad", forwarded_text_from_an_ad, "Can I get more info about this?", True),
    Sample("image", image, None, True),
    Sample("audio", audio, None, True),
    Sample("document", document, None, True),
    Sample("sticker", sticker, None, True),
    Sample("location", location, None, True),
    Sample("contacts", contacts, None, True),
    Sample("button reply", button_reply, "/greet", True),
    Sample("list reply", list_reply, "/greet", True),
    Sample("flow reply", flow_reply, None, True),
    Sample("template quick reply", template_quick_reply, "/greet", True),
    Sample("unsupported", unsupported, None, True, ("message_errors:131051",)),
    Sample("future message type", future_type, None, True),
    Sample("text batched with statuses", text_and_statuses_batched, "Does it come in another color?", True),
    Sample(
        "text beside a broken message",
        text_with_a_broken_neighbour,
        "Does it come in another color?",
        True,
        ("malformed_message",),
    ),
    Sample("reaction", reaction, None, False),
    Sample("reaction removed", reaction_removed, None, False),
    Sample("system: changed number", system_changed_number, None, False),
    Sample("status sent", status_sent, None, False),
    Sample("status read", status_read, None, False),
    Sample("status failed", status_failed, None, False, ("status_errors:131049",)),
    Sample("errors in value", value_errors, None, False, ("errors:130429",)),
    Sample("errors in change", change_errors, None, False, ("errors:131000",)),
    Sample("errors in entry", entry_errors, None, False, ("errors:131000",)),
    Sample("account update", account_update, None, False, ("other_field",)),
    Sample("template status update", template_status_update, None, False, ("other_field",)),
]


# --- Telegram and REST --------------------------------------------------------------------------------

TELEGRAM_PRIVATE_CHAT = {"id": 123456789, "first_name": "Sari", "type": "private"}


def telegram_samples() -> List[Json]:
    """Updates as the Bot API documents them: text, command, caption, button press, edit, group."""
    sender = {"id": 123456789, "is_bot": False, "first_name": "Sari", "language_code": "id"}
    message = {"message_id": 7, "from": sender, "chat": TELEGRAM_PRIVATE_CHAT, "date": 1767225600}
    return [
        {"update_id": 10000, "message": {**message, "text": "magang jepang berapa tahun?"}},
        {
            "update_id": 10001,
            "message": {**message, "text": "/start", "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]},
        },
        {
            "update_id": 10002,
            "message": {
                **message,
                "photo": [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 51, "file_size": 1101}],
                "caption": "ini asli?",
            },
        },
        {
            "update_id": 10003,
            "callback_query": {
                "id": "4382bfdwdsb323b2d9",
                "from": sender,
                "chat_instance": "-8",
                "data": "/affirm",
                "message": {**message, "text": "Benar?"},
            },
        },
        {"update_id": 10004, "edited_message": {**message, "text": "diedit", "edit_date": 1767225700}},
        {
            "update_id": 10005,
            "message": {
                **message,
                "chat": {"id": -1001234567890, "title": "Staff", "type": "supergroup"},
                "text": "halo grup",
            },
        },
    ]


def rest_samples() -> List[Json]:
    return [
        {"sender": "web-1f2e3d", "message": "magang jepang berapa tahun?"},
        {"sender": 42, "message": ""},
        {"message": "tanpa pengirim"},
    ]
