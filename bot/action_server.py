"""The action server (`python -m bot.action_server`): rasa_sdk's executor behind our own Sanic app.

rasa_sdk's stock server listens on every interface, runs any action for anyone who can reach
it, answers a failing action with the exception text and the whole tracker (personal data) and
runs synchronous actions on its one event loop, so one slow database call or password hash
stalls every conversation. This one:

- listens on BIND_HOST (loopback by default) and refuses to start on unsafe settings;
- accepts a call only with ``X-Action-Token: ACTION_SERVER_TOKEN`` (Rasa sends it, from the
  endpoints file written at start-up); compared in constant time;
- bounds the request size (bot.startup.MAX_REQUEST_BYTES) and answers bad bodies
  with 400;
- runs every action call in a worker thread with its own event loop, so blocking work in an
  action never holds up another user's turn;
- logs only the action name and the error class.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import logging
import sys
import zlib
from typing import Any, Dict, Optional

from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.payloads import RequestError, load_json
from bot.safe_logging import configure_logging
from bot.settings import Settings, get_settings
from bot.startup import MAX_REQUEST_BYTES, refuse_unsafe_start

logger = logging.getLogger("bot.action_server")

TOKEN_HEADER = "X-Action-Token"
# Enough threads for the turns of many users at once; each runs one action call.
WORKER_THREADS = 16
MAX_JSON_DEPTH_ERROR = "The request body is not valid JSON."


def token_matches(given: Optional[str], expected: str) -> bool:
    return bool(given and expected) and hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def decode_action_call(raw: bytes, encoding: Optional[str]) -> Optional[Dict[str, Any]]:
    """The JSON action call (deflated when Rasa compresses it), or None when it is not one. Read
    as every other JSON body (bot/channels/payloads.py ``load_json``: depth and number limits);
    a deflated body may not inflate beyond the size limit of a plain one."""
    if encoding == "deflate":
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(raw, MAX_REQUEST_BYTES)
        except zlib.error:
            return None
        if inflater.unconsumed_tail or not inflater.eof:
            return None
    call = load_json(raw, MAX_JSON_DEPTH_ERROR)
    if (
        isinstance(call, RequestError)
        or not isinstance(call, dict)
        or not isinstance(call.get("next_action"), str)
        or not isinstance(call.get("tracker"), dict)
    ):
        return None
    return call


def _run_in_own_loop(executor: ActionExecutor, call: Dict[str, Any]) -> Any:
    return asyncio.run(executor.run(call))


def create_app(settings: Settings, actions_package: str = "actions") -> Sanic:
    app = Sanic("pandu_actions", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = min(int(app.config.REQUEST_MAX_SIZE), MAX_REQUEST_BYTES)
    # Rasa keeps its connection to us open between calls (bot/rasa_overrides.py; aiohttp drops an
    # idle one after 15 s). Sanic's 5 s default would close it first, and a call racing that close
    # would fail: the client, not the server, must be the one to hang up.
    app.config.KEEP_ALIVE_TIMEOUT = 75
    executor = ActionExecutor()
    executor.register_package(actions_package)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="action")
    expected = settings.action_server_token

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.post("/webhook")
    async def webhook(request: Request) -> HTTPResponse:
        if not token_matches(request.headers.get(TOKEN_HEADER), expected):
            return response.json({"error": "Missing or wrong action server token."}, status=401)
        call = decode_action_call(request.body or b"", request.headers.get("Content-Encoding"))
        if call is None:
            return response.json({"error": MAX_JSON_DEPTH_ERROR}, status=400)
        name = call["next_action"][:80]
        try:
            result = await asyncio.get_running_loop().run_in_executor(pool, _run_in_own_loop, executor, call)
        except ActionExecutionRejection as rejection:
            # A form validator rejected the input: Rasa lets the policies choose again.
            return response.json({"error": rejection.message, "action_name": rejection.action_name}, status=400)
        except ActionNotFoundException as missing:
            logger.error("actions: no action named %s", name)
            return response.json({"error": missing.message, "action_name": missing.action_name}, status=404)
        except Exception as error:  # noqa: BLE001 - answered without the tracker or the message
            logger.error("actions: %s failed: %s", name, error.__class__.__name__)
            return response.json({"error": "The action failed.", "action_name": name}, status=500)
        return response.json(result)

    @app.get("/actions")
    async def actions(request: Request) -> HTTPResponse:
        if not token_matches(request.headers.get(TOKEN_HEADER), expected):
            return response.json({"error": "Missing or wrong action server token."}, status=401)
        return response.json([{"name": name} for name in executor.actions])

    @app.after_server_stop
    async def stop_pool(_app: Sanic, _loop: Any) -> None:
        pool.shutdown(wait=False)

    return app


def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    if refuse_unsafe_start(settings, "action server", needs=("ACTION_SERVER_TOKEN",)):
        return 2
    app = create_app(settings)
    logger.info("action server on http://%s:%s", settings.bind_host, settings.action_port)
    app.run(host=settings.bind_host, port=settings.action_port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
