"""Parallel requests with one code or one refresh token: one winner, clean refusals."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests
from support.oauth import refresh_request, shop_a_code, token_request

PARALLEL = 10


def race(request: Callable[[], requests.Response], count: int = PARALLEL) -> list:
    """Send ``count`` copies of a request released together; return the responses."""
    barrier = threading.Barrier(count)

    def released() -> requests.Response:
        barrier.wait(timeout=30)
        return request()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: released(), range(count)))


def outcome(responses: list[requests.Response]) -> tuple[int, list[str]]:
    """Return how many succeeded and the error codes of the others."""
    winners = [r for r in responses if r.status_code == 200]
    errors = sorted(r.json()["error"] for r in responses if r.status_code != 200)
    return len(winners), errors


def test_parallel_redemptions_of_one_code_issue_one_token_pair(stack, customer):
    """20 exchanges of one code at once: one token pair, 19 invalid_grant, no 500."""
    code, verifier = shop_a_code(stack, customer)

    responses = race(lambda: token_request(stack, code, verifier), count=20)

    assert sorted({r.status_code for r in responses}) == [200, 400]
    assert outcome(responses) == (1, ["invalid_grant"] * 19)


def test_parallel_refreshes_of_one_token_issue_one_token_pair(stack, customer):
    """10 refreshes with one refresh token at once: one new pair, 9 invalid_grant, no 500.

    The 9 are replays of a rotated token, so the family is revoked (RFC 9700 §4.14.2):
    the winner's new refresh token no longer works either.
    """
    code, verifier = shop_a_code(stack, customer)
    tokens = token_request(stack, code, verifier).json()

    responses = race(lambda: refresh_request(stack, tokens["refresh_token"]))

    assert outcome(responses) == (1, ["invalid_grant"] * (PARALLEL - 1))
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    assert refresh_request(stack, winner["refresh_token"]).json()["error"] == "invalid_grant"
