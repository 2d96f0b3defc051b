"""Property-based fuzz of the API (hypothesis): whatever comes in, the answer is JSON, never 5xx.

Three kinds of input: any JSON value, request-shaped objects whose fields have any type, and
raw bytes (not JSON, not UTF-8) with any content type; plus random paths and methods.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")
pytest.importorskip("hypothesis", reason="hypothesis is not installed")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from imdb_sentiment import Classifier  # noqa: E402
from imdb_sentiment.serve import ServeSettings, create_app  # noqa: E402

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
LIMITS = ServeSettings(max_body_bytes=20_000, max_reviews=20, max_chars=300,
                       max_explain_reviews=4)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
    st.text(max_size=10), inner, max_size=5), max_leaves=20)
texts = st.text(max_size=400)  # some over max_chars
request_like = st.fixed_dictionaries({}, optional={
    "text": texts | json_values,
    "texts": st.lists(texts, max_size=25) | json_values,  # some over max_reviews
    "ids": st.lists(st.integers() | st.text(max_size=5), max_size=25) | json_values,
    "explain": st.booleans() | json_values,
    "method": st.sampled_from(["occlusion", "integrated_gradients", "other"]) | json_values,
    "top": st.integers(-5, 200) | json_values,
})


@pytest.fixture(scope="module")
def client(bundle):
    with TestClient(create_app(Classifier.load(bundle), LIMITS)) as client:
        yield client


def post_json(client, body):
    """``body`` as JSON, NaN and Infinity included (Python's parser accepts them)."""
    return client.post("/v1/predict", content=json.dumps(body),
                       headers={"content-type": "application/json"})


def check(response):
    assert response.status_code < 500, response.text
    body = response.json()  # every answer is JSON
    if response.status_code >= 400:
        assert body["error"] and body["message"]
    return body


@FUZZ
@given(body=request_like)
def test_request_shaped_objects(client, body):
    response = post_json(client, body)
    data = check(response)
    if response.status_code == 200:
        assert len(data["predictions"]) == (1 if "text" in body else len(body["texts"]))
        assert all(0.0 <= p["probability"] <= 1.0 for p in data["predictions"])


@FUZZ
@given(body=json_values)
def test_any_json_value(client, body):
    check(post_json(client, body))


@FUZZ
@given(content=st.binary(max_size=300),
       content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-"
                                     "form-urlencoded", "multipart/form-data", "", "a/b+json"]))
def test_any_bytes(client, content, content_type):
    headers = {"content-type": content_type} if content_type else {}
    check(client.post("/v1/predict", content=content, headers=headers))
    check(client.post("/v1/predict/file?format=csv", content=content, headers=headers))


@FUZZ
@given(path=st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=30),
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
def test_any_path_and_method(client, path, method):
    response = client.request(method, "/" + path.lstrip("/").replace("#", "").replace("?", ""))
    assert response.status_code < 500
