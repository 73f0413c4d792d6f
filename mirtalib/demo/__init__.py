"""The demo PBX: a deterministic two-node, multi-tenant MiRTA PBX for the demo, notebooks and tests.

``ensure_demo()`` returns the paths of the demo PBX, building it first when it is missing or was
built by another version of the generator (the cache key is a hash of this package's source files).
"""

from __future__ import annotations

from mirtalib.demo.paths import DemoPaths, demo_root, ensure_demo, require_demo

__all__ = ["DemoPaths", "demo_root", "ensure_demo", "require_demo"]
