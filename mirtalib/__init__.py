"""mirtalib: the library behind the MiRTA PBX ops notebooks.

All logic lives here, grouped by concern; notebooks only call it and explain.
"""

import logging

__version__ = "0.1.0"

logger = logging.getLogger("mirtalib")
logger.addHandler(logging.NullHandler())
