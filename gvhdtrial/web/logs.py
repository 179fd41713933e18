"""Logging handler that writes to whatever ``sys.stderr`` is at the time of the record.

The plain ``StreamHandler`` keeps the stream it was created with; under pytest (which swaps and
later closes captured streams) that stream may be closed by the time an ERROR is logged.
"""

from __future__ import annotations

import logging
import sys
from typing import Any


class CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass
