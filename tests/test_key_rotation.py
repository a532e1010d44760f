"""The identity server rotates its signing key; running shops keep signing people in."""

import requests
from bootstrap import signing_key_ensure
from support.web import WebClient, sign_in_at_shop


def published_kids(stack) -> list[str]:
    jwks = requests.get(f"{stack.idp}/o/.well-known/jwks.json", timeout=10).json()
    return [key["kid"] for key in jwks["keys"]]


def test_shops_accept_tokens_signed_with_a_new_key_without_a_restart(stack, customer):
    """After a key rotation the old key stays published and a shop fetches the new one itself."""
    first = WebClient()
    sign_in_at_shop(first, stack.shop_a, customer.email, customer.password)
    assert first.page().select_one(".user-name") is not None
    old_kids = published_kids(stack)
    shop_a_process = stack.processes["project_a"].pid
    old_key = stack.var_dir / "oidc_rsa.pem"
    new_key = stack.var_dir / "oidc_rsa_rotated.pem"
    signing_key_ensure(new_key)

    stack.restart(
        "identity_server",
        OIDC_RSA_PRIVATE_KEY_FILE=str(new_key),
        OIDC_RSA_RETIRED_KEY_FILES=str(old_key),
    )

    kids = published_kids(stack)
    assert len(kids) == 2 and set(old_kids) < set(kids)
    second = WebClient()
    sign_in_at_shop(second, stack.shop_a, customer.email, customer.password)
    assert second.page().select_one(".user-name").get_text(strip=True) == customer.full_name
    assert stack.processes["project_a"].pid == shop_a_process
