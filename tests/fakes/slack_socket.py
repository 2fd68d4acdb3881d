"""The fake Socket Mode endpoint: the URL apps.connections.open hands out, a `hello` on
connect, envelopes pushed by tests, and the app's acks collected per envelope."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

from aiohttp import WSMsgType, web


class FakeSocketMode:
    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.tickets: set[str] = set()
        self.connections: list[web.WebSocketResponse] = []
        self.acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.connected = asyncio.Event()
        self.client_close_codes: list[int] = []
        """The code of each close frame a client sent; a dropped connection adds none."""

    def issue_ticket(self) -> str:
        ticket = secrets.token_hex(16)
        self.tickets.add(ticket)
        return ticket

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            return web.Response(status=401, text="invalid ticket")
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.connections),
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 3600},
                "connection_info": {"app_id": self.app_id},
            }
        )
        self.connected.set()
        try:
            while True:
                msg = await ws.receive()
                if msg.type == WSMsgType.CLOSE:
                    self.client_close_codes.append(int(msg.data))
                if msg.type != WSMsgType.TEXT:
                    break
                ack = msg.json()
                future = self.acks.get(ack.get("envelope_id", ""))
                if future is not None and not future.done():
                    future.set_result(ack)
        finally:
            self.connections.remove(ws)
            if not self.connections:
                self.connected.clear()
        return ws

    async def deliver(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        within: float = 5.0,
        to: int = -1,
    ) -> dict[str, Any]:
        """Push one envelope to one connection (by default the newest; `to` picks another,
        as Slack spreads envelopes over an app's connections) and return the app's ack."""
        await asyncio.wait_for(self.connected.wait(), within)
        envelope_id = str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.acks[envelope_id] = future
        await self.connections[to].send_json(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "payload": payload,
                "accepts_response_payload": envelope_type != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return await asyncio.wait_for(future, within)

    async def close_all(self) -> None:
        for ws in list(self.connections):
            await ws.close()
