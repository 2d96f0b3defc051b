"""Take the README's screenshot of the page: ``python docs/screenshot.py BUNDLE docs/serve.png``.

Serves BUNDLE on a free loopback port, scores the page's third example review in Debian's
headless Chromium (Playwright with executable_path; nothing is downloaded) and saves the page.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import expect, sync_playwright

from imdb_sentiment import Classifier
from imdb_sentiment.serve import ServeSettings, create_app

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def main(bundle: str, output: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Classifier.load(bundle), ServeSettings(model_name=Path(bundle).name))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.1)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 820, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            expect(page.locator("#model")).to_contain_text("accuracy")
            page.locator(".example").nth(2).click()
            expect(page.locator("#label")).not_to_be_empty()
            page.screenshot(path=output, full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(30)


if __name__ == "__main__":
    main(*sys.argv[1:3])
