"""The suite's client: a 5000 is re-sent until another answer comes or it belongs to the
request (C46), and every exchange knows how many tries it took. In-process (MockTransport)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import httpx

from conformance.client import SHORT_TRIES, TRIES_TO_PERSIST, Target
from conformance.config import Options
from conformance.failures import Failure
from conformance.report import Verdict, summary

BASE = "http://server.test"
PAGE = b'{"code":2000,"success":true,"data":{"count":1,"data":[{"id":1}]}}'
HICCUP = b'{"code":5000,"success":false,"message":"Service hiccuped","data":null}'


def target(answer: Callable[[httpx.Request], bytes]) -> Target:
    def handler(request: httpx.Request) -> httpx.Response:
        body = answer(request)
        status = 500 if body == HICCUP else 200
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return Target(Options(BASE), client, sleep=0.0)


def test_a_5000_is_retried_until_another_answer_and_counted_as_flakiness() -> None:
    calls: Counter[str] = Counter()

    def answer(request: httpx.Request) -> bytes:
        calls[str(request.url)] += 1
        return HICCUP if calls[str(request.url)] <= 8 else PAGE

    server = target(answer)
    exchange = server.get(["a"])
    # Eight 5000s in a row would have been a failure after 3 tries; it is the ninth try's page.
    assert (exchange.code, exchange.attempts) == (2000, 9)
    assert len(server.hiccups) == 8 and server.persisted == 0
    assert (server.answers, server.service_hiccups) == (9, 8)


def test_a_5000_on_every_try_belongs_to_the_request_and_later_ones_are_judged_sooner() -> None:
    server = target(lambda request: HICCUP)
    first = server.get(["a"])
    assert (first.code, first.attempts) == (5000, TRIES_TO_PERSIST) == (5000, 10)
    assert server.persisted == 1 and server.hiccups == []
    # The run already fails: a server answering 5000 to everything costs 3 tries a request.
    second = server.get(["b"])
    assert second.attempts == SHORT_TRIES == 3


def test_back_off_grows_then_stays_at_twice_the_first() -> None:
    server = target(lambda request: PAGE)
    server.sleep = 0.2
    assert [server.back_off(tries) for tries in (1, 2, 3, 9)] == [0.2, 0.4, 0.4, 0.4]


def test_random_5000s_at_a_fifth_of_the_answers_never_persist() -> None:
    """The verdict is the server's behaviour, not luck: at a 20% random rate, 800 requests
    (about three runs' worth) all end in a page; with 3 tries about 6 of them would not."""
    draw = random.Random(28)
    server = target(lambda request: HICCUP if draw.random() < 0.2 else PAGE)
    exchanges = [server.get([f"id-{n}"]) for n in range(800)]
    assert {exchange.code for exchange in exchanges} == {2000}
    assert server.persisted == 0
    three_in_a_row = sum(1 for exchange in exchanges if exchange.attempts > 3)
    assert three_in_a_row >= 3, three_in_a_row  # each would have failed a run with 2 retries
    assert 0.15 < server.service_hiccups / server.answers < 0.25


def test_every_fail_line_says_how_often_the_request_was_tried_and_what_it_answered() -> None:
    server = target(lambda request: HICCUP)
    exchange = server.get(["a"])
    failure = Failure.of("known_id_schema", "known ID 'a': no page", exchange, "semantic")
    text = summary(Verdict(BASE, ("known_id_schema",), [failure], {}, 1.0))
    assert (
        "    tried 10 times; answered HTTP 500, code 5000: "
        '{"code":5000,"success":false,"message":"Service hiccuped","data":null}'
    ) in text.splitlines()
    once = Failure.of("known_id_schema", "bad", target(lambda request: PAGE).get(["a"]), "x")
    assert once.evidence.startswith('tried once; answered HTTP 200, code 2000: {"code":2000,')
