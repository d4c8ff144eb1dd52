"""Time the dashboard in a real browser: the first chart after opening the page, and a
200-run what-if from the Run click to its chart (plus the server's start and the first page,
which load numba's compiled rules). Optionally keep a screenshot for the README.

    .venv/bin/python benchmarks/bench_dashboard.py [--screenshot docs/dashboard.png]

Needs chromium (Debian: apt-get install chromium) at /usr/bin/chromium or $MC11_CHROMIUM.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("MC11_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _choose(page, label: str, option: str) -> None:
    page.locator(".v-select", has=page.locator(f"label:text-is('{label}')")).click()
    page.locator(".menuable__content__active .v-list-item",
                 has_text=re.compile(f"^{re.escape(option)}$")).click()


def _open(browser, url: str) -> tuple[object, float]:
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".outcome-chart img", timeout=180_000)
    return page, time.perf_counter() - start


def measure(screenshot: Path | None) -> dict[str, float]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    start = time.perf_counter()
    server = subprocess.Popen([Path(sys.executable).with_name("mc11"), "dashboard", "--port",
                               str(port)], stderr=subprocess.DEVNULL, start_new_session=True)
    times = {}
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        times["server answers (s)"] = time.perf_counter() - start
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page, times["first page, first chart (s)"] = _open(browser, url)
            page.close()
            page, times["page opened again, first chart (s)"] = _open(browser, url)
            # what if the members who link e-commerce to Doha (India's stance) held out on
            # every issue, caring about each as much as possible?
            _choose(page, "Change the preferences of", "a group")
            _choose(page, "Who", "India (Doha linkage) – doha_linkage_india")
            page.get_by_role("button", name="every issue").click()
            expect(page.locator(".current-values")).to_contain_text("doha_linkage_india")
            time.sleep(1)
            page.get_by_text("set salience").click()
            expect(page.locator(".salience-field input")).to_be_enabled()
            for css, value in (("position-field", "0"), ("salience-field", "1")):
                field = page.locator(f".{css} input")
                field.fill(value)
                field.press("Enter")
            page.locator(".add-change").click()
            page.locator(".edit-row").wait_for()
            clicked = time.perf_counter()
            page.locator(".run-button").click()
            # the what-if's results, not the chart redrawn as the edit marks the old ones out
            # of date (that came 0.1 s after the click, before the run's)
            expect(page.locator(".download-of")).to_contain_text("what-if, 200 runs",
                                                                 timeout=180_000)
            expect(page.locator(".out-of-date")).to_have_count(0)
            times["200-run what-if, click to chart (s)"] = time.perf_counter() - clicked
            if screenshot is not None:  # once the page shows the run over, not mid-way
                expect(page.locator(".run-button")).to_be_enabled(timeout=60_000)
                page.screenshot(path=str(screenshot))
            browser.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", type=Path, help="save the what-if page as this PNG")
    args = parser.parse_args()
    for name, seconds in measure(args.screenshot).items():
        print(f"{name:40s} {seconds:6.2f}")
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
