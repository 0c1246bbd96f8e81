"""Logging set-up: a rotating file in the data dir; BSNs never reach a log line in full."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

_NINE_DIGITS = re.compile(r"(?<!\d)(\d{5})(\d{4})(?!\d)")


def mask_bsns(text: str) -> str:
    """Mask every standalone run of nine digits (a possible BSN) as ``*****6782``."""
    return _NINE_DIGITS.sub(lambda mt: "*****" + mt.group(2), text)


class BsnMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_bsns(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


def setup_logging(logs_dir: Path, *, verbose: bool = False) -> None:
    logs_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    handler = logging.handlers.RotatingFileHandler(
        logs_dir / "console.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(BsnMaskingFilter())
    root.addHandler(handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
