"""A TCP relay between browsers and the server that times each script run at the server's socket.

`benchmarks/load.py` points every browser context at its own relay port. The relay forwards every
byte unchanged and at once; on websocket connections it also reads the frames as they pass: the last
message from the browser (the rerun request) and the server's script_finished message. The time
between the two is the server's part of a run plus loopback, measured outside the browsers, so a
browser starved of CPU (ten of them share this machine's cores) does not inflate it.

Runs in a process and session of its own (`start`), at the server's priority, and reports `(port, seconds)` per
finished run on a queue.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import struct
import time

from cnnviz.browser import ends_run

SMALL = 2048  # script_finished is a few bytes: larger frames (figures) are forwarded unparsed
BINARY, FIN = 0x2, 0x80


class Frames:
    """Reads websocket frames from a byte stream fed in chunks; calls on_frame(payload or None, first byte)."""

    def __init__(self, on_frame) -> None:
        self.buffer, self.on_frame = bytearray(), on_frame

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        while (frame := self._frame()) is not None:
            head, payload = frame
            self.on_frame(head, payload)

    def _frame(self) -> tuple[int, bytes | None] | None:
        buf = self.buffer
        if len(buf) < 2:
            return None
        masked, length, at = buf[1] & 0x80, buf[1] & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, at = struct.unpack(">H", buf[2:4])[0], 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, at = struct.unpack(">Q", buf[2:10])[0], 10
        mask = b""
        if masked:
            mask, at = buf[at : at + 4], at + 4
        if len(buf) < at + length:
            return None
        head = buf[0]
        payload = None
        if length <= SMALL:
            payload = bytes(buf[at : at + length])
            if masked:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        del buf[: at + length]
        return head, payload


async def head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """Forward an HTTP head (request or response) and return it."""
    data = await reader.readuntil(b"\r\n\r\n")
    writer.write(data)
    return data


async def forward(reader, writer, frames: Frames | None) -> None:
    while chunk := await reader.read(65536):
        writer.write(chunk)
        if frames is not None:
            frames.feed(chunk)
    writer.close()


async def relay(port: int, server_port: int, report, ready: asyncio.Event) -> None:
    """Accept browsers on `port` and relay them to the server, timing each run on websocket connections."""
    state = {"sent": 0.0}

    def from_browser(first: int, _payload) -> None:
        if first & 0x0F == BINARY:
            state["sent"] = time.monotonic()

    def from_server(first: int, payload) -> None:
        if first & FIN and first & 0x0F == BINARY and payload is not None and ends_run(payload):
            report(port, time.monotonic() - state["sent"])

    async def connection(c_reader, c_writer) -> None:
        s_reader, s_writer = await asyncio.open_connection("127.0.0.1", server_port)
        try:
            request = await head(c_reader, s_writer)
            websocket = b"upgrade: websocket" in request.lower()
            if websocket:
                await head(s_reader, c_writer)
            await asyncio.gather(
                forward(c_reader, s_writer, Frames(from_browser) if websocket else None),
                forward(s_reader, c_writer, Frames(from_server) if websocket else None),
            )
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            c_writer.close()
            s_writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", port)
    ready.set()
    async with server:
        await server.serve_forever()


def _main(ports: list[int], server_port: int, queue) -> None:
    os.setsid()  # a session (and so a scheduling autogroup) of its own: not niced with the browsers

    async def all_ports() -> None:
        events = [asyncio.Event() for _ in ports]
        relays = [
            asyncio.create_task(relay(port, server_port, lambda p, s: queue.put((p, s)), ready))
            for port, ready in zip(ports, events)
        ]
        for ready in events:
            await ready.wait()
        queue.put(("ready", 0.0))
        await asyncio.gather(*relays)

    asyncio.run(all_ports())


def start(ports: list[int], server_port: int, timeout_s: float = 60.0):
    """The relay in its own process, listening on every port: (process, queue of (port, seconds))."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_main, args=(ports, server_port, queue), daemon=True)
    process.start()
    if queue.get(timeout=timeout_s) != ("ready", 0.0):
        raise RuntimeError("the relay did not start")
    return process, queue
