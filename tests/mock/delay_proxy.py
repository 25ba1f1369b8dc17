#!/usr/bin/env python3
"""A TCP delay line in front of the mock IdP: what a host 100 ms from the
Region sees, on one machine. Standard library only.

    delay_proxy.py --target PORT [--port N] [--delay-ms MS] [--port-file F]

Every chunk of bytes reaches the other side MS milliseconds after it was
read (each way, order kept, pipelined: a round trip costs 2 x MS however
much is in flight). A new connection's first bytes wait one round trip
more, for the TCP handshake a local accept() does not cost. The TLS is the
mock's, end to end: the proxy sees only ciphertext.

Prints `READY <port>` once listening (and writes it to --port-file); runs
until SIGTERM/SIGINT or until its parent dies.
"""

import argparse
import asyncio
import os
import signal
import sys


async def pump(reader, writer, delay, first_extra):
    """Copies reader to writer, each chunk delivered `delay` seconds after
    it was read (the first one `first_extra` later still)."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    sender = asyncio.ensure_future(deliver())
    extra = first_extra
    try:
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + delay + extra, data))
            extra = 0.0
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()


async def serve(args):
    delay = args.delay_ms / 1000.0

    async def handle(c_reader, c_writer):
        try:
            s_reader, s_writer = await asyncio.open_connection("127.0.0.1", args.target)
        except OSError:
            c_writer.close()
            return
        try:
            await asyncio.gather(pump(c_reader, s_writer, delay, 2 * delay),
                                 pump(s_reader, c_writer, delay, 0.0),
                                 return_exceptions=True)
        finally:
            for w in (c_writer, s_writer):
                try:
                    w.close()
                except OSError:
                    pass

    server = await asyncio.start_server(handle, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w", encoding="ascii") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"READY {port}", flush=True)

    parent = os.getppid()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        if os.getppid() != parent:
            break
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass
    server.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", type=int, required=True, help="the mock's port on 127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--delay-ms", type=float, default=100.0, help="one way (default 100)")
    p.add_argument("--port-file")
    asyncio.run(serve(p.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
