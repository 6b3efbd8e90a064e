"""The tutor's optional generative backend, against a local OpenAI-compatible server.

The server (started here on 127.0.0.1, a random port, stopped at the end) answers
``POST /v1/chat/completions`` as the test tells it to: a good cited answer, slowly, with an
error, with an answer that cites nothing or a passage it was not given, or a refusal. The
tutor must use a good answer and fall back to its offline answer on everything else, within
its timeout; an off-topic question never reaches the server.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mesatoys.course import generative
from mesatoys.course.generative import Endpoint, endpoint_from_environment
from mesatoys.course.tutor import Tutor

GOOD = (
    "A pseudo-aligned mesa-optimizer pursues a goal that matched the base objective only in "
    "training [1]."
)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the http.server name)
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length))
        server = self.server
        server.requests.append({"path": self.path, "headers": dict(self.headers), **request})
        mode = server.mode
        if mode == "slow":
            time.sleep(2.0)
        if mode == "error":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"internal error")
            return
        content = {
            "good": GOOD,
            "slow": GOOD,
            "uncited": "Pseudo-alignment is when a goal only looks right.",
            "invented": "See passage [7] for the answer.",
            "refuses": generative.NOT_COVERED,
            "long": "word " * 200 + "[1]",
        }[mode]
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.requests, httpd.mode = [], "good"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def tutor(server):
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    return Tutor(endpoint=Endpoint(url, model="course-model", api_key="k3y", timeout=0.5))


@pytest.fixture(scope="module")
def offline():
    return Tutor(endpoint=None)


def _ask(server, tutor, mode, question="What is pseudo-alignment?"):
    server.mode, server.requests[:] = mode, []
    started = time.perf_counter()
    answer = tutor.ask(question)
    return answer, time.perf_counter() - started


def test_a_good_cited_answer_is_used_with_its_source(server, tutor, offline):
    answer, _ = _ask(server, tutor, "good")
    assert answer.generated and answer.covered and answer.text.startswith(GOOD)
    assert answer.notebook == offline.ask("What is pseudo-alignment?").notebook
    assert "Read more: [1] [" in answer.text and answer.link
    (request,) = server.requests
    assert request["path"] == "/v1/chat/completions" and request["model"] == "course-model"
    assert request["headers"]["Authorization"] == "Bearer k3y"
    system, user = request["messages"]
    assert "only the numbered passages" in system["content"]
    assert (
        "What is pseudo-alignment?" in user["content"]
        and "[1] 3 · Inner alignment" in (user["content"])
    )


@pytest.mark.parametrize("mode", ["error", "uncited", "invented", "refuses", "long", "slow"])
def test_anything_else_falls_back_to_the_offline_answer_in_time(server, tutor, offline, mode):
    answer, seconds = _ask(server, tutor, mode)
    expected = offline.ask("What is pseudo-alignment?")
    assert not answer.generated and answer.text == expected.text
    assert seconds < 0.5 + 1.0  # the timeout, and the offline answer after it


def test_an_off_topic_question_never_reaches_the_model(server, tutor):
    answer, _ = _ask(server, tutor, "good", question="How do I bake sourdough bread?")
    assert not answer.covered and server.requests == []


def test_nothing_is_configured_unless_the_url_is_set():
    assert endpoint_from_environment({}) is None
    endpoint = endpoint_from_environment(
        {"MESATOYS_TUTOR_URL": "http://127.0.0.1:9/v1/", "MESATOYS_TUTOR_TIMEOUT": "3"}
    )
    assert endpoint == Endpoint("http://127.0.0.1:9/v1", "default", "", 3.0)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MESATOYS_TUTOR_URL": "ftp://x"}, "url must start with http"),
        ({"MESATOYS_TUTOR_URL": "http://x", "MESATOYS_TUTOR_TIMEOUT": "soon"}, "TIMEOUT"),
        ({"MESATOYS_TUTOR_URL": "http://x", "MESATOYS_TUTOR_TIMEOUT": "0"}, "between 0 and 120"),
    ],
)
def test_unusable_settings_are_named(environ, message):
    with pytest.raises(ValueError, match=message):
        endpoint_from_environment(environ)


def test_the_tutor_refuses_an_endpoint_of_the_wrong_type():
    with pytest.raises(TypeError, match="endpoint must be"):
        Tutor(endpoint="http://127.0.0.1:9/v1")
