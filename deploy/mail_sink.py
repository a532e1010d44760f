"""A mail catcher for the dev profile: an SMTP server that writes every message to a folder.

    python deploy/mail_sink.py --listen 127.0.0.1:1025 --folder /app/var/mail

Each message becomes one ``<time>-<n>.log`` file in the layout of Django's file backend (the
message, then a line of 79 dashes), so the mails of ``make run`` and of the compose stack read
alike. It accepts any sender and recipient and keeps everything: never point real mail at it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import time
from pathlib import Path

SEPARATOR = b"\n" + b"-" * 79 + b"\n"
# RFC 5321 §4.5.3.1.7: a message of at most this size is enough for account mails.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
_counter = itertools.count()


def message_store(folder: Path, message: bytes) -> Path:
    """Write one message to ``folder`` and return its file."""
    path = folder / f"{time.time_ns()}-{next(_counter)}.log"
    path.write_bytes(message.replace(b"\r\n", b"\n") + SEPARATOR)
    return path


async def _data(reader: asyncio.StreamReader) -> bytes | None:
    """Read a DATA section up to the lone dot; None when it is too big."""
    lines: list[bytes] = []
    size = 0
    while (line := await reader.readline()) not in (b".\r\n", b".\n", b""):
        size += len(line)
        if size <= MAX_MESSAGE_BYTES:
            # RFC 5321 §4.5.2: a leading dot was doubled by the sender.
            lines.append(line[1:] if line.startswith(b"..") else line)
    return None if size > MAX_MESSAGE_BYTES else b"".join(lines)


async def session(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, folder: Path
) -> None:
    """Speak just enough SMTP (RFC 5321) for Django's SMTP backend, one client at a time."""

    async def reply(text: str) -> None:
        writer.write(f"{text}\r\n".encode())
        await writer.drain()

    await reply("220 mail-sink ESMTP")
    try:
        while line := await reader.readline():
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                await reply(f"250-mail-sink\r\n250 SIZE {MAX_MESSAGE_BYTES}")
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                await reply("250 OK")
            elif verb == b"DATA":
                await reply("354 End data with <CR><LF>.<CR><LF>")
                message = await _data(reader)
                if message is None:
                    await reply("552 Message too big")
                else:
                    await reply(f"250 Stored as {message_store(folder, message).name}")
            elif verb == b"QUIT":
                await reply("221 Bye")
                break
            else:
                await reply("502 Command not implemented")
    finally:
        writer.close()


async def serve(host: str, port: int, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    server = await asyncio.start_server(
        lambda reader, writer: session(reader, writer, folder=folder), host, port
    )
    # As a container's first process, SIGTERM does nothing unless handled: stop at once.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, server.close)
    print(f"mail-sink: SMTP on {host}:{port}, messages in {folder}", flush=True)
    async with server:
        await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:1025")
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    asyncio.run(serve(host or "127.0.0.1", int(port), args.folder))


if __name__ == "__main__":
    main()
