"""The REST channel (POST /webhooks/rest/webhook), with input validation.

Rasa's built-in RestInput passes a missing message on as ``None`` (which fails deep inside the
NLU) and logs the user's text when a turn fails. This one answers malformed bodies with a clear
4xx and never writes message text to the logs.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.payloads import RequestError, parse_rest_body
from bot.safe_logging import error_summary

logger = logging.getLogger(__name__)


class ValidatedRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("validated_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            parsed = parse_rest_body(request.body or b"")
            if isinstance(parsed, RequestError):
                return response.json({"error": parsed.message}, status=parsed.status)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(parsed.text, collector, parsed.sender, input_channel=self.name())
                )
            except Exception as error:  # noqa: BLE001 - any failure must reach the user as an answer
                # Deliberately no message text or sender in the log: both can be personal data.
                logger.error("rest: a turn failed: %s", error_summary(error))
                return response.json(
                    {"error": "Sorry, something went wrong on our side. Please try again."}, status=500
                )
            return response.json(collector.messages)

        return webhook
