"""Asterisk 20 (chan_sip) nodes for the tests of pages 23, 32, 37 and 44.

The demo nodes srv01/srv02 are Asterisk 22.10.1 nodes, recorded from a real PBX: chan_sip and
chan_dahdi answer "No such command" there. The chan_sip/DAHDI logic of these pages is tested on a
copy of the isolated replays in which the synthetic answers of
``data/chan_sip_asterisk20/<node>.d/<page>.yaml`` (shaped after Asterisk 20's output, not
recorded; see their headers) take the place of the recorded answers of the same commands.
"""

from __future__ import annotations

from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data" / "chan_sip_asterisk20"


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def with_chan_sip(replay_dir: Path, page: str) -> Path:
    """Put the synthetic chan_sip/DAHDI answers of ``page`` into the replays in ``replay_dir``.

    Each node's fragment ``<node>.d/<page>.yaml`` keeps its other recordings; commands of the
    synthetic file replace (or add to) its commands. Returns ``replay_dir``.

    Raises:
        FileNotFoundError: when there is no synthetic file for ``page``.
    """
    replay_dir = Path(replay_dir)
    synthetic = sorted(DATA.glob(f"*.d/{page}.yaml"))
    if not synthetic:
        raise FileNotFoundError(f"no synthetic chan_sip answers for {page} under {DATA}")
    for source in synthetic:
        text = source.read_text(encoding="utf-8")
        frag = replay_dir / source.parent.name / source.name
        data = yaml.safe_load(frag.read_text(encoding="utf-8")) if frag.is_file() else {}
        data = data or {}
        commands = data.get("commands") or {}
        commands.update(yaml.safe_load(text)["commands"])
        data["commands"] = commands
        frag.parent.mkdir(parents=True, exist_ok=True)
        frag.write_text(_header(text) + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return replay_dir
