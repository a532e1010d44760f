"""Concurrent first sign-ins of one user give exactly one shadow."""

import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import shadow_subs
from support.web import WebClient, sign_in_at_idp, stop_at_shop_callback

SIGN_INS = 20


def test_twenty_concurrent_first_sign_ins_create_one_shadow(stack, customer):
    """20 browsers reach shop A's callback for one new user at once: 20 successes, one shadow."""
    clients = [WebClient() for _ in range(SIGN_INS)]
    for client in clients:
        sign_in_at_idp(client, stack.idp, customer.email, customer.password)
    callbacks = [stop_at_shop_callback(client, stack.shop_a) for client in clients]
    start = threading.Barrier(SIGN_INS)

    def finish_sign_in(index: int) -> str:
        start.wait()
        clients[index].get(callbacks[index])
        name = clients[index].page().select_one(".user-name")
        return name.get_text(strip=True) if name else clients[index].last.text[:300]

    with ThreadPoolExecutor(max_workers=SIGN_INS) as pool:
        names = list(pool.map(finish_sign_in, range(SIGN_INS)))

    assert names == [customer.full_name] * SIGN_INS
    assert len(shadow_subs(stack, "project_a", customer.email)) == 1
