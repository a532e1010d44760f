"""Passkeys: registration and sign-in, checked by py_webauthn against real signatures.

``SoftAuthenticator`` plays the browser and the authenticator: it makes a P-256 key pair and
answers the server's options with real CBOR, client data and ECDSA signatures, so every test
runs the library's verification for real.
"""

import hashlib
import json
import secrets
import time

import pytest
from conftest import PASSWORD
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, encode_cbor

from accounts.models import Passkey, RecoveryCode
from accounts.services.signin import PENDING_KEY
from audit.models import AuditEvent
from oidc import constants
from oidc.models import IdPSession

ORIGIN = "http://localhost:8000"  # IDP_URL in pytest.ini
RP_ID = "localhost"

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_AT = 0x40

OPTIONS = "/account/passkeys/add/options/"
REGISTER = "/account/passkeys/add/"
SIGN_IN_OPTIONS = "/account/passkeys/sign-in/options/"
SIGN_IN = "/account/passkeys/sign-in/"
SECOND_OPTIONS = "/account/passkeys/second-factor/options/"
SECOND = "/account/passkeys/second-factor/"


def b64(data: bytes) -> str:
    return bytes_to_base64url(data)


class SoftAuthenticator:
    """A WebAuthn authenticator in software: one discoverable P-256 credential."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.sign_count = 0
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return b64(self.credential_id)

    def _cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        # RFC 9053 §7.1.1: EC2 key, ES256, curve P-256.
        return encode_cbor(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict, *, origin: str = ORIGIN, rp_id: str = RP_ID) -> dict:
        """Answer registration options as navigator.credentials.create() would."""
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([FLAG_UP | FLAG_UV | FLAG_AT])
            + self.sign_count.to_bytes(4, "big")
            + bytes(16)  # AAGUID: none
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self._cose_public_key()
        )
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict,
        *,
        origin: str = ORIGIN,
        rp_id: str = RP_ID,
        user_verified: bool = True,
        sign_count: int | None = None,
        user_handle: bytes | None = None,
    ) -> dict:
        """Answer authentication options as navigator.credentials.get() would."""
        self.sign_count = self.sign_count + 1 if sign_count is None else sign_count
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        flags = FLAG_UP | (FLAG_UV if user_verified else 0)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + self.sign_count.to_bytes(4, "big")
        )
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        handle = user_handle if user_handle is not None else self.user_handle
        response = {
            "clientDataJSON": b64(client_data),
            "authenticatorData": b64(auth_data),
            "signature": b64(signature),
        }
        if handle is not None:
            response["userHandle"] = b64(handle)
        return {"id": self.id, "rawId": self.id, "type": "public-key", "response": response}


def post_json(client: Client, url: str, body=None, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(body or {})
    return client.post(url, data=data, content_type="application/json")


def register(client: Client, authenticator: SoftAuthenticator, name: str = "Laptop", **kw):
    options = post_json(client, OPTIONS).json()
    return post_json(
        client, REGISTER, {"name": name, "credential": authenticator.create(options, **kw)}
    )


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator()


@pytest.fixture
def registered(browser, user, authenticator) -> Passkey:
    """Alice's passkey, registered through the account page's endpoints."""
    response = register(browser, authenticator)
    assert response.status_code == 200, response.content
    return Passkey.objects.get(user=user)


def failures(kind=AuditEvent.Kind.SIGN_IN_FAILED) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind, data__factor="passkey"))


def pending_client(user, methods=("pwd",)) -> Client:
    """A browser whose password was accepted and whose second step is pending."""
    client = Client()
    session = client.session
    session[PENDING_KEY] = {
        "user_id": user.pk,
        "auth_hash": user.get_session_auth_hash(),
        "methods": list(methods),
        "started": time.time(),
    }
    session.save()
    return client


# Registration


def test_registration_stores_the_passkey_and_audits_it(browser, user, authenticator):
    """A verified registration stores the credential, its key and transports, audited."""
    options = post_json(browser, OPTIONS).json()
    assert options["rp"]["id"] == RP_ID
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["user"]["name"] == user.email
    assert base64url_to_bytes(options["user"]["id"]) == user.sub.bytes

    response = post_json(
        browser, REGISTER, {"name": "  Work   laptop ", "credential": authenticator.create(options)}
    )

    assert response.status_code == 200
    assert response.json() == {"redirect": "/account/passkeys/"}
    passkey = Passkey.objects.get(user=user)
    assert passkey.name == "Work laptop"
    assert passkey.credential_id == authenticator.id
    assert passkey.sign_count == 0
    assert passkey.transports == ["internal"]
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PASSKEY_ADDED)
    assert event.subject_user == user
    assert event.data == {"passkey": passkey.pk, "name": "Work laptop"}


def test_registration_options_exclude_the_users_passkeys(browser, registered):
    """The same authenticator is not registered twice: its credential is excluded."""
    options = post_json(browser, OPTIONS).json()
    assert [item["id"] for item in options["excludeCredentials"]] == [registered.credential_id]


@pytest.mark.parametrize(
    ("origin", "rp_id"),
    [("https://evil.example", RP_ID), (ORIGIN, "evil.example"), ("http://localhost:9999", RP_ID)],
)
def test_registration_from_another_origin_or_rp_is_refused(
    browser, user, authenticator, origin, rp_id
):
    """An answer made for another site (phishing) is refused and nothing is stored."""
    response = register(browser, authenticator, origin=origin, rp_id=rp_id)
    assert response.status_code == 400
    assert response.json()["error"] == "not_verified"
    assert not Passkey.objects.exists()
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSKEY_ADDED).exists()


def test_registration_challenge_is_single_use(browser, user, authenticator):
    """The same registration answer twice: the second finds no challenge."""
    options = post_json(browser, OPTIONS).json()
    body = {"name": "Laptop", "credential": authenticator.create(options)}
    assert post_json(browser, REGISTER, body).status_code == 200
    response = post_json(browser, REGISTER, body)
    assert response.status_code == 400
    assert response.json()["error"] == "challenge_expired"
    assert Passkey.objects.count() == 1


def test_registration_without_options_is_refused(browser, authenticator):
    """An answer to a challenge this session never got is refused."""
    options = {"challenge": b64(b"made-up"), "user": {"id": b64(b"x")}}
    response = post_json(
        browser, REGISTER, {"name": "X", "credential": authenticator.create(options)}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "challenge_expired"
    assert not Passkey.objects.exists()


def test_registration_challenge_expires(browser, authenticator):
    """A challenge older than the allowed time is refused."""
    options = post_json(browser, OPTIONS).json()
    session = browser.session
    session["passkey_challenge_register"]["started"] -= 10 * 60
    session.save()
    response = post_json(
        browser, REGISTER, {"name": "X", "credential": authenticator.create(options)}
    )
    assert response.json()["error"] == "challenge_expired"
    assert not Passkey.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, 7, None, "a\x00b"])
def test_registration_needs_a_name(browser, authenticator, name):
    """An empty, overlong or non-text name is refused with a clear message."""
    response = register(browser, authenticator, name=name)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_name"
    assert not Passkey.objects.exists()


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"a string"', b'{"name": "X", "credential": 5}']
)
def test_registration_with_a_malformed_body_answers_400_json(browser, raw):
    """Malformed JSON or credential: 400 with a JSON error, never a 500."""
    post_json(browser, OPTIONS)
    response = post_json(browser, REGISTER, raw=raw)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "detail"}
    assert not Passkey.objects.exists()


def test_registration_of_a_known_credential_is_refused(browser, registered, authenticator):
    """Registering the same credential id again is refused, not a 500."""
    response = register(browser, authenticator, name="Again")
    assert response.status_code == 400
    assert response.json()["error"] == "already_registered"
    assert Passkey.objects.count() == 1


def test_registration_needs_a_signed_in_user(db, authenticator):
    """Signed-out browsers get a JSON refusal from the registration endpoints."""
    client = Client()
    response = post_json(client, OPTIONS)
    assert response.status_code == 400
    assert response.json()["error"] == "not_signed_in"


def test_endpoints_are_post_only(browser):
    """A GET on a JSON endpoint is refused (405), never runs a ceremony."""
    assert browser.get(OPTIONS).status_code == 405
    assert browser.get(SIGN_IN).status_code == 405


# The account page


def test_page_lists_passkeys(browser, registered):
    """The page shows each passkey's name, when it was added and that it was never used."""
    response = browser.get("/account/passkeys/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Laptop" in content
    assert "never used" in content
    assert "js/passkeys.js" in content


def test_page_needs_sign_in(db):
    """Signed-out visitors are sent to sign in."""
    response = Client().get("/account/passkeys/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_rename(browser, registered):
    """A passkey can be renamed; an empty name is refused."""
    browser.post(f"/account/passkeys/{registered.pk}/rename/", {"name": "Phone"})
    registered.refresh_from_db()
    assert registered.name == "Phone"
    browser.post(f"/account/passkeys/{registered.pk}/rename/", {"name": " "})
    registered.refresh_from_db()
    assert registered.name == "Phone"


def test_remove_deletes_and_audits(browser, user, registered):
    """Removing a passkey deletes it and records PASSKEY_REMOVED."""
    response = browser.post(f"/account/passkeys/{registered.pk}/remove/")
    assert response.status_code == 302
    assert not Passkey.objects.exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PASSKEY_REMOVED)
    assert event.subject_user == user
    assert event.data == {"passkey": registered.pk, "name": "Laptop", "recovery_codes_removed": 0}


def test_another_users_passkey_cannot_be_renamed_or_removed(make_user, registered):
    """Bob cannot touch Alice's passkey through its id."""
    make_user(email="bob@example.com")
    bob = Client()
    bob.post("/account/login/", {"username": "bob@example.com", "password": PASSWORD})
    bob.post(f"/account/passkeys/{registered.pk}/rename/", {"name": "Mine"})
    bob.post(f"/account/passkeys/{registered.pk}/remove/")
    registered.refresh_from_db()
    assert registered.name == "Laptop"
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSKEY_REMOVED).exists()


# Password-less sign-in


def sign_in(client: Client, authenticator: SoftAuthenticator, url: str = SIGN_IN, **kw):
    options_url = SIGN_IN_OPTIONS if url.startswith(SIGN_IN) else SECOND_OPTIONS
    options = post_json(client, options_url).json()
    return post_json(client, url, {"credential": authenticator.get(options, **kw)})


def test_password_less_sign_in_counts_as_two_factors(user, registered, authenticator):
    """A verified passkey alone signs in with amr hwk + mfa, on the IdP session too."""
    client = Client()
    options = post_json(client, SIGN_IN_OPTIONS).json()
    assert options["userVerification"] == "required"
    assert options["allowCredentials"] == []

    response = post_json(
        client,
        f"{SIGN_IN}?next=/o/authorize/%3Fclient_id%3Dx",
        {"credential": authenticator.get(options)},
    )

    assert response.status_code == 200
    assert response.json() == {"redirect": "/o/authorize/?client_id=x"}
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session[constants.SESSION_AMR_KEY] == ["hwk", "mfa"]
    sid = client.session[constants.SESSION_SID_KEY]
    assert IdPSession.objects.get(sid=sid, user=user).amr == ["hwk", "mfa"]
    registered.refresh_from_db()
    assert registered.sign_count == 1
    assert registered.last_used_at is not None


def test_sign_in_never_redirects_off_site(user, registered, authenticator):
    """A foreign next URL is dropped for the default page."""
    client = Client()
    options = post_json(client, SIGN_IN_OPTIONS).json()
    response = post_json(
        client, f"{SIGN_IN}?next=https://evil.example/", {"credential": authenticator.get(options)}
    )
    assert response.json() == {"redirect": "/account/profile/"}


def test_password_less_sign_in_requires_user_verification(user, registered, authenticator):
    """Presence alone (no PIN or biometrics) is not enough without a password."""
    client = Client()
    response = sign_in(client, authenticator, user_verified=False)
    assert response.status_code == 400
    assert response.json()["error"] == "not_verified"
    assert "_auth_user_id" not in client.session
    [event] = failures()
    assert event.subject_user == user
    assert event.data["reason"] == "not_verified"


def test_replayed_assertion_is_refused(user, registered, authenticator):
    """The same signed answer twice: the second finds its challenge used up."""
    client = Client()
    options = post_json(client, SIGN_IN_OPTIONS).json()
    body = {"credential": authenticator.get(options)}
    assert post_json(client, SIGN_IN, body).status_code == 200

    attacker = Client()
    response = post_json(attacker, SIGN_IN, body)
    assert response.status_code == 400
    assert response.json()["error"] == "challenge_expired"
    # With a fresh challenge of its own, the old answer does not match it.
    post_json(attacker, SIGN_IN_OPTIONS)
    response = post_json(attacker, SIGN_IN, body)
    assert response.status_code == 400
    assert response.json()["error"] == "not_verified"
    assert "_auth_user_id" not in attacker.session


@pytest.mark.parametrize(
    ("origin", "rp_id"), [("https://evil.example", RP_ID), (ORIGIN, "evil.example")]
)
def test_assertion_for_another_site_is_refused(user, registered, authenticator, origin, rp_id):
    """An assertion made at a phishing origin or for another RP does not sign in."""
    client = Client()
    response = sign_in(client, authenticator, origin=origin, rp_id=rp_id)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_unknown_passkey_is_refused_and_audited(db, authenticator):
    """A credential the server does not know: 400, audited without a user."""
    client = Client()
    response = sign_in(client, authenticator)
    assert response.status_code == 400
    assert response.json()["error"] == "unknown_passkey"
    [event] = failures()
    assert event.subject_user is None


def test_forged_signature_is_refused(user, registered, authenticator):
    """An assertion signed by another key for the same credential id is refused."""
    forger = SoftAuthenticator()
    forger.credential_id = authenticator.credential_id
    forger.user_handle = authenticator.user_handle
    client = Client()
    response = sign_in(client, forger)
    assert response.status_code == 400
    assert response.json()["error"] == "not_verified"
    assert "_auth_user_id" not in client.session


def test_user_handle_of_another_user_is_refused(user, registered, authenticator, make_user):
    """A discoverable credential naming another user than its owner is refused."""
    bob = make_user(email="bob@example.com")
    client = Client()
    response = sign_in(client, authenticator, user_handle=bob.sub.bytes)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_signature_counter_going_backwards_is_refused_and_audited(user, registered, authenticator):
    """A counter at or below the stored one hints at a cloned key: refused and audited."""
    Passkey.objects.filter(pk=registered.pk).update(sign_count=10)
    client = Client()
    response = sign_in(client, authenticator, sign_count=5)
    assert response.status_code == 400
    assert response.json()["error"] == "sign_count"
    assert "_auth_user_id" not in client.session
    registered.refresh_from_db()
    assert registered.sign_count == 10
    assert registered.last_used_at is None
    [event] = failures()
    assert event.data == {
        "factor": "passkey",
        "reason": "sign_count",
        "passkey": registered.pk,
        "sign_count": 5,
        "stored": 10,
    }


def test_authenticators_without_a_counter_may_sign_in_again(user, registered, authenticator):
    """A counter that stays 0 (passkeys synced between devices) is allowed (§6.1.1)."""
    assert sign_in(Client(), authenticator, sign_count=0).status_code == 200
    assert sign_in(Client(), authenticator, sign_count=0).status_code == 200


def test_inactive_users_cannot_sign_in_with_a_passkey(user, registered, authenticator):
    """A deactivated account's passkey no longer signs in."""
    user.is_active = False
    user.save()
    client = Client()
    response = sign_in(client, authenticator)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "raw", [b"{", b"[]", b'{"credential": {"id": "x"}}', b'{"credential": null}']
)
def test_malformed_assertions_answer_400_json(db, raw):
    """Malformed bodies and credentials: 400 JSON, never a 500."""
    client = Client()
    post_json(client, SIGN_IN_OPTIONS)
    response = post_json(client, SIGN_IN, raw=raw)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "detail"}


def test_failed_assertions_are_throttled(settings, user, registered, authenticator):
    """After the allowed failures, even a right assertion waits (429, Retry-After)."""
    settings.SIGN_IN_FREE_FAILURES = 0
    settings.SIGN_IN_LOCKOUT_FAILURES = 1
    client = Client()
    assert sign_in(client, authenticator, user_verified=False).status_code == 400

    response = sign_in(client, authenticator)

    assert response.status_code == 429
    assert response.json()["error"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_LOCKED).exists()


# Second factor


def test_second_factor_completes_a_pending_sign_in(user, registered, authenticator):
    """Password, then the passkey: signed in with pwd + hwk + mfa."""
    client = pending_client(user)
    options = post_json(client, SECOND_OPTIONS).json()
    assert [item["id"] for item in options["allowCredentials"]] == [registered.credential_id]
    assert options["userVerification"] == "discouraged"

    response = post_json(
        client, SECOND, {"credential": authenticator.get(options, user_verified=False)}
    )

    assert response.status_code == 200
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session[constants.SESSION_AMR_KEY] == ["hwk", "pwd", "mfa"]
    assert PENDING_KEY not in client.session


def test_second_factor_refuses_another_users_passkey(user, registered, authenticator, make_user):
    """Bob's password then Alice's passkey: refused, Bob stays pending, audited."""
    bob = make_user(email="bob@example.com")
    bob_key = SoftAuthenticator()
    Passkey.objects.create(
        user=bob, name="Bob's", credential_id=bob_key.id, public_key=b"x", sign_count=0
    )
    client = pending_client(bob)
    options = post_json(client, SECOND_OPTIONS).json()
    response = post_json(client, SECOND, {"credential": authenticator.get(options)})
    assert response.status_code == 400
    assert response.json()["error"] == "unknown_passkey"
    assert "_auth_user_id" not in client.session
    assert PENDING_KEY in client.session
    [event] = failures()
    assert event.subject_user == bob


def test_second_factor_without_a_pending_sign_in_is_refused(user, registered, authenticator):
    """No password first: no second step, no session."""
    client = Client()
    response = post_json(client, SECOND_OPTIONS)
    assert response.status_code == 400
    assert response.json()["error"] == "no_pending_sign_in"
    response = post_json(client, SECOND, {"credential": authenticator.get({"challenge": "AA"})})
    assert response.json()["error"] == "no_pending_sign_in"
    assert "_auth_user_id" not in client.session


def test_second_factor_options_need_a_passkey(user):
    """A user without passkeys is told to use another way."""
    response = post_json(pending_client(user), SECOND_OPTIONS)
    assert response.status_code == 400
    assert response.json()["error"] == "no_passkeys"


def test_sign_in_challenge_does_not_serve_the_second_factor(user, registered, authenticator):
    """A challenge is bound to its purpose: a sign-in challenge cannot finish a second step."""
    client = pending_client(user)
    options = post_json(client, SIGN_IN_OPTIONS).json()
    response = post_json(client, SECOND, {"credential": authenticator.get(options)})
    assert response.status_code == 400
    assert response.json()["error"] == "challenge_expired"
    assert "_auth_user_id" not in client.session


# Sensitive changes need a recent sign-in


def make_sign_in_old(client: Client) -> None:
    session = client.session
    session[constants.SESSION_AUTH_TIME_KEY] = time.time() - 3600
    session.save()


def test_adding_a_passkey_after_an_old_sign_in_asks_to_reauthenticate(browser, authenticator):
    """An old sign-in gets a JSON answer pointing at the re-authentication page."""
    make_sign_in_old(browser)
    response = post_json(browser, OPTIONS)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "reauth_required"
    assert body["redirect"].startswith("/account/reauthenticate/?next=%2Faccount%2Fpasskeys%2F")
    assert "passkey_challenge_register" not in browser.session


def test_removing_a_passkey_after_an_old_sign_in_asks_to_reauthenticate(browser, registered):
    """An old sign-in is sent to re-authenticate and the passkey stays."""
    make_sign_in_old(browser)
    response = browser.post(f"/account/passkeys/{registered.pk}/remove/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/reauthenticate/")
    assert Passkey.objects.filter(pk=registered.pk).exists()


def test_removing_the_last_second_factor_drops_the_recovery_codes(browser, user, registered):
    """Without a passkey or an app left, recovery codes would ask for a code: they go."""
    RecoveryCode.objects.create(user=user, code_hash="x")
    browser.post(f"/account/passkeys/{registered.pk}/remove/")
    assert not RecoveryCode.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PASSKEY_REMOVED)
    assert event.data["recovery_codes_removed"] == 1


def test_removing_a_passkey_keeps_recovery_codes_of_the_app(browser, user, registered):
    """With an authenticator app left, the recovery codes stay."""
    TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    RecoveryCode.objects.create(user=user, code_hash="x")
    browser.post(f"/account/passkeys/{registered.pk}/remove/")
    assert not Passkey.objects.exists()
    assert RecoveryCode.objects.filter(user=user).count() == 1


# The sign-in pages


def test_sign_in_page_offers_a_passkey(db):
    """The sign-in page carries the passkey block, which keeps ``next``."""
    response = Client().get("/account/login/?next=/o/authorize/%3Fclient_id%3Dx")
    content = response.content.decode()
    verify_url = "/account/passkeys/sign-in/?next=/o/authorize/%3Fclient_id%3Dx"
    assert 'data-passkey="sign-in"' in content
    assert f'data-verify-url="{verify_url}"' in content


def test_second_step_offers_a_passkey_to_users_with_one(user, registered):
    """The second step shows "Use a passkey" when the pending user has a passkey."""
    response = pending_client(user).get("/account/login/verify/")
    assert 'data-passkey="second-factor"' in response.content.decode()


def test_second_step_offers_no_passkey_to_users_without_one(user):
    """An app-only user is not offered a passkey they do not have."""
    TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    response = pending_client(user).get("/account/login/verify/")
    assert response.status_code == 200
    assert 'data-passkey="second-factor"' not in response.content.decode()
