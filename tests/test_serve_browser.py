"""The web page in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Nothing downloads a browser: Playwright is pointed at /usr/bin/chromium (``.ci/run`` installs it
when missing); without it these tests skip and say why. The server is uvicorn on a free
loopback port, serving the tiny trained bundle.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (the dev extra pins it)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does "
                "it in CI)", allow_module_level=True)

import uvicorn  # noqa: E402

from imdb_sentiment import Classifier  # noqa: E402
from imdb_sentiment.serve import ServeSettings, create_app  # noqa: E402

# DESIGN.md: the launch that works on this kind of machine
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
# where screenshots go: $IMDB_SENTIMENT_SCREENSHOTS, else the test's tmp_path
SCREENSHOTS = os.environ.get("IMDB_SENTIMENT_SCREENSHOTS")


@contextlib.contextmanager
def serving(app):
    """``http://127.0.0.1:PORT`` of ``app`` under uvicorn in a thread, for the block."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(scope="module")
def base_url(bundle):
    settings = ServeSettings(model_name="toy-bundle")
    with serving(create_app(Classifier.load(bundle), settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, base_url):
    """A page that records every URL it asks for."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    yield page
    context.close()


def shot(page, tmp_path: Path, name: str) -> Path:
    folder = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


def only_local(page, base_url):
    outside = [url for url in page.requested if not url.startswith(base_url)]
    assert not outside, f"the page asked for {outside}"


def test_type_a_review_score_it_and_see_label_probability_and_words(page, base_url, tmp_path):
    page.goto(base_url + "/")
    sync_api.expect(page.locator("#model")).to_contain_text("toy-bundle")
    sync_api.expect(page.locator("#model")).to_contain_text("test accuracy")
    page.fill("#review", "A great wonderful movie, I loved it")
    page.click("#score")
    label = page.locator("#label")
    sync_api.expect(label).to_have_text("positive")
    probability = float(re.search(r"= (0\.\d+|1\.000)", page.text_content("#probability"))[1])
    assert probability >= 0.5
    width = page.eval_on_selector("#bar-fill", "e => parseFloat(e.style.width)")
    assert width == pytest.approx(probability * 100, abs=0.1)
    positive = page.locator("#words span.pos")
    assert positive.count() >= 2  # "great", "wonderful", "loved" push towards positive
    assert set(positive.all_text_contents()) & {"great", "wonderful", "loved"}
    color = positive.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert color.startswith("rgba(27, 110, 58")  # green
    shot(page, tmp_path, "serve-page.png")
    only_local(page, base_url)


def test_keyboard_only_and_negative_words_in_red(page, base_url):
    page.goto(base_url + "/")
    page.focus("#review")
    page.keyboard.type("Bad boring awful terrible plot")
    page.keyboard.press("Control+Enter")
    sync_api.expect(page.locator("#label")).to_have_text("negative")
    negative = page.locator("#words span.neg")
    assert set(negative.all_text_contents()) & {"bad", "boring", "awful", "terrible"}
    assert "179, 38, 30" in negative.first.evaluate("e => getComputedStyle(e).backgroundColor")
    # Tab reaches the button, the examples and the file input
    focused = set()
    for _ in range(8):
        page.keyboard.press("Tab")
        focused.add(page.evaluate("document.activeElement.id || document.activeElement.className"))
    assert {"score", "example", "file"} <= focused


def test_review_text_is_shown_as_text_never_as_markup(page, base_url):
    page.goto(base_url + "/")
    page.fill("#review", 'good <img src=x onerror="document.title=\'owned\'"> <b>great</b>')
    page.click("#score")
    sync_api.expect(page.locator("#label")).not_to_be_empty()
    assert page.locator("#words img, #words b").count() == 0
    assert page.title() != "owned"


def test_example_reviews_are_one_click_away(page, base_url):
    page.goto(base_url + "/")
    page.locator(".example").first.click()
    sync_api.expect(page.locator("#label")).not_to_be_empty()
    assert page.input_value("#review") == page.locator(".example").first.text_content()


def test_upload_a_file_and_download_the_scored_csv(page, base_url, tmp_path):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("great wonderful film\nawful boring plot\n", encoding="utf-8")
    page.goto(base_url + "/")
    sync_api.expect(page.locator("#download")).to_be_hidden()  # until a file is scored
    page.set_input_files("#file", str(reviews))
    sync_api.expect(page.locator("#file-status")).to_contain_text("Scored 2 reviews")
    with page.expect_download() as download:
        page.click("#download")
    assert download.value.suggested_filename == "reviews-scored.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [(r["id"], r["label"]) for r in rows] == [("1", "positive"), ("2", "negative")]


def test_readable_at_phone_width(browser, base_url, tmp_path):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(base_url + "/")
    page.fill("#review", "great " * 60 + "loved it")
    page.click("#score")
    sync_api.expect(page.locator("#label")).to_have_text("positive")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    shot(page, tmp_path, "serve-phone.png")
    context.close()


def test_the_api_docs_work_offline(page, base_url):
    page.goto(base_url + "/docs")
    sync_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("imdb-sentiment")
    sync_api.expect(page.locator(".opblock-summary-path").first).to_be_visible()
    only_local(page, base_url)
