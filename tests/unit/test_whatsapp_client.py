"""bot/clients/whatsapp_graph.py: the Graph API client, against the local stand-in over real HTTP."""

from __future__ import annotations

import asyncio
from typing import Any, Dict

import httpx
import pytest

from bot.channels.delivery import DeliveryFailed, GiveUp, Retry
from bot.clients.whatsapp_graph import GraphApi, GraphApiError, classify_send_error, new_http_client, shared_http_client
from tests.standins.graph_api import GraphApiStandIn

USER = "6281234567890"


def text_body(text: str) -> Dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": USER, "type": "text", "text": {"body": text}}


def api_for(graph: GraphApiStandIn, http: httpx.AsyncClient) -> GraphApi:
    return GraphApi(http, graph.base_url, "v21.0", "1234567890")


def test_errors_are_classified_for_retries() -> None:
    assert classify_send_error(GraphApiError(429, 130429, 2.0)) == Retry("graph api 429 code 130429", after=2.0)
    assert isinstance(classify_send_error(GraphApiError(502, None, None)), Retry)
    assert isinstance(classify_send_error(GraphApiError(400, 131056, None)), Retry)  # pair rate limit
    assert classify_send_error(GraphApiError(400, 131047, None)) == GiveUp("graph api 400 code 131047")
    assert classify_send_error(httpx.ConnectError("refused")) == Retry("ConnectError")
    assert classify_send_error(ValueError("x")) == GiveUp("ValueError")


def test_messages_go_in_order_through_the_client_given() -> None:
    with GraphApiStandIn() as graph:

        async def send() -> None:
            async with new_http_client(graph.access_token) as http:
                await api_for(graph, http).send_messages([text_body("satu"), text_body("dua")], 3, 0.01)

        asyncio.run(send())
        assert [request.text for request in graph.messages_to(USER, delivered_only=True)] == ["satu", "dua"]


def test_a_rate_limit_is_waited_out_and_a_refusal_stops_the_rest() -> None:
    with GraphApiStandIn() as graph:
        graph.fail_next(429, retry_after=0, to=USER)

        async def send(bodies: Any) -> None:
            async with new_http_client(graph.access_token) as http:
                await api_for(graph, http).send_messages(bodies, 3, 0.01)

        asyncio.run(send([text_body("setelah antre")]))
        assert [request.text for request in graph.messages_to(USER, delivered_only=True)] == ["setelah antre"]
        graph.fail_next(400, error_code=131047, to=USER)
        with pytest.raises(DeliveryFailed, match="graph api 400 code 131047"):
            asyncio.run(send([text_body("ditolak"), text_body("tidak dikirim")]))
        assert "tidak dikirim" not in [request.text for request in graph.messages_to(USER)]


def test_a_wrong_token_is_a_graph_error_that_is_not_retried() -> None:
    with GraphApiStandIn() as graph:

        async def post() -> None:
            async with new_http_client("wrong-token") as http:
                await api_for(graph, http).post_message(text_body("x"))

        with pytest.raises(GraphApiError) as raised:
            asyncio.run(post())
        assert raised.value.status == 401 and isinstance(classify_send_error(raised.value), GiveUp)
        assert "wrong-token" not in str(raised.value)


def test_one_shared_client_per_event_loop_and_token() -> None:
    async def clients() -> Any:
        first, again, other = shared_http_client("a"), shared_http_client("a"), shared_http_client("b")
        await first.aclose()
        reopened = shared_http_client("a")
        await asyncio.gather(reopened.aclose(), other.aclose())
        return first, again, other, reopened

    first, again, other, reopened = asyncio.run(clients())
    assert first is again and other is not first and reopened is not first
    assert first.headers["Authorization"] == "Bearer a"
    assert asyncio.run(clients())[0] is not first  # another loop, another client
