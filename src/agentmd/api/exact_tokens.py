"""Exact token counts from the Anthropic API's count_tokens, cached by content hash under
.agents/.cache/, and how far the offline estimate was from them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from agentmd.api.client import Client
from agentmd.files import cachefile
from agentmd.prompt.tokens import ESTIMATE
from agentmd.workspace.folder import CACHE_DIR, Workspace

CACHE_FILE = "tokens.json"
CACHE_FORMAT = "agentmd exact tokens 1"
MAX_ENTRIES = 20_000  # per model; the oldest go first


@dataclass(frozen=True)
class Comparison:
    """One text's exact count beside the estimate's."""

    exact: int
    estimate: int

    @property
    def off(self) -> int:
        return self.estimate - self.exact

    @property
    def percent(self) -> float:
        return 0.0 if self.exact == 0 else 100.0 * self.off / self.exact

    def describe(self) -> str:
        """`estimate 1,100: 10.9% under`, or `estimate 120: exact`."""
        if self.off == 0:
            return f"estimate {self.estimate:,}: exact"
        side = "over" if self.off > 0 else "under"
        return f"estimate {self.estimate:,}: {abs(self.percent):.1f}% {side}"

    def as_json(self) -> dict:
        return {
            "exact": self.exact,
            "estimate": self.estimate,
            "off": self.off,
            "off_percent": round(self.percent, 1),
        }


class ExactCounter:
    """A `tokens.Counter` that asks the API once per distinct text and model, then remembers."""

    name = "exact"

    def __init__(self, client: Client, cache_path: Path):
        self.client = client
        self.cache_path = cache_path
        self.requests = 0  # API calls made by this counter: 0 when everything was cached
        self._counts = _load(cache_path, client.model)
        self._new: dict[str, int] = {}

    @classmethod
    def for_workspace(cls, ws: Workspace) -> ExactCounter:
        return cls(Client.for_workspace(ws), ws.agents / CACHE_DIR / CACHE_FILE)

    @property
    def model(self) -> str:
        return self.client.model

    def count(self, text: str) -> int:
        if not text:
            return 0  # the API refuses empty content, and nothing costs nothing
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        cached = self._counts.get(key)
        if cached is not None:
            return cached
        count = self.client.count_tokens(text)
        self.requests += 1
        self._counts[key] = self._new[key] = count
        _save(self.cache_path, self.model, self._new)
        return count

    def compare(self, text: str) -> Comparison:
        return Comparison(self.count(text), ESTIMATE.count(text))


def _load(path: Path, model: str) -> dict[str, int]:
    data = cachefile.read(path)
    if data.get("format") != CACHE_FORMAT:
        return {}
    counts = data.get("models", {}).get(model) if isinstance(data.get("models"), dict) else None
    if not isinstance(counts, dict):
        return {}
    return {k: v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)}


def _save(path: Path, model: str, new: dict[str, int]) -> None:
    """Best effort, merged with what other processes wrote meanwhile: a lost cache costs calls."""
    data = cachefile.read(path)
    if data.get("format") != CACHE_FORMAT or not isinstance(data.get("models"), dict):
        data = {"format": CACHE_FORMAT, "models": {}}
    counts = data["models"].get(model)
    counts = counts if isinstance(counts, dict) else {}
    counts.update(new)
    if len(counts) > MAX_ENTRIES:
        counts = dict(list(counts.items())[-MAX_ENTRIES:])
    data["models"][model] = counts
    cachefile.write(path, data)
