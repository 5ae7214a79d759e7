"""Custom actions run inside the Rasa server (the default; ``ACTIONS_IN_PROCESS=false`` or an
``ACTION_SERVER_URL`` keeps them in the separate action server, bot/action_server.py).

Profiling a turn for issue 11 put a third of its CPU outside the model, in the call to the action
server: Rasa serialises the whole tracker (and the domain) to JSON, aiohttp sends it, the action
server parses it, rasa_sdk runs the action, and the answer makes the same trip back. Rasa Open
Source 3.6 has no way to run actions in its own process (Rasa Pro added ``actions_module`` in
3.10), so bot/rasa_overrides.py hands ``RemoteAction`` this runner instead of the HTTP call.

What does not change: the action gets the same action call rasa_sdk's server would build
(``ActionExecutor.run``), with its own copies of the domain, the slots and the latest message;
its answer is made plain JSON as the action server's would be (an answer that cannot be fails the
action, as it would there) and goes through Rasa's own utterances and event deserialisation (not
the JSON-schema check meant for a remote server); a rejection from a form validator still lets
the policies choose again; a call that takes longer than Rasa's own action-server timeout fails.
As in the action server, every call runs in a worker thread (each with one lasting event loop,
so the clients actions keep per loop are reused; tasks an action leaves behind are cancelled
when it returns, as asyncio.run would): an action that blocks on the database or hashes a PIN
never holds up another user's turn on Rasa's event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from typing import Any, Dict

from rasa_sdk.executor import ActionExecutor

# Enough threads for the turns of many users at once (as the action server); each runs one call.
WORKER_THREADS = 16
# Rasa gives up on the action server after this long (rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT).
ACTION_TIMEOUT_SECONDS = 300.0


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
        try:
            result = loop.run_until_complete(self.executor.run(call))
        finally:
            left = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in left:
                task.cancel()
            if left:
                loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        # Plain JSON, as over HTTP: no tuples, sets or dates reach Rasa's tracker (they would fail
        # only later, when the conversation is saved, and then at every turn).
        return json.loads(json.dumps(result or {"events": [], "responses": []}))

    async def run(self, call: Dict[str, Any], timeout: float = ACTION_TIMEOUT_SECONDS) -> Dict[str, Any]:
        """rasa_sdk's answer to an action call: ``{"events": [...], "responses": [...]}``.
        Raises rasa_sdk's ``ActionExecutionRejection`` / ``ActionNotFoundException``, whatever
        the action raised, and ``asyncio.TimeoutError`` after ``timeout`` seconds."""
        work = asyncio.get_running_loop().run_in_executor(self._pool, self._run_on_this_thread, call)
        return await asyncio.wait_for(work, timeout)
