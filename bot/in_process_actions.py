"""Custom actions run inside the Rasa server (the default; ``ACTIONS_IN_PROCESS=false`` or an
``ACTION_SERVER_URL`` keeps them in the separate action server, bot/action_server.py).

Profiling a turn for issue 11 put a third of its CPU outside the model, in the call to the action
server: Rasa serialises the whole tracker (and the domain) to JSON, aiohttp sends it, the action
server parses it, rasa_sdk runs the action, and the answer makes the same trip back. Rasa Open
Source 3.6 has no way to run actions in its own process (Rasa Pro added ``actions_module`` in
3.10), so bot/rasa_overrides.py hands ``RemoteAction`` this runner instead of the HTTP call.

What does not change: the action gets the same action call rasa_sdk's server would build
(``ActionExecutor.run``), its answer goes through Rasa's own response validation, utterance and
event deserialisation, and a rejection from a form validator still lets the policies choose
again. As in the action server, every call runs in a worker thread (each with one lasting event
loop, so the clients actions keep per loop are reused): an action that blocks on the database
or hashes a PIN never holds up another user's turn on Rasa's event loop.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Dict

from rasa_sdk.executor import ActionExecutor

# Enough threads for the turns of many users at once (as the action server); each runs one call.
WORKER_THREADS = 16


class InProcessActions:
    """rasa_sdk's executor for one actions package, run on worker threads."""

    def __init__(self, package: str = "actions", threads: int = WORKER_THREADS) -> None:
        self.executor = ActionExecutor()
        self.executor.register_package(package)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="action")
        self._local = threading.local()

    def _run_on_this_thread(self, call: Dict[str, Any]) -> Any:
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
        return loop.run_until_complete(self.executor.run(call))

    async def run(self, call: Dict[str, Any]) -> Dict[str, Any]:
        """rasa_sdk's answer to an action call: ``{"events": [...], "responses": [...]}``.
        Raises rasa_sdk's ``ActionExecutionRejection`` / ``ActionNotFoundException`` and whatever
        the action raised."""
        result = await asyncio.get_running_loop().run_in_executor(self._pool, self._run_on_this_thread, call)
        return result or {"events": [], "responses": []}

    def names(self) -> list:
        return sorted(self.executor.actions)
