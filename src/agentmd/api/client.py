"""The one door to the Anthropic API: settings from plan.md, the key, forced tool use, and API
errors turned into messages a user can act on. The SDK is imported here, and only on a call."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentmd.errors import AgentmdError, LocatedError, Problem
from agentmd.workspace.folder import Workspace

DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_TIMEOUT = 300.0  # seconds per request; a decomposition may write thousands of tokens
DEFAULT_RETRIES = 3
INSTALL = "pip install 'agentmd-cli[anthropic]'"
PLAN_FIELDS = ("model", "model_timeout", "model_retries")  # the plan.md settings read here
KEY_VARIABLE = "ANTHROPIC_API_KEY"
CACHE = {"type": "ephemeral"}

# A check of the model's answer: every problem as one line; empty when the answer is usable.
Validator = Callable[[dict], list[str]]


class ModelError(AgentmdError):
    """The API could not be used: no key, no SDK, a refusal, or an answer that is not usable."""


@dataclass(frozen=True)
class ModelSettings:
    model: str
    timeout: float
    retries: int


def settings_for(ws: Workspace) -> ModelSettings:
    """`model`, `model_timeout` and `model_retries` from plan.md, checked, with the defaults."""
    raw = ws.settings.raw
    plan = ws.index.plan

    def bad(key: str, message: str, hint: str) -> LocatedError:
        line = plan.line(key) if plan else 1
        return LocatedError(Problem(ws.display("plan.md"), line, 1, "bad-value", message, hint))

    model = raw.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not model.strip() or any(c.isspace() for c in model.strip()):
        raise bad(
            "model",
            f"model must be a model id such as {DEFAULT_MODEL}, not {model!r}",
            f"write `model: {DEFAULT_MODEL}`, or delete the line for the default",
        )
    timeout = raw.get("model_timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise bad("model_timeout", f"model_timeout must be a number of seconds, not {timeout!r}",
                  f"write `model_timeout: {int(DEFAULT_TIMEOUT)}`")  # fmt: skip
    retries = raw.get("model_retries", DEFAULT_RETRIES)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise bad("model_retries", f"model_retries must be a whole number >= 0, not {retries!r}",
                  f"write `model_retries: {DEFAULT_RETRIES}`")  # fmt: skip
    return ModelSettings(model.strip(), float(timeout), retries)


def require_key() -> str:
    key = os.environ.get(KEY_VARIABLE, "").strip()
    if not key:
        raise ModelError(
            f"{KEY_VARIABLE} is not set: this command asks the Anthropic API and needs a key"
        )
    return key


def require_sdk() -> None:
    """Fail in one line, without importing it, when the SDK is not installed."""
    try:
        spec = importlib.util.find_spec("anthropic")
    except (ImportError, ValueError):  # a broken install is as good as none
        spec = None
    if spec is None:
        raise ModelError(f"the anthropic package is not installed; install it with: {INSTALL}")


class Client:
    """A configured SDK client for one workspace's model."""

    def __init__(self, settings: ModelSettings, key: str):
        self.settings = settings
        self._key = key
        self._sdk: Any = None

    @classmethod
    def for_workspace(cls, ws: Workspace) -> Client:
        settings = settings_for(ws)
        key = require_key()
        require_sdk()
        return cls(settings, key)

    @property
    def model(self) -> str:
        return self.settings.model

    def _client(self) -> Any:
        if self._sdk is None:
            # Here, not at the top: it costs seconds and most commands never call it.
            import anthropic

            # The key is passed explicitly, so the SDK reads no profile or credentials file;
            # base_url stays the SDK's own choice (ANTHROPIC_BASE_URL, else the public API).
            self._sdk = anthropic.Anthropic(
                api_key=self._key, timeout=self.settings.timeout, max_retries=self.settings.retries
            )
        return self._sdk

    # -- calls -------------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Input tokens of `text` sent as one user message (message framing included)."""
        result = self._call(
            lambda sdk: sdk.messages.count_tokens(
                model=self.model, messages=[{"role": "user", "content": text}]
            )
        )
        count = getattr(result, "input_tokens", None)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ModelError(f"the count_tokens answer has no token count: {_short(result)}")
        return count

    def ask(
        self,
        *,
        system: list[str],
        prompt: str,
        tool: dict,
        validate: Validator,
        max_tokens: int,
    ) -> tuple[dict, list[str]]:
        """Force one tool call and check its input; ask once more with the problems found.

        Returns the accepted input, or the last input with its problems when the second answer
        fails too. `system` is the stable prefix (instructions, plan, rules): it is marked for
        prompt caching, so the second ask and the next run pay for it once.
        """
        blocks: list[dict] = [{"type": "text", "text": text} for text in system if text.strip()]
        if blocks:
            blocks[-1]["cache_control"] = CACHE
        messages: list[dict] = [{"role": "user", "content": prompt}]
        problems: list[str] = []
        answer: dict = {}
        for attempt in (1, 2):
            block = self._tool_call(blocks, messages, tool, max_tokens)
            given = block.get("input")
            answer = given if isinstance(given, dict) else {}
            problems = validate(answer) if answer else ["the tool input is not a JSON object"]
            if not problems or attempt == 2:
                break
            messages += [
                {"role": "assistant", "content": [block]},
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": block["id"],
                            "is_error": True,
                            "content": "This answer cannot be used:\n"
                            + "\n".join(f"- {p}" for p in problems)
                            + f"\nCall {tool['name']} again with every problem fixed.",
                        }
                    ],
                },
            ]
        return answer, problems

    def _tool_call(
        self, system: list[dict], messages: list[dict], tool: dict, max_tokens: int
    ) -> dict:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "messages": messages,
            "tools": [tool],
            "tool_choice": {"type": "tool", "name": tool["name"]},
        }
        if system:
            kwargs["system"] = system
        message = self._call(lambda sdk: sdk.messages.create(**kwargs))
        for block in getattr(message, "content", None) or []:
            if (
                getattr(block, "type", None) == "tool_use"
                and getattr(block, "name", None) == tool["name"]
            ):
                return {
                    "type": "tool_use",
                    "id": str(block.id),
                    "name": block.name,
                    "input": block.input,
                }
        stop = getattr(message, "stop_reason", None)
        raise ModelError(
            f"the model answered without calling {tool['name']} (stop_reason: {stop})",
            "run it again; if it keeps happening, try another model: `model:` in .agents/plan.md",
        )

    def _call(self, request: Callable[[Any], Any]) -> Any:
        sdk = self._client()
        import anthropic

        try:
            return request(sdk)
        except anthropic.APIStatusError as exc:
            raise self._status_error(exc) from None
        except anthropic.APITimeoutError:
            raise ModelError(
                f"no answer from the Anthropic API within {self.settings.timeout:g} s "
                f"({_tries(self.settings.retries)})",
                "raise model_timeout in .agents/plan.md, or try again later",
            ) from None
        except anthropic.APIConnectionError as exc:
            raise ModelError(
                f"cannot reach the Anthropic API at {sdk.base_url}: {_cause(exc)}",
                "check the network, and ANTHROPIC_BASE_URL if it is set",
            ) from None
        except (anthropic.APIResponseValidationError, ValueError) as exc:
            raise ModelError(
                f"the Anthropic API sent an answer that cannot be read: {_short(exc)}"
            ) from None

    def _status_error(self, exc: Any) -> ModelError:
        status = getattr(exc, "status_code", 0)
        detail = _api_message(exc)
        tries = _tries(self.settings.retries)
        if status == 401:
            return ModelError(
                f"the Anthropic API refused the key (401{detail})", f"check {KEY_VARIABLE}"
            )
        if status == 403:
            return ModelError(
                f"the key may not use model '{self.model}' here (403{detail})",
                "check the key's workspace and permissions, "
                "or choose another `model:` in .agents/plan.md",
            )
        if status == 404:
            return ModelError(
                f"not found (404{detail}): is '{self.model}' a model id?",
                "set `model:` in .agents/plan.md to a current "
                "model; check ANTHROPIC_BASE_URL if it is set",
            )
        if status == 429:
            return ModelError(
                f"rate limited by the Anthropic API {tries} (429{detail})", "try again later"
            )
        if status == 529:
            return ModelError(
                f"the Anthropic API is overloaded {tries} (529{detail})", "try again later"
            )
        if status >= 500:
            return ModelError(
                f"the Anthropic API failed {tries} ({status}{detail})", "try again later"
            )
        return ModelError(f"the Anthropic API refused the request ({status}{detail})")


def _tries(retries: int) -> str:
    return "after 1 try" if retries == 0 else f"after {retries + 1} tries"


def _api_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        kind, message = error.get("type"), error.get("message")
        text = ": ".join(str(part) for part in (kind, message) if part)
        return f" {text}" if text else ""
    return ""


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return str(cause or exc).splitlines()[0] if str(cause or exc) else type(exc).__name__


def _short(value: Any, limit: int = 200) -> str:
    text = (
        value
        if isinstance(value, str)
        else (str(value) if isinstance(value, Exception) else json.dumps(value, default=str))
    )
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
