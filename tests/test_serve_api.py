"""The HTTP API on the tiny trained bundle: same answers as `predict`, limits, errors, metrics."""

from __future__ import annotations

import csv
import io
import logging
import re
import threading

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from click.testing import CliRunner  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from imdb_sentiment import Classifier  # noqa: E402
from imdb_sentiment.cli import main  # noqa: E402
from imdb_sentiment.serve import ServeSettings, create_app  # noqa: E402

REVIEWS = ["Great wonderful film, loved it", "Bad boring awful plot", "", "the movie was a film",
           "excellent " * 40 + "terrible"]
SMALL = ServeSettings(max_body_bytes=4000, max_reviews=8, max_chars=500, max_explain_reviews=3,
                      max_upload_bytes=6000, model_name="toy")


@pytest.fixture(scope="module")
def classifier(bundle):
    return Classifier.load(bundle)


@pytest.fixture(scope="module")
def client(classifier):
    with TestClient(create_app(classifier, SMALL)) as client:
        yield client


def predict(client, **body):
    return client.post("/v1/predict", json=body)


def cli_rows(bundle, tmp_path, reviews) -> list[dict]:
    source = tmp_path / "reviews.txt"
    source.write_text("\n".join(reviews) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["predict", str(bundle), "--input", str(source),
                                       "--output", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(out.open(encoding="utf-8")))


def test_predict_answers_as_the_command_line_does_in_order(client, bundle, tmp_path):
    reviews = [r for r in REVIEWS if r]  # a .txt input skips no line, but keep it plain
    expected = cli_rows(bundle, tmp_path, reviews)
    response = predict(client, texts=reviews)
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "toy"
    got = body["predictions"]
    assert [p["id"] for p in got] == [1, 2, 3, 4]  # as predict numbers them
    for row, prediction in zip(expected, got, strict=True):
        assert prediction["label"] == row["label"]
        assert prediction["probability"] == pytest.approx(float(row["probability"]), abs=1e-5)
    assert {p["label"] for p in got} == {"positive", "negative"}


def test_one_text_and_ids(client, classifier):
    single = predict(client, text=REVIEWS[0]).json()["predictions"]
    assert len(single) == 1 and single[0]["id"] == 1
    assert single[0]["label"] == classifier.predict(REVIEWS[0]).label
    ids = ["a", 7, "c", "d", "e"]
    got = predict(client, texts=REVIEWS, ids=ids).json()["predictions"]
    assert [p["id"] for p in got] == ids


def test_explain_gives_every_word_and_the_top_words_as_predict_explain(client, classifier):
    text = "the plot was bad but the actor was great"
    got = predict(client, text=text, explain=True, top=3).json()["predictions"][0]
    expected = classifier.explain(text)
    assert [t["token"] for t in got["tokens"]] == [t.token for t in expected.tokens]
    for mine, theirs in zip(got["tokens"], expected.tokens, strict=True):
        assert mine["contribution"] == pytest.approx(theirs.contribution, abs=1e-5)
        assert mine["seen"] is theirs.seen
    assert list(got["top_words"]) == list(dict.fromkeys(t.token for t in expected.top(3)))
    plain = predict(client, text=text).json()["predictions"][0]
    assert "tokens" not in plain and "top_words" not in plain


@pytest.mark.parametrize("body, limit, value", [
    ({"texts": ["good"] * 9}, "max_reviews", 8),
    ({"texts": ["good"] * 4, "explain": True}, "max_explain_reviews", 3),
    ({"texts": ["good", "x" * 501]}, "max_chars", 500),
    ({"text": "good " * 1000}, "max_body_bytes", 4000),
])
def test_each_limit_is_a_413_naming_the_limit_and_its_value(client, body, limit, value):
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 413
    error = response.json()
    assert (error["error"], error["limit"], error["value"]) == ("payload_too_large", limit, value)
    assert str(value) in error["message"]


def test_a_chunked_body_over_the_limit_is_refused_too(client):
    def chunks():
        yield b'{"text": "'
        for _ in range(100):
            yield b"good " * 20
        yield b'"}'

    response = client.post("/v1/predict", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["limit"] == "max_body_bytes"


@pytest.mark.parametrize("content, status, error", [
    (b'{"text": ', 400, "malformed_json"),
    (b'{"text": "\xff\xfe bad bytes"}', 400, "bad_request"),
    (b'{"text": 5}', 422, "invalid_request"),
    (b'{"texts": "not a list"}', 422, "invalid_request"),
    (b'{"texts": []}', 422, "invalid_request"),
    (b'{}', 422, "invalid_request"),
    (b'{"text": "a", "texts": ["b"]}', 422, "invalid_request"),
    (b'{"texts": ["a", "b"], "ids": [1]}', 422, "invalid_request"),
    (b'{"text": "a", "explain": "yes"}', 422, "invalid_request"),
    (b'{"text": "a", "colour": "blue"}', 422, "invalid_request"),
    (b'[1, 2]', 422, "invalid_request"),
    (b'', 422, "invalid_request"),
])
def test_bad_input_is_a_4xx_json_error(client, content, status, error):
    response = client.post("/v1/predict", content=content,
                           headers={"content-type": "application/json"})
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error and body["message"]
    assert "Traceback" not in response.text


def test_unknown_paths_and_methods_are_json(client):
    missing = client.get("/v2/nothing")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = client.delete("/v1/predict")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


class SlowClassifier:
    """The real classifier whose ``predict`` waits for ``release``: fills the queue on cue."""

    def __init__(self, classifier):
        self._classifier = classifier
        self.entered, self.release = threading.Event(), threading.Event()

    def __getattr__(self, name):
        return getattr(self._classifier, name)

    def predict(self, texts):
        self.entered.set()
        self.release.wait(10)
        return self._classifier.predict(texts)


def test_a_full_queue_is_a_503_with_retry_after(classifier):
    slow = SlowClassifier(classifier)
    settings = ServeSettings(max_queue=2, max_wait_ms=0, retry_after_s=3)
    with TestClient(create_app(slow, settings)) as client:
        answers = []
        first = threading.Thread(target=lambda: answers.append(predict(client, texts=["a", "b"])))
        first.start()
        assert slow.entered.wait(10)
        refused = predict(client, text="good")
        slow.release.set()
        first.join(10)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "3"
    assert refused.json()["error"] == "queue_full"
    assert answers[0].status_code == 200


def test_health_ready_and_model(client, classifier, trained):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready"}
    info = client.get("/v1/model").json()
    assert info["name"] == "toy" and info["format_version"] == 1
    assert info["config"] == classifier.config.to_dict()
    assert info["metrics"]["test_accuracy"] == classifier.metrics["test_accuracy"]
    assert info["limits"]["max_reviews"] == 8
    assert re.fullmatch(r"[0-9a-f]{64}", info["sha256"])
    # the hash is the model's: the same before saving and after loading, another for another
    from imdb_sentiment.serve.model_info import content_hash

    assert content_hash(trained) == info["sha256"]
    other = Classifier(trained.model, trained.vocabulary,
                       trained.config.__class__(**{**trained.config.to_dict(), "seed": 1}))
    assert content_hash(other) != info["sha256"]


def test_not_ready_before_startup(classifier):
    client = TestClient(create_app(classifier))  # not entered: no startup, no warm-up
    assert client.get("/ready").status_code == 503
    response = predict(client, text="good")
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert client.get("/health").status_code == 200


def test_metrics_count_requests_reviews_and_batches(client):
    predict(client, texts=["good", "bad", "fine"])
    text = client.get("/metrics").text
    assert text.startswith("# HELP")
    for name in ("imdb_sentiment_requests_total", "imdb_sentiment_request_seconds_bucket",
                 "imdb_sentiment_reviews_scored_total", "imdb_sentiment_batch_size_bucket",
                 "imdb_sentiment_in_flight_requests", "process_resident_memory_bytes"):
        assert name in text
    ok = re.search(r'imdb_sentiment_requests_total\{method="POST",path="/v1/predict",'
                   r'status="200"\} (\d+)', text)
    assert ok and int(float(ok.group(1))) >= 1
    client.get("/no/such/path/12345")
    assert "/no/such/path" not in client.get("/metrics").text  # labelled "other"


def test_one_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="imdb_sentiment.serve"):
        predict(client, texts=["good", "bad"])
        client.get("/bad%0Apath")  # the server sees a newline in the path
    lines = [r.getMessage() for r in caplog.records if r.name == "imdb_sentiment.serve"]
    assert re.fullmatch(r"POST /v1/predict 200 \d+\.\dms reviews=2", lines[0])
    assert re.fullmatch(r"GET /bad\\npath 404 \d+\.\dms reviews=0", lines[1])  # one line


def test_a_file_is_scored_into_the_csv_predict_writes(client, bundle, tmp_path):
    reviews = ["great film", "awful, boring", "the plot"]
    expected = cli_rows(bundle, tmp_path, reviews)
    response = client.post("/v1/predict/file?format=txt", content="\n".join(reviews) + "\n",
                            headers={"content-type": "text/plain"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-review-count"] == "3"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["id"], r["label"]) for r in rows] == [(r["id"], r["label"]) for r in expected]
    table = 'id,text\nx1,"great, great film"\nx2,"awful\nboring"\n'
    rows = list(csv.DictReader(io.StringIO(client.post(
        "/v1/predict/file?format=csv", content=table).text)))
    assert [r["id"] for r in rows] == ["x1", "x2"]


@pytest.mark.parametrize("query, content, status, says", [
    ("format=txt", b"good\n\xff bad\n", 422, "the uploaded file line 2 is not valid UTF-8"),
    ("format=csv", b"id,review\n1,good\n", 422, "text"),
    ("format=exe", b"good\n", 422, "format must be one of"),
    ("format=txt", b"", 422, "no reviews"),
    ("format=txt", b"x" * 600 + b"\n", 413, "max_chars"),
    ("format=txt", b"good film\n" * 700, 413, "max_upload_bytes"),
])
def test_a_bad_file_is_a_4xx_json_error(client, query, content, status, says):
    response = client.post(f"/v1/predict/file?{query}", content=content)
    assert response.status_code == status
    assert says in response.json()["message"]
    assert "/tmp" not in response.json()["message"]


def test_pages_load_nothing_from_outside(client):
    for path in ("/", "/docs"):
        page = client.get(path)
        assert page.status_code == 200
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", page.text), path
        for asset in re.findall(r"(?:src|href)=[\"']([^\"']+)[\"']", page.text):
            assert client.get(asset).status_code == 200, asset
    assert "default-src 'self'" in client.get("/").headers["content-security-policy"]
    assert client.get("/openapi.json").json()["paths"]["/v1/predict"]
