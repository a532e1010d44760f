"""`oidc_keys rotate` at the identity server; running shops keep signing people in."""

import os
import signal
import time

import requests
from support.forge import SET_TYP, set_claims, sign, signing_key
from support.web import WebClient, sign_in_at_shop

RELOAD_DEADLINE_SECONDS = 30


def published_kids(stack) -> list[str]:
    jwks = requests.get(f"{stack.idp}/o/.well-known/jwks.json", timeout=10).json()
    return [key["kid"] for key in jwks["keys"]]


def kids_after_reload(stack, count: int) -> list[str]:
    """Poll the JWKS until the reloaded workers publish ``count`` keys, or give up."""
    deadline = time.monotonic() + RELOAD_DEADLINE_SECONDS
    kids = published_kids(stack)
    while len(kids) != count and time.monotonic() < deadline:
        kids = published_kids(stack)
    return kids


def test_a_rotated_key_signs_after_a_reload_and_shops_follow(stack, customer):
    """After `oidc_keys rotate` and a HUP to gunicorn (no restart), the old key stays published,
    the new one was published before it signed, and a new sign-in at a shop works at once.

    The shop's one JWKS re-fetch a minute is spent first, as anyone can spend it with a made-up
    kid at its receivers: the shop still verifies the new key's tokens, from the key set it
    cached before the rotation.
    """
    before = WebClient()
    sign_in_at_shop(before, stack.shop_a, customer.email, customer.password)
    old_kids = published_kids(stack)
    unknown_kid = sign(
        set_claims(stack, client_id="shop-a", sub="nobody"),
        typ=SET_TYP,
        key=signing_key(stack).pem,
        kid="made-up",
    )
    spent = requests.post(
        f"{stack.shop_a}/oidc/events/",
        data=unknown_kid,
        headers={"Content-Type": "application/secevent+jwt"},
        timeout=10,
    )
    idp_process = stack.processes["identity_server"].pid
    shop_a_process = stack.processes["project_a"].pid

    # --force: the stack's next key is minutes old, not the 5 minutes rotate waits for.
    rotated = stack.run("identity_server", "manage", "oidc_keys", "rotate", "--force").stdout
    os.kill(idp_process, signal.SIGHUP)

    kids = kids_after_reload(stack, len(old_kids) + 1)
    new_kid = rotated.split("New signing key ", 1)[1].split()[0]
    assert spent.status_code == 400
    assert new_kid in old_kids, "the new signing key was published before the rotation"
    assert set(old_kids) < set(kids)
    after = WebClient()
    sign_in_at_shop(after, stack.shop_a, customer.email, customer.password)
    assert after.page().select_one(".user-name").get_text(strip=True) == customer.full_name
    assert stack.processes["identity_server"].pid == idp_process
    assert stack.processes["project_a"].pid == shop_a_process
    listed = stack.run("identity_server", "manage", "oidc_keys", "list").stdout
    assert listed.count("active") == 1 and listed.count("retired") >= 1
    labels = [line.split()[0] for line in listed.splitlines()[1:]]
    assert labels.count("next") == 1
