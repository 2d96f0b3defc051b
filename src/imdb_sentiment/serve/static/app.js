// The page's behaviour. Review text is data: it is only ever set with textContent, never
// innerHTML, so nothing typed or uploaded can become markup or script.
"use strict";

const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).message || message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function loadModel() {
  try {
    const info = await (await api("/v1/model")).json();
    const parts = [`Model ${info.name}`, info.config.cell];
    const accuracy = info.metrics && info.metrics.test_accuracy;
    if (typeof accuracy === "number") parts.push(`test accuracy ${(accuracy * 100).toFixed(1)}%`);
    $("model").textContent = parts.join(" · ");
    $("maxlen").textContent = String(info.config.maxlen);
  } catch (error) {
    $("model").textContent = `Model details unavailable: ${error.message}`;
  }
}

async function score() {
  const text = $("review").value;
  if (!text.trim()) { showError("Write a review first."); $("review").focus(); return; }
  showError("");
  $("score").disabled = true;
  try {
    const body = JSON.stringify({ text, explain: true });
    const response = await api("/v1/predict", {
      method: "POST", headers: { "Content-Type": "application/json" }, body,
    });
    render((await response.json()).predictions[0]);
  } catch (error) {
    showError(`Could not score the review: ${error.message}`);
  } finally {
    $("score").disabled = false;
  }
}

function render(prediction) {
  const p = prediction.probability;
  $("label").textContent = prediction.label;
  $("label").className = `label ${prediction.label}`;
  $("probability").textContent = `P(positive) = ${p.toFixed(3)}`;
  $("bar-fill").style.width = `${(p * 100).toFixed(1)}%`;
  const words = $("words");
  words.replaceChildren();
  const tokens = prediction.tokens || [];
  const strongest = Math.max(1e-9, ...tokens.map((t) => Math.abs(t.contribution)));
  tokens.forEach((t, i) => {
    const span = document.createElement("span");
    span.textContent = t.token;
    if (!t.seen) {
      span.className = "unseen";
      span.title = "not seen by the model";
    } else if (t.contribution !== 0) {
      const alpha = (0.1 + 0.75 * Math.abs(t.contribution) / strongest).toFixed(2);
      const side = t.contribution > 0 ? "pos" : "neg";
      span.className = side;
      span.style.backgroundColor = `rgba(var(--${side}), ${alpha})`;
      span.title = `${t.contribution > 0 ? "+" : ""}${t.contribution.toFixed(4)}`;
    }
    if (i) words.append(" ");
    words.append(span);
  });
  if (!tokens.length) words.textContent = "(no words)";
  $("result").hidden = false;
}

async function scoreFile(event) {
  const file = event.target.files[0];
  const status = $("file-status");
  const link = $("download");
  link.hidden = true;
  if (!file) return;
  const format = file.name.toLowerCase().endsWith(".csv") ? "csv" : "txt";
  status.textContent = `Scoring ${file.name}…`;
  try {
    const response = await api(`/v1/predict/file?format=${format}`, {
      method: "POST", headers: { "Content-Type": format === "csv" ? "text/csv" : "text/plain" },
      body: file,
    });
    const count = response.headers.get("X-Review-Count");
    const blob = await response.blob();
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(blob);
    link.download = `${file.name.replace(/\.[^.]*$/, "")}-scored.csv`;
    link.hidden = false;
    status.textContent = `Scored ${count} reviews from ${file.name}.`;
  } catch (error) {
    status.textContent = `Could not score ${file.name}: ${error.message}`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  loadModel();
  $("score").addEventListener("click", score);
  $("review").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      score();
    }
  });
  document.querySelectorAll(".example").forEach((button) => {
    button.addEventListener("click", () => {
      $("review").value = button.textContent;
      score();
    });
  });
  $("file").addEventListener("change", scoreFile);
});
