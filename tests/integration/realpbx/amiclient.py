"""A small Asterisk Manager Interface client for the scenario driver (tests only).

One reader thread splits the stream into packets; responses are matched to actions by ActionID,
events are kept in arrival order with their raw text (``timestampevents = yes`` gives each one a
``Timestamp``), so the same capture feeds the events readers of the library.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from dataclasses import dataclass


@dataclass
class Packet:
    headers: list[tuple[str, str]]
    raw: str
    received: float  # time.time() when read

    def get(self, key: str, default: str = "") -> str:
        for k, v in self.headers:
            if k.lower() == key.lower():
                return v
        return default

    def getall(self, key: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == key.lower()]

    @property
    def event(self) -> str:
        return self.get("Event")


class AmiError(RuntimeError):
    """Raised when the manager refuses an action or does not answer."""


class Ami:
    """Logged-in AMI session on 127.0.0.1:``port``."""

    def __init__(self, port: int, user: str, secret: str, *, events: bool = True) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.settimeout(None)
        self._file = self.sock.makefile("rb")
        self.banner = self._file.readline().decode().strip()
        self._ids = itertools.count(1)
        self._lock = threading.Condition()
        self._responses: dict[str, Packet] = {}
        self.events: list[Packet] = []
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.action("Login", Username=user, Secret=secret, Events="on" if events else "off")

    # ---- stream -----------------------------------------------------------------------------
    def _read(self) -> None:
        lines: list[str] = []
        try:
            for raw in self._file:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if line:
                    lines.append(line)
                    continue
                if not lines:
                    continue
                headers = []
                for item in lines:
                    key, _sep, value = item.partition(":")
                    headers.append((key.strip(), value[1:] if value.startswith(" ") else value))
                packet = Packet(headers, "\r\n".join(lines) + "\r\n\r\n", time.time())
                lines = []
                with self._lock:
                    aid = packet.get("ActionID")
                    if packet.event:  # OriginateResponse has Response and ActionID too
                        self.events.append(packet)
                    elif aid:
                        self._responses[aid] = packet
                    self._lock.notify_all()
        finally:
            with self._lock:
                self._closed = True
                self._lock.notify_all()

    def send(self, action: str, **fields: str) -> str:
        aid = f"mirta-{next(self._ids)}"
        lines = [f"Action: {action}", f"ActionID: {aid}"]
        for key, value in fields.items():
            if isinstance(value, list | tuple):
                lines += [f"{key}: {v}" for v in value]
            else:
                lines.append(f"{key}: {value}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return aid

    def wait_response(self, aid: str, timeout: float = 15) -> Packet:
        deadline = time.monotonic() + timeout
        with self._lock:
            while aid not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise AmiError(f"no response to {aid}")
                self._lock.wait(left)
            return self._responses.pop(aid)

    def action(self, action: str, timeout: float = 15, **fields: str) -> Packet:
        packet = self.wait_response(self.send(action, **fields), timeout)
        if packet.get("Response") == "Error":
            raise AmiError(f"{action}: {packet.get('Message')}")
        return packet

    def command(self, command: str) -> Packet:
        """``Action: Command``: the packet's raw text is what an AMI capture of it looks like.

        An unknown command is answered ``Response: Error`` with its output; that is kept too.
        """
        return self.wait_response(self.send("Command", Command=command))

    def wait_event(self, match, timeout: float = 30, start: int = 0) -> Packet:
        """First event (from index ``start``) for which ``match(packet)`` is true."""
        deadline = time.monotonic() + timeout
        with self._lock:
            i = start
            while True:
                while i < len(self.events):
                    if match(self.events[i]):
                        return self.events[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise AmiError("event not seen in time")
                self._lock.wait(left)

    def close(self) -> None:
        try:
            self.send("Logoff")
            time.sleep(0.05)
        except OSError:
            pass
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
