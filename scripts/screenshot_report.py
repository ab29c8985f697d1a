"""Render a report.html in real headless Chromium and save a PNG screenshot of it.

Why a real browser: the report is meant to be opened by people, so "the HTML parses" is not enough; the
self-test proves a browser lays it out (no external assets needed, nothing blank) and a person can look
at the PNG. Chromium runs with no network, no profile, no GPU and no sandbox (CI containers run as root).

    python scripts/screenshot_report.py reports/langgraph-api-0.16.7-inmem/report.html out.png
    python scripts/screenshot_report.py REPORT.html OUT.png --width 1280 --height 2000

Needs the Debian package ``chromium`` (``apt-get install -y chromium``); exit code 3 when it is missing.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NO_BROWSER_EXIT = 3


def find_chromium() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (no imaging library needed)."""
    head = path.read_bytes()[:24]
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    return struct.unpack(">II", head[16:24])


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2000, timeout: float = 120) -> Path:
    """Write ``png``; raise RuntimeError (with Chromium's output) if no screenshot was produced."""
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    html, png = html.resolve(), png.resolve()
    if not html.is_file():
        raise FileNotFoundError(f"no such report: {html}")
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            html.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if not png.is_file() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium exited {done.returncode} without a screenshot:\n{done.stderr[-2000:]}")
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=Path, help="the report.html to render")
    parser.add_argument("png", type=Path, nargs="?", help="where to write the PNG (default: beside the report)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    out = args.png or args.html.with_suffix(".png")
    try:
        written = screenshot(args.html, out, args.width, args.height)
    except FileNotFoundError as exc:
        print(f"screenshot_report: {exc}", file=sys.stderr)
        return NO_BROWSER_EXIT if "chromium" in str(exc) else 2
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"screenshot_report: {exc}", file=sys.stderr)
        return 1
    width, height = png_size(written)
    print(f"{written} ({width}x{height}, {written.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
