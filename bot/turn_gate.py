"""At most N conversation turns on the CPU at once in one Rasa server; a started turn goes first.

A turn is mostly CPU on the event loop (the parse, the policies, the rules) with awaits in between
(the tracker store, the actions, sends to Telegram or WhatsApp). Without a limit, every turn that
arrives starts at once and they take turns at each await: ten turns in progress on one replica
each advance a little at a time, so every answer waits on all the others and the slowest answers
are several times the median. Measured with `make bench` on this 2-core VM (2 replicas, 20 users,
REST, the same hour): p95 ÷ p50 was 2.4-2.5 without a limit and 1.4-2.1 with one turn at a time
(docs/deploy.md has the runs). The average wait cannot change (the same CPU work is done); the
unfair part of it is gone.

A turn steps out of the gate (``outside``) for every await that can take long: the tracker
store's database work, the custom actions (they run in worker threads or in the action server)
and the sends to the platforms. Meanwhile another turn uses the CPU, so a slow database or a
slow platform never stops the other users' turns. A turn coming back in goes before turns that
have not started yet: started turns finish first, whatever else arrived meanwhile.

``RASA_TURNS_AT_ONCE`` sets the limit (0: none, Rasa's own behaviour). The gate covers the turns
of the channels (Rasa's ``MessageProcessor.handle_message``), inside the conversation lock: a turn
waiting for the gate holds only its own user's lock, and a turn holding a place never waits for
a lock, so nothing can wait in a circle. Rasa's other entry points (reminders, the HTTP API's
``trigger_intent``, ``/model/parse``) are not gated.

The holder of a place is a task: a task started inside a turn does not hold its parent's place,
so it must not open a turn of its own while the parent waits for it (none of ours does).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import weakref
from collections import deque
from typing import AsyncIterator, Deque, Optional

# The task that holds a place in the gate: only it may step out (a task it starts copies this
# context, but does not hold the place).
_holder: contextvars.ContextVar[Optional[asyncio.Task]] = contextvars.ContextVar("turn_gate_holder", default=None)


class _Places:
    """A semaphore with two queues: turns coming back in are served before new ones."""

    def __init__(self, limit: int) -> None:
        self.free = limit
        self.returning: Deque[asyncio.Future] = deque()
        self.new: Deque[asyncio.Future] = deque()

    async def take(self, returning: bool) -> None:
        if self.free > 0 and not self.returning and (returning or not self.new):
            self.free -= 1
            return
        queue = self.returning if returning else self.new
        waiter = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give()  # handed a place, then cancelled before using it: pass it on
            elif waiter in queue:
                queue.remove(waiter)
            raise

    def give(self) -> None:
        for queue in (self.returning, self.new):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self.free += 1


class TurnGate:
    def __init__(self, limit: int = 0) -> None:
        self.limit = limit
        # One set of places per event loop (tests run several loops in one process).
        self._by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Places]" = weakref.WeakKeyDictionary()

    def _places(self) -> _Places:
        loop = asyncio.get_running_loop()
        places = self._by_loop.get(loop)
        if places is None:
            places = self._by_loop[loop] = _Places(self.limit)
        return places

    def free_places(self) -> int:
        """Places free now on the running loop (for tests and checks)."""
        return self._places().free

    def holds_place(self) -> bool:
        return self.limit > 0 and _holder.get() is asyncio.current_task()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """A place in the gate for the block (waiting behind started turns and earlier arrivals)."""
        if self.limit <= 0 or self.holds_place():
            yield
            return
        places = self._places()
        await places.take(returning=False)
        marker = _holder.set(asyncio.current_task())
        try:
            yield
        finally:
            # Not held any more only when a cancellation came while stepping out.
            if _holder.get() is not None:
                places.give()
            _holder.reset(marker)

    @contextlib.asynccontextmanager
    async def outside(self) -> AsyncIterator[None]:
        """Give the place up for the block (I/O that may take long); come back in first after."""
        if not self.holds_place():
            yield
            return
        places = self._places()
        places.give()
        marker = _holder.set(None)
        ending = False
        try:
            yield
        except asyncio.CancelledError:
            ending = True  # the turn is ending: no need to queue for a place only to give it back
            raise
        finally:
            if not ending:
                _holder.reset(marker)
                try:
                    await places.take(returning=True)
                except asyncio.CancelledError:
                    _holder.set(None)  # the ``turn`` block must not give back a place it does not hold
                    raise


# The Rasa server's gate (its limit set from the settings by bot/rasa_overrides.apply).
TURN_GATE = TurnGate()
