"""The HTML report, opened in a real headless browser (Debian's chromium driven by Playwright).

The runs are real (a tiny suite, trained and scored); a plugin whose distribution name and error
message carry a script tag must show as text and run nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ganbench.builtin.suites import SUITES_DIR
from ganbench.leaderboard import decode_series
from tests.conftest import write_plugin

EVIL = "<script>alert(1)</script>"
EVIL_LOSS = f'''
from ganbench import LossSpec, Regularizer, RegularizerSpec, hookimpl


class EvilLoss:
    def discriminator_loss(self, real_logits, fake_logits):
        raise RuntimeError("{EVIL}")

    def generator_loss(self, fake_logits, real_logits):
        return fake_logits.mean()


class Brightness(Regularizer):
    def generator_penalty(self, discriminator, real, fake):
        return (fake.mean() - real.mean()).square()


@hookimpl
def register_losses(register):
    register(LossSpec("evil-loss", "{EVIL}", "{EVIL}", EvilLoss))


@hookimpl
def register_regularizers(register):
    register(RegularizerSpec("brightness", "A generator-side term", "test", Brightness))
'''


def chromium() -> str:
    """The system chromium (CI installs Debian's); the test must not skip where CI runs it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI_REQUIRE_BROWSER"):
        pytest.fail("no chromium on PATH, and .ci/run requires one")
    pytest.skip("no chromium on PATH (apt-get install chromium)")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real tiny run of three entries (one from a hostile plugin, whose runs fail) and its report."""
    cwd = tmp_path_factory.mktemp("report")
    site = cwd / "site"
    write_plugin(site, "ganbench-evil", "ganbench_evil", EVIL_LOSS)
    metadata = next(site.glob("*.dist-info")) / "METADATA"
    metadata.write_text(f"Metadata-Version: 2.1\nName: ganbench-evil{EVIL}\nVersion: 0.1.0\n")
    suite = cwd / "tiny.toml"
    suite.write_text((SUITES_DIR / "smoke.toml").read_text().replace('name = "smoke"', 'name = "tiny"')
                     .replace("fid_samples = 128", "fid_samples = 64"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("GANBENCH_LOAD_PLUGINS", None)
    run = subprocess.run([sys.executable, "-m", "ganbench", "run", "--suite-file", str(suite), "--arch", "dcgan",
                          "--reg", "none", "--reg", "brightness", "--loss", "non-saturating", "--loss", "hinge",
                          "--loss", "evil-loss"],
                         cwd=cwd, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    made = subprocess.run([sys.executable, "-m", "ganbench", "report", "tiny", "--out", "site-report"],
                          cwd=cwd, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    return cwd / "site-report" / "index.html"


def test_report_in_a_real_browser(report: Path) -> None:
    from playwright.sync_api import sync_playwright

    runs = pd.read_csv(report.parent.parent / "leaderboards" / "tiny-fashion-mnist-runs.csv")
    entries = runs["entry"].nunique()
    assert entries == 4 and (runs.loc[runs["loss"] == "evil-loss", "status"] == "failed").all()
    # A regularizer's generator-side term is logged apart from the G loss, in the curves and the tables.
    term = runs[runs["regularizer"] == "brightness"]
    assert len(term) == 2 and term["final_g_penalty"].between(0, 4).all() and runs["final_g_penalty"].notna().sum() == 2
    assert all(len(decode_series(v)) == len(decode_series(s)) > 0 for v, s in zip(term["plot_g_penalty"],
                                                                                  term["plot_step"], strict=True))
    html = report.read_text()
    assert "http://" not in html and "https://" not in html  # nothing loads from the network
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        rows = page.locator("table.board tbody tr")
        assert rows.count() == entries
        # Clicking "entry" sorts by name; clicking again reverses; "median structure FID" sorts by value.
        names = sorted(runs["entry"].unique())
        header = page.locator("table.board th", has_text="entry").first
        header.click()
        assert [rows.nth(i).locator("td.entry").inner_text() for i in range(entries)] == names
        header.click()
        assert [rows.nth(i).locator("td.entry").inner_text() for i in range(entries)] == names[::-1]
        page.locator("table.board th", has_text="median structure FID").first.click()
        fids = [rows.nth(i).locator("td").nth(4).inner_text() for i in range(entries)]
        finite = [float(v) for v in fids if v not in ("-", "lost")]
        assert finite == sorted(finite) and fids[-1] == "lost"  # the failed entry's median is a lost seed
        # Every image loads: samples of each completed seed, the real grid, spectra, curves, the scatter.
        images = page.locator("img")
        widths = [images.nth(i).evaluate("img => img.complete && img.naturalWidth") for i in range(images.count())]
        completed = int((runs["status"] == "completed").sum())
        assert len(widths) >= completed + 1 + 2 * 2 + 1 and all(w > 0 for w in widths), widths
        # The hostile text shows as text and runs nothing.
        body = page.inner_text("body")
        assert f"ganbench-evil{EVIL}==0.1.0" in body and f"RuntimeError: {EVIL}" in body
        # The protocol box says which machine type and which locked package set made the numbers.
        assert f"\nmachine\ncpu {runs['cpu_capability'].iloc[0]}\n" in body, body[:800]
        assert f"\nlock\n{runs['lock'].iloc[0]}\n" in body and runs["lock"].iloc[0].startswith("runtime@")
        assert dialogs == [] and page.locator("script").count() == 1
        assert all(url.startswith("file://") for url in requests), requests
        browser.close()
