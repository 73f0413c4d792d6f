"""isolated_replays copies the recorded nodes with only the named pages' fragments."""

from __future__ import annotations

from mirtalib.runbook.replay import isolated_replays, replay_dir


def test_only_named_fragments_are_copied(tmp_path):
    opts = isolated_replays(tmp_path / "r", ["p16", "p99-does-not-exist"])
    dest = opts["replay_dir"]
    assert dest == tmp_path / "r"
    for node in ("srv01", "srv02"):
        assert (dest / f"{node}.yaml").read_bytes() == (replay_dir() / f"{node}.yaml").read_bytes()
        copied = sorted(p.name for p in (dest / f"{node}.d").iterdir())
        shipped = {p.name for p in (replay_dir() / f"{node}.d").glob("*.yaml")}
        assert set(copied) <= {"p16.yaml"} and set(copied) <= shipped
    # calling it again on the same folder is fine (fixtures reuse folders)
    assert isolated_replays(dest, ["p16"], nodes=["srv01"]) == {"replay_dir": dest}
