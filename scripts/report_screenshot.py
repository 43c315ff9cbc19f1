"""Screenshot of a report page in Debian's chromium (the picture in README): `python3
scripts/report_screenshot.py leaderboards/report/index.html docs/report.png`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main(page_path: Path, out: Path, width: int = 1920, height: int = 1500) -> None:
    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser_path is None:
        sys.exit("scripts/report_screenshot.py: no chromium on PATH (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(page_path.resolve().as_uri())
        page.wait_for_load_state("load")
        # From the suite's title down: its answer, the protocol and the leaderboard.
        page.evaluate("document.querySelector('h2').scrollIntoView()")
        page.screenshot(path=str(out))
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
