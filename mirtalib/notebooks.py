"""Notebook machinery (papermill runner, report index, regeneration of committed notebooks).

The implementation lives in :mod:`mirtalib.nbrun`; this module is the stable import point named in
docs/ARCHITECTURE.md.
"""

from mirtalib.nbrun import *  # noqa: F403
from mirtalib.nbrun import __all__  # noqa: F401
