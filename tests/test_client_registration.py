"""A developer registers another client with one command and gets JSON back."""

import json

import requests


def oidc_client(stack, *args: str, check: bool = True):
    return stack.run("identity_server", "manage", "oidc_client", *args, check=check)


def test_add_list_and_rotate_secret_of_a_third_client(stack):
    """`add` prints credentials, `list` shows the client, `rotate-secret` replaces the secret."""
    added = json.loads(
        oidc_client(
            stack,
            "add",
            "--name",
            "Shop C",
            "--redirect-uri",
            "http://localhost:8003/oidc/callback/",
            "--post-logout-redirect-uri",
            "http://localhost:8003/",
            "--backchannel-logout-uri",
            "http://localhost:8003/oidc/backchannel-logout/",
            "--first-party",
        ).stdout
    )
    assert set(added) == {"client_id", "client_secret", "issuer"}
    assert added["issuer"] == f"{stack.idp}/o"
    assert len(added["client_secret"]) >= 40

    listed = json.loads(oidc_client(stack, "list").stdout)
    assert added["client_id"] in [client["client_id"] for client in listed]
    assert added["client_secret"] not in json.dumps(listed)

    rotated = json.loads(oidc_client(stack, "rotate-secret", added["client_id"]).stdout)
    assert rotated["client_secret"] != added["client_secret"]

    def client_credentials_accepted(secret: str) -> bool:
        # A confidential client authenticates at the token endpoint; a bad secret is invalid_client.
        response = requests.post(
            f"{stack.idp}/o/token/",
            data={
                "grant_type": "authorization_code",
                "code": "x",
                "redirect_uri": "http://localhost:8003/oidc/callback/",
                "code_verifier": "v" * 43,
            },
            auth=(added["client_id"], secret),
            timeout=10,
        )
        return response.json().get("error") != "invalid_client"

    assert client_credentials_accepted(rotated["client_secret"])
    assert not client_credentials_accepted(added["client_secret"])


def test_bad_input_gets_a_clear_error_not_a_traceback(stack):
    """An invalid redirect URI or an unknown client id is refused with a message."""
    bad_uri = oidc_client(
        stack, "add", "--name", "Broken", "--redirect-uri", "not a url", check=False
    )
    unknown = oidc_client(stack, "rotate-secret", "no-such-client", check=False)

    for result in (bad_uri, unknown):
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert result.stderr.strip()
