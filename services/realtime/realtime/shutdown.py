"""The consumers open in this process, so that a shutdown can tell each of them to reconnect.

Daphne knows its connections but not our consumers; the registry is how the SIGTERM handler
(realtime.server) reaches every open socket with close code 1012 before the process exits.
"""

import asyncio
import logging
from typing import Protocol

logger = logging.getLogger("realtime.shutdown")


class Closable(Protocol):
    async def shut(self, code: int) -> None: ...


class Registry:
    def __init__(self) -> None:
        self._open: set[Closable] = set()
        self.draining = False

    def add(self, consumer: Closable) -> None:
        self._open.add(consumer)

    def discard(self, consumer: Closable) -> None:
        self._open.discard(consumer)

    def __len__(self) -> int:
        return len(self._open)

    async def close_all(self, code: int) -> int:
        """Marks the process as draining (new sockets are refused the same way) and asks every
        open socket to close with `code`. Returns how many were asked."""
        self.draining = True
        consumers = list(self._open)
        results = await asyncio.gather(
            *(consumer.shut(code) for consumer in consumers), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                logger.warning("closing a socket failed: %r", result)
        return len(consumers)

    async def wait_closed(self, timeout: float, poll: float = 0.05) -> bool:
        """True once every socket is gone, False if some are still open after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._open and loop.time() < deadline:
            await asyncio.sleep(poll)
        return not self._open


registry = Registry()
