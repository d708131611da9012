"""An offline Inspect model provider (``scalegate/...``) that answers with a set accuracy: a test double.

Inspect loads this module through the ``scalegate_testing`` entry point (group ``inspect_ai``) declared in
``pyproject.toml``; nothing else imports it, because importing ``inspect_ai`` costs seconds. (scalegate's
ingest hook has its own entry point, ``scalegate``, and lives in ``scalegate.evidence.hooks``.) It registers
the model API ``scalegate``: ``scalegate/acc-0.7`` answers multiple-choice and exact-match questions correctly
for about 70% of (sample, epoch) pairs. The choice is a seeded hash of the sample id and epoch, so the same
eval gives the same log on every run. Model args (``-M key=value``) tune it: ``accuracy``, ``seed``,
``error_rate`` (the generate call fails), ``refusal_rate`` (the model declines), ``limit_rate`` (the reply
reports enough tokens to trip any token limit). It counts tokens by characters, so it never downloads a
tokenizer, which the shipped ``mockllm`` does.

It exists to run real Inspect tasks offline in tests, benchmarks and demos; it is not a model.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, ModelUsage, modelapi
from inspect_ai.model._providers.mockllm import MockLLM
from inspect_ai.tool import ToolChoice, ToolInfo

__all__ = ["REFUSAL_TEXT", "ScalegateTestModel", "draw"]

REFUSAL_TEXT = "I can't help with that request."
"""What the model answers when it declines."""

_NAME = re.compile(r"^acc-(?P<accuracy>[0-9]*\.?[0-9]+)")
_BIG_USAGE = 10_000_000


def draw(seed: int, sample_id: object, epoch: int, salt: str) -> float:
    """A number in [0, 1) fixed by the seed, the sample, the epoch and what it decides (``salt``)."""
    digest = hashlib.sha256(f"{seed}|{sample_id}|{epoch}|{salt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class ScalegateTestModel(MockLLM):
    """A mock model whose answers are right with probability ``accuracy``, decided per (sample, epoch)."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        **model_args: Any,
    ) -> None:
        options = {key: model_args.pop(key) for key in list(model_args) if key in _OPTIONS}
        super().__init__(model_name, base_url, api_key, config, custom_outputs=self._answer, **model_args)
        match = _NAME.match(model_name)
        self.accuracy = float(options.get("accuracy") or (match.group("accuracy") if match else 0.5))
        self.seed = int(options.get("seed", 0))
        self.error_rate = float(options.get("error_rate", 0.0))
        self.refusal_rate = float(options.get("refusal_rate", 0.0))
        self.limit_rate = float(options.get("limit_rate", 0.0))

    async def count_text_tokens(self, text: str) -> int:
        """About four characters a token: close enough for a mock, and needs no tokenizer download."""
        return len(text) // 4 + 1

    def max_connections(self) -> int:
        return 64

    def _answer(
        self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig
    ) -> ModelOutput:
        sample_id, epoch, target, choices = _current_sample(input)
        if draw(self.seed, sample_id, epoch, "error") < self.error_rate:
            raise RuntimeError(f"simulated model failure on sample {sample_id} epoch {epoch}")
        if draw(self.seed, sample_id, epoch, "refusal") < self.refusal_rate:
            return self._output(REFUSAL_TEXT, input, stop_reason="content_filter")
        correct = draw(self.seed, sample_id, epoch, "correct") < self.accuracy
        text = _reply(target, choices, correct)
        output = self._output(text, input)
        if draw(self.seed, sample_id, epoch, "limit") < self.limit_rate:
            output.usage = ModelUsage(input_tokens=_BIG_USAGE, output_tokens=1, total_tokens=_BIG_USAGE + 1)
        return output

    def _output(self, text: str, input: list[ChatMessage], stop_reason: Any = "stop") -> ModelOutput:
        output = ModelOutput.from_content(model=self.model_name, content=text, stop_reason=stop_reason)
        prompt = sum(len(message.text) for message in input) // 4 + 1
        output.usage = ModelUsage(
            input_tokens=prompt, output_tokens=len(text) // 4 + 1, total_tokens=prompt + len(text) // 4 + 1
        )
        return output


_OPTIONS = {"accuracy", "seed", "error_rate", "refusal_rate", "limit_rate"}


def _current_sample(input: list[ChatMessage]) -> tuple[object, int, list[str], list[str]]:
    """The running sample's id, epoch, target and choice letters.

    The model reads the target from the task state, which only a test model may do; outside a sample it falls
    back to a hash of the prompt (always answering "wrong").
    """
    from inspect_ai.solver._task_state import sample_state

    state = sample_state()
    if state is None:
        prompt = "".join(message.text for message in input)
        return hashlib.sha256(prompt.encode()).hexdigest(), 1, [], []
    letters = [chr(ord("A") + i) for i in range(len(state.choices))]
    return state.sample_id, state.epoch, list(state.target.target), letters


def _reply(target: list[str], letters: list[str], correct: bool) -> str:
    """A reply the multiple-choice or match scorers grade as ``correct``."""
    if letters:
        answer = ",".join(target) if correct else next((x for x in letters if x not in target), "Z")
        return f"ANSWER: {answer}"
    if correct and target:
        return target[0]
    return "I do not know."


@modelapi(name="scalegate")
def scalegate_model() -> type[ScalegateTestModel]:
    """Register the provider: ``scalegate/acc-0.7``."""
    return ScalegateTestModel
