"""An optional generative backend for the tutor: an OpenAI-compatible chat endpoint.

Hubs that run a language model behind an OpenAI-compatible API (``POST
<url>/chat/completions``; vLLM, llama.cpp's server, Ollama and hosted services speak it) can
let the tutor phrase its answers. The tutor still decides *whether* the lesson covers a
question and *which* passages answer it (:mod:`mesatoys.course.tutor`, offline); the model
only rewrites those passages into a short answer, told to use nothing else and to cite the
passages it used as ``[1]``, ``[2]``. An answer is accepted only if it is short and cites
only passages it was given; on any error, timeout or refusal the tutor gives its offline
answer instead. Off-topic questions never reach the model.

Configuration, from the environment (nothing is sent anywhere unless the URL is set):

- ``MESATOYS_TUTOR_URL``: the API's base URL, e.g. ``http://127.0.0.1:8000/v1``;
- ``MESATOYS_TUTOR_MODEL``: the model's name (default ``"default"``);
- ``MESATOYS_TUTOR_API_KEY``: sent as ``Authorization: Bearer <key>`` if set;
- ``MESATOYS_TUTOR_TIMEOUT``: seconds to wait for an answer (default 10).

Only the standard library is used (``urllib``).
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_WORDS = 120  # the instructions ask for 100; a little slack before refusing an answer
MAX_PASSAGE_CHARS = 1500
NOT_COVERED = "NOT COVERED"
INSTRUCTIONS = (
    "You are the tutor of a course on mesa-optimization. Answer the learner's question in at "
    "most 100 words, in plain friendly English, using only the numbered passages from the "
    "course below: no outside knowledge. Lead with the sentence that answers the question. "
    "Cite the passages you used as [1], [2]. If the passages do not answer the question, "
    f"reply with exactly {NOT_COVERED}."
)


@dataclass(frozen=True)
class Endpoint:
    """Where and how to ask the model.

    Attributes:
        url: The API's base URL (``.../v1``); ``/chat/completions`` is appended.
        model: The model's name.
        api_key: Sent as a bearer token if not empty.
        timeout: Seconds to wait for the whole answer.
    """

    url: str
    model: str = "default"
    api_key: str = ""
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not re.match(r"https?://", self.url):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)):
            raise ValueError(f"timeout must be a number of seconds > 0, got {self.timeout!r}")
        if not 0 < self.timeout <= 120:
            raise ValueError(f"timeout must be between 0 and 120 seconds, got {self.timeout!r}")


def endpoint_from_environment(environ: Mapping[str, str] | None = None) -> Endpoint | None:
    """The endpoint the environment configures, or None (the default: offline only).

    Raises:
        ValueError: If a variable is set to something unusable (named in the message).
    """
    env = os.environ if environ is None else environ
    url = env.get("MESATOYS_TUTOR_URL", "").strip()
    if not url:
        return None
    raw_timeout = env.get("MESATOYS_TUTOR_TIMEOUT", "10")
    try:
        timeout = float(raw_timeout)
    except ValueError:
        raise ValueError(
            f"MESATOYS_TUTOR_TIMEOUT must be a number of seconds, got {raw_timeout!r}"
        ) from None
    return Endpoint(
        url=url.rstrip("/"),
        model=env.get("MESATOYS_TUTOR_MODEL", "default") or "default",
        api_key=env.get("MESATOYS_TUTOR_API_KEY", ""),
        timeout=timeout,
    )


@dataclass(frozen=True)
class Source:
    """One passage given to the model: where it comes from and its text."""

    title: str
    text: str


def messages(question: str, sources: Sequence[Source]) -> list[dict[str, str]]:
    """The chat messages: the instructions, then the numbered passages and the question."""
    numbered = "\n\n".join(
        f"[{k}] {s.title}\n{s.text[:MAX_PASSAGE_CHARS]}" for k, s in enumerate(sources, start=1)
    )
    user = f"Passages:\n\n{numbered}\n\nQuestion: {question}"
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": user}]


def generate(endpoint: Endpoint, question: str, sources: Sequence[Source]) -> str | None:
    """The model's answer if it is usable, else None (the tutor then answers offline).

    Usable: a reply within the timeout, not a refusal, at most :data:`MAX_WORDS` words,
    citing at least one passage and none it was not given.
    """
    body = json.dumps(
        {"model": endpoint.model, "messages": messages(question, sources), "temperature": 0}
    ).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if endpoint.api_key:
        headers["Authorization"] = f"Bearer {endpoint.api_key}"
    request = urllib.request.Request(
        f"{endpoint.url}/chat/completions", data=body, headers=headers, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=endpoint.timeout) as response:
            reply = json.loads(response.read(1_000_000).decode("utf-8"))
        text = reply["choices"][0]["message"]["content"]
    except (OSError, ValueError, KeyError, IndexError, TypeError):  # URLError is an OSError
        return None
    return text.strip() if usable(text, len(sources)) else None


def usable(text: object, n_sources: int) -> bool:
    """Whether a reply is a short answer that cites only the passages it was given."""
    if not isinstance(text, str) or not text.strip() or NOT_COVERED in text.upper():
        return False
    if len(text.split()) > MAX_WORDS:
        return False
    cited = {int(k) for k in re.findall(r"\[(\d+)\]", text)}
    return bool(cited) and cited <= set(range(1, n_sources + 1))
