#!/usr/bin/env python
"""Screenshots of the three report page kinds (team report, a scorecard, a call page) with
headless Chromium, so a person can look at them.

    python scripts/screenshot_report.py RESULTS_DIR/report [--out screenshots/]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def shoot(page: Path, target: Path, height: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (scripts/setup.sh --with-browser installs it)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", "--hide-scrollbars", f"--window-size=1280,{height}",
             f"--screenshot={target}", page.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path, help="the report folder (with index.html)")
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    agents = sorted((args.report / "agents").glob("*.html"))
    calls = sorted((args.report / "calls").glob("*.html"))
    pages = [("team-report.png", args.report / "index.html", 4200)]
    if agents:
        pages.append(("scorecard.png", agents[0], 2600))
    if calls:
        pages.append(("call.png", calls[0], 2200))
    for name, page, height in pages:
        shoot(page, args.out / name, height)
        print(f"{args.out / name}  <- {page}")


if __name__ == "__main__":
    main()
