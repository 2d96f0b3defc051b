"""The API's request and response bodies (pydantic): they validate input and write the OpenAPI.

Validation is strict (no "true" for true, no 1 for "1"), and unknown fields are refused, so a
misspelt field is an error instead of a silently ignored option. Size limits are not in the
schema: they come from :class:`~imdb_sentiment.serve.settings.ServeSettings` and are answered
with 413 (see app.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..scoring import TOP_WORDS

Id = str | int


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"text": "A wonderful, moving film."},
        {"texts": ["A wonderful, moving film.", "Dull and far too long."], "ids": ["a", "b"]},
        {"text": "The plot was thin but the acting was great.", "explain": True},
    ]})

    text: str | None = Field(None, description="one review (give text or texts)")
    texts: list[str] | None = Field(None, min_length=1, description="several reviews, in order")
    ids: list[Id] | None = Field(None, description="one id per review of texts, echoed back "
                                 "[default: 1, 2, ... as `imdb-sentiment predict` numbers them]")
    explain: bool = Field(False, description="add each review's word contributions")
    method: Literal["occlusion", "integrated_gradients", "exact", "weighted_sum"] | None = Field(
        None, description="how explain measures a word, as predict --method [default: the "
        "model kind's own: occlusion for recurrent models, exact for nbsvm, weighted_sum for "
        "the ensemble]")
    top: int = Field(TOP_WORDS, ge=1, le=100, description="words in top_words with explain")

    @model_validator(mode="after")
    def _one_source(self) -> PredictRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of text (a review) or texts (a list of reviews)")
        if self.ids is not None:
            if self.texts is None:
                raise ValueError("ids go with texts; one text needs no id")
            if len(self.ids) != len(self.texts):
                raise ValueError(f"{len(self.ids)} ids for {len(self.texts)} texts")
        return self

    def reviews(self) -> list[str]:
        return [self.text] if self.texts is None else self.texts

    def review_ids(self) -> list[Id]:
        return self.ids if self.ids is not None else list(range(1, len(self.reviews()) + 1))


class TokenContribution(BaseModel):
    token: str
    contribution: float = Field(description="how far the word moved P(positive): >0 towards "
                                "positive, <0 towards negative")
    seen: bool = Field(description="false for words before the last maxlen, which the model "
                       "does not see")


class PredictionOut(BaseModel):
    id: Id
    label: Literal["negative", "positive"]
    probability: float = Field(description="P(positive), rounded to 6 places as by predict")
    top_words: dict[str, float] | None = Field(
        None, description="with explain: the strongest words, as predict --explain lists them")
    tokens: list[TokenContribution] | None = Field(
        None, description="with explain: every word in reading order")


class PredictResponse(BaseModel):
    model: str
    predictions: list[PredictionOut]


class ErrorBody(BaseModel):
    error: str = Field(description="a stable code: payload_too_large, invalid_request, ...")
    message: str = Field(description="one sentence for a person")
    limit: str | None = Field(None, description="the limit that was passed, for 413")
    value: int | None = Field(None, description="that limit's value")
    details: list[dict] | None = Field(None, description="validation errors: loc, msg, type")


class ModelInfo(BaseModel):
    name: str
    format: str
    format_version: int
    sha256: str = Field(description="of the config, vocabulary and weights: the same model "
                        "gives the same hash, whatever its files' timestamps")
    labels: list[str]
    config: dict
    metrics: dict | None
    batching: dict
    limits: dict
    server_version: str


class Status(BaseModel):
    status: str


ERROR_RESPONSES = {
    status: {"model": ErrorBody, "description": description} for status, description in {
        400: "malformed body (not JSON, not UTF-8)",
        413: "over a limit: body size, reviews per request or characters per review",
        422: "valid JSON of the wrong shape or types",
        503: "the queue is full or the model is not ready; see Retry-After",
    }.items()
}
