"""Fleet health (``mirta fleet``): every page's read-only checks on every node of an inventory.

- :mod:`~mirtalib.fleet.inventory`: the inventory file (groups, nodes, roles, variables).
- :mod:`~mirtalib.fleet.run`: the run (nodes in parallel, bounded by ``forks``; each node's pages
  one after another, in the engine's read-only fleet mode), certificates and versions per node.
- :mod:`~mirtalib.fleet.report`: ``reports/fleet/<run>.html``, ``.json``, ``.prom`` and the
  changes since the previous run.
"""

from mirtalib.fleet.inventory import (
    Inventory,
    Node,
    load_inventory,
    page_selection,
    parse_inventory,
)

__all__ = ["Inventory", "Node", "load_inventory", "page_selection", "parse_inventory"]
