"""``create_app(classifier, settings)``: the HTTP API and the web page over one loaded model.

The app is given a :class:`~imdb_sentiment.classifier.Classifier`, never a path from a request.
It answers through the classifier's public ``predict`` and ``explain``, so its labels and
probabilities are those of ``imdb-sentiment predict`` (rows made by the same ``result_row``).
On startup it compiles the forward pass for every batch shape the classifier uses (1, 2, 4 ...
256 rows) before it reports ready; concurrent requests share model calls (batching.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .. import __version__
from ..models.rnn import PREDICT_BATCH
from ..scoring import result_row
from ..sources import Record
from .batching import MicroBatcher, QueueFull
from .errors import ApiError, BodyLimitMiddleware, install_handlers, too_large
from .model_info import model_info
from .observe import Metrics, ObserveMiddleware
from .schemas import ERROR_RESPONSES, ModelInfo, PredictRequest, PredictResponse, Status
from .settings import ServeSettings
from .upload import FILE_PATH, score_upload

STATIC = Path(__file__).parent / "static"
# The page loads nothing but its own files, and no page may frame it.
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
                "X-Content-Type-Options": "nosniff"}


def create_app(classifier, settings: ServeSettings | None = None) -> FastAPI:
    from fastapi_offline import FastAPIOffline  # Swagger UI served from the package, no CDN

    settings = settings or ServeSettings()
    metrics = Metrics()
    info = model_info(classifier, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="model")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(executor, warm_up, classifier)
        # The model, Keras and JAX leave 326,000 long-lived objects; without this, every full
        # garbage collection walked them all (232 ms) and stalled every request in flight for
        # about 275 ms every 1-2 s under load (BENCHMARKS.md, "Serving").
        gc.collect()
        gc.freeze()
        common = dict(max_wait_ms=settings.max_wait_ms, max_queue=settings.max_queue,
                      executor=executor, on_batch=metrics.on_batch)
        app.state.predict = MicroBatcher(classifier.predict, max_batch=settings.max_batch,
                                         **common)
        app.state.explain = {
            method: MicroBatcher(partial(classifier.explain, method=method),
                                 max_batch=min(settings.max_batch, settings.max_explain_reviews),
                                 **common)
            for method in classifier.kind_model.explain_methods}  # the first is the default
        batchers = [app.state.predict, *app.state.explain.values()]
        metrics.queued.set_function(lambda: sum(b.pending for b in batchers))
        for batcher in batchers:
            batcher.start()
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            for batcher in batchers:
                await batcher.stop()
            executor.shutdown(wait=True)

    app = FastAPIOffline(
        title="imdb-sentiment", version=__version__, lifespan=lifespan, redoc_url=None,
        description="Label movie reviews as positive or negative with a trained bundle.",
        swagger_ui_parameters={"validatorUrl": None},  # the default badge calls an outside site
    )
    app.state.ready = False
    app.state.settings = settings
    install_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limit_for=lambda path: (
        ("max_upload_bytes", settings.max_upload_bytes) if path == FILE_PATH
        else ("max_body_bytes", settings.max_body_bytes)))
    paths = {"/", "/v1/predict", FILE_PATH, "/v1/model", "/health", "/ready", "/metrics",
             "/docs", "/openapi.json"}
    app.add_middleware(ObserveMiddleware, metrics=metrics, paths=paths)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def require_ready(request: Request) -> None:
        if not request.app.state.ready:
            raise ApiError(503, "not_ready", "the model is not loaded yet",
                           headers={"Retry-After": str(settings.retry_after_s)})

    async def submit(batcher: MicroBatcher, texts: list[str]) -> list:
        try:
            return await batcher.submit(texts)
        except QueueFull as error:
            raise ApiError(503, "queue_full", str(error),
                           headers={"Retry-After": str(settings.retry_after_s)}) from None

    @app.post("/v1/predict", response_model=PredictResponse, responses=ERROR_RESPONSES,
              summary="Label reviews (same answers as `imdb-sentiment predict`)")
    async def predict(body: PredictRequest, request: Request):
        require_ready(request)
        texts = body.reviews()
        request.state.reviews = len(texts)
        check_limits(texts, body.explain, settings)
        if body.explain:
            explainers = request.app.state.explain
            method = body.method or next(iter(explainers))
            if method not in explainers:
                raise ApiError(422, "unsupported_method",
                               f"{classifier.kind} models explain by {', '.join(explainers)}, "
                               f"not {method}")
            results = await submit(explainers[method], texts)
        else:
            results = await submit(request.app.state.predict, texts)
        top = body.top if body.explain else 0
        rows = []
        for review_id, text, result in zip(body.review_ids(), texts, results, strict=True):
            row = result_row(Record(review_id, text, 0), result, top)
            if top:
                row["tokens"] = [{"token": t.token, "contribution": round(t.contribution, 6),
                                  "seen": t.seen} for t in result.tokens]
            rows.append(row)
        return JSONResponse({"model": settings.model_name, "predictions": rows})

    @app.post(FILE_PATH, responses={**ERROR_RESPONSES, 200: {
        "content": {"text/csv": {}}, "description": "id,label,probability per review"}},
        summary="Score a .txt, .csv or .jsonl file into a CSV (as `predict --output x.csv`)",
        openapi_extra={"requestBody": {"required": True, "content": {
            media: {"schema": {"type": "string"}} for media in ("text/plain", "text/csv")}}})
    async def predict_file(request: Request, format: str = "txt", text_column: str | None = None,
                           id_column: str | None = None, encoding_errors: str = "strict"):
        require_ready(request)
        data = await request.body()
        csv_bytes, count = await score_upload(
            data, format=format, text_column=text_column, id_column=id_column,
            encoding_errors=encoding_errors, settings=settings,
            score=lambda texts: submit(request.app.state.predict, texts))
        request.state.reviews = count
        return Response(csv_bytes, media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="scored.csv"',
            "X-Review-Count": str(count)})

    @app.get("/v1/model", response_model=ModelInfo, summary="The model's config and metrics")
    async def model() -> dict:
        return info

    @app.get("/health", response_model=Status, summary="The process is alive")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/ready", response_model=Status, responses={503: {"model": Status}},
             summary="The model is loaded and compiled")
    async def ready(request: Request):
        if request.app.state.ready:
            return {"status": "ready"}
        return JSONResponse({"status": "starting"}, 503,
                            headers={"Retry-After": str(settings.retry_after_s)})

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    return app


def check_limits(texts: list[str], explain: bool, settings: ServeSettings) -> None:
    """413 for too many reviews in one request, or one review too long."""
    if len(texts) > settings.max_reviews:
        raise too_large("max_reviews", settings.max_reviews,
                        f"the request has {len(texts)} reviews")
    if explain and len(texts) > settings.max_explain_reviews:
        raise too_large("max_explain_reviews", settings.max_explain_reviews,
                        f"the request asks to explain {len(texts)} reviews")
    for i, text in enumerate(texts):
        if len(text) > settings.max_chars:
            raise too_large("max_chars", settings.max_chars,
                            f"review {i} has {len(text)} characters")


def warm_up(classifier) -> None:
    """Compile the forward pass for every padded batch size the classifier uses, and the
    occlusion explanation, so the first requests do not pay for XLA compilation (nor for
    importing Keras: a recurrent bundle is read without it)."""
    classifier.kind_model.load_lazy_parts()
    size = 1
    while size <= PREDICT_BATCH:
        classifier.predict_proba(["warm up"] * size)
        size *= 2
    classifier.explain("warm up the explanation")
