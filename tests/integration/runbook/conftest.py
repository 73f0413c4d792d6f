"""Fixtures of the runbook integration tests: ``sshd``, one OpenSSH server on 127.0.0.1 for the
session (root login, key auth); more servers with :func:`sshd_nodes.start_sshd`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "runbook"))
sys.path.insert(0, str(Path(__file__).parent))

from sshd_nodes import SshServer, start_sshd


@pytest.fixture(scope="session")
def sshd(tmp_path_factory) -> Iterator[SshServer]:
    with start_sshd(tmp_path_factory.mktemp("sshd")) as server:
        yield server
