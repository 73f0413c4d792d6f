"""Fixtures: real TLS (openssl s_server) and DNS (dnsmasq, a refusing server) on loopback."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def load(name: str):
    """Import a helper module of this folder (tests run with --import-mode=importlib)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


tlsserver = load("tlsserver")
dnsserver = load("dnsserver")


@pytest.fixture
def s_server(tmp_path):
    """Factory: s_server(files, *options) -> running server (stopped at teardown)."""
    if tlsserver.OPENSSL is None:
        pytest.skip("openssl is not installed (Debian package openssl)")
    started = []

    def start(files, *options):
        srv = tlsserver.SServer(files, *options)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def dnsmasq():
    """Factory: dnsmasq(*records) -> running dnsmasq on 127.0.0.1 (stopped at teardown)."""
    if dnsserver.DNSMASQ is None:
        pytest.skip("dnsmasq is not installed (Debian package dnsmasq)")
    started = []

    def start(*records, port=None):
        srv = dnsserver.Dnsmasq(*records, port=port)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def refusing_dns():
    srv = dnsserver.RefusingServer()
    yield srv
    srv.stop()


@pytest.fixture
def refusing_dns_at():
    """Factory: refusing_dns_at(host, port) -> a refusing server bound there."""
    started = []

    def start(host, port):
        srv = dnsserver.RefusingServer(host, port)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


@pytest.fixture
def make_chain(tmp_path):
    """Factory: make_chain(host, **options) -> CA/leaf/key PEM files in a fresh folder."""
    count = iter(range(100))

    def make(host, **options):
        folder = tmp_path / f"pki{next(count)}"
        folder.mkdir()
        return tlsserver.make_chain(folder, host, **options)

    return make


@pytest.fixture
def closed_port():
    return tlsserver.free_port()
