"""Real DNS servers on 127.0.0.1 for tests: dnsmasq and a dnspython server refusing like OpenDNS."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time

import dns.message
import dns.rcode
import dns.rrset

DNSMASQ = shutil.which("dnsmasq") or (
    "/usr/sbin/dnsmasq" if shutil.which("dnsmasq", path="/usr/sbin") else None
)
NOTICE = (
    "The OpenDNS service is currently unavailable in France and some French territories due to "
    "a court order under Article L.333-10 of the French Sport Code."
)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dnsmasq:
    """dnsmasq in the foreground on 127.0.0.1:PORT with only the given records (no upstream)."""

    def __init__(self, *records: str, port: int | None = None) -> None:
        self.port = port or free_udp_port()
        argv = [
            DNSMASQ,
            "--no-daemon",
            f"--port={self.port}",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--conf-file=/dev/null",
            "--log-facility=-",
            "--pid-file=",
            *records,
        ]
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait()

    def _wait(self) -> None:
        q = dns.message.make_query("ready.invalid", "A")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dnsmasq exited: {self.proc.stderr.read().decode()[:500]}")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.2)
                try:
                    s.sendto(q.to_wire(), ("127.0.0.1", self.port))
                    s.recv(4096)
                    return
                except OSError:
                    time.sleep(0.05)
        self.stop()
        raise RuntimeError("dnsmasq did not answer")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stderr:
            self.proc.stderr.close()


class RefusingServer:
    """A UDP DNS server (dnspython, in a thread) answering every query like OpenDNS does in
    France: REFUSED, no answer, a TXT notice in the additional section."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except OSError:
                continue
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            reply.set_rcode(dns.rcode.REFUSED)
            name = query.question[0].name
            reply.additional.append(dns.rrset.from_text(name, 0, "IN", "TXT", f'"{NOTICE}"'))
            self.queries += 1
            self.sock.sendto(reply.to_wire(), peer)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.sock.close()
