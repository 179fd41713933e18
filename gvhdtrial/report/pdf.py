"""HTML -> PDF (and PNG screenshots) with Debian's headless Chromium.

Chromium lays the report out with the print CSS of :mod:`gvhdtrial.report.html` (A4, a page
break before every major section) and prints it without header or footer. Nothing is fetched:
background networking, component updates and sync are off, and a throw-away profile is used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Where Debian's ``chromium`` package puts the browser; ``GVHDTRIAL_CHROMIUM`` overrides it.
CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "install it with: apt-get install -y chromium (Debian/Ubuntu package 'chromium')"

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--hide-scrollbars",
)


class PdfError(RuntimeError):
    """Chromium could not print the report."""


class ChromiumNotFoundError(PdfError):
    """No Chromium to print with; the message says what to install."""


def chromium_path() -> str:
    """The Chromium executable to use, or :class:`ChromiumNotFoundError`."""
    path = os.environ.get("GVHDTRIAL_CHROMIUM", CHROMIUM)
    found = shutil.which(path)
    if found is None:
        raise ChromiumNotFoundError(
            f"Chromium not found at {path}: cannot print the PDF; {INSTALL_HINT}"
        )
    return found


def _run(args: list[str], output: Path, timeout: float) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        output.unlink()
    with tempfile.TemporaryDirectory(prefix="gvhdtrial-chromium-") as profile:
        cmd = [chromium_path(), *_FLAGS, f"--user-data-dir={profile}", *args]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(f"Chromium did not finish within {timeout:.0f} s") from exc
    if proc.returncode != 0 or not output.exists() or output.stat().st_size == 0:
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-5:])
        raise PdfError(f"Chromium failed (exit {proc.returncode}) writing {output}:\n{tail}")


def print_pdf(
    html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str], *, timeout: float = 180.0
) -> Path:
    """Print ``html_path`` to ``pdf_path`` (A4, no header/footer); return the PDF path."""
    html_file = Path(html_path).resolve()
    pdf = Path(pdf_path).resolve()
    _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", html_file.as_uri()], pdf, timeout)
    return pdf


def screenshot(
    html_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str],
    *,
    width: int = 1280,
    height: int = 4000,
    timeout: float = 120.0,
) -> Path:
    """A PNG of the page as a browser window of ``width`` x ``height`` shows it."""
    html_file = Path(html_path).resolve()
    png = Path(png_path).resolve()
    _run(
        [f"--screenshot={png}", f"--window-size={width},{height}", html_file.as_uri()], png, timeout
    )
    return png
