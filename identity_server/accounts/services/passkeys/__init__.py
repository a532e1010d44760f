"""Passkeys (WebAuthn): register them, and sign in with one, alone or after a password.

The ceremonies follow WebAuthn Level 2 (§7.1 registration, §7.2 authentication) through
py_webauthn, which checks the challenge, origin, RP ID, flags and signature. What is ours:

- Each challenge lives in the Django session, bound to its purpose (and user), for a few
  minutes, and is taken out before the answer is checked: an answer is checked once, so a
  replayed assertion finds no challenge.
- The signature counter (§6.1.1): py_webauthn is given 0 as the stored count so it verifies
  the signature first; the count is compared here, under a row lock, and a counter that did
  not move forward is refused and audited (a sign of a cloned authenticator).
- A passkey used alone must verify the user (PIN or biometrics, the UV flag), so it counts as
  two factors (accounts.services.signin.amr_of); after a password, presence is enough.
"""

from accounts.services.passkeys.authentication import (
    passkey_second_factor,
    passkey_second_factor_options,
    passkey_sign_in,
    passkey_sign_in_options,
)
from accounts.services.passkeys.common import (
    NAME_MAX_LENGTH,
    PasskeyError,
    PasskeySignIn,
    passkeys_of,
)
from accounts.services.passkeys.registration import (
    passkey_name_clean,
    passkey_register,
    passkey_registration_options,
    passkey_remove,
    passkey_rename,
)

__all__ = [
    "NAME_MAX_LENGTH",
    "PasskeyError",
    "PasskeySignIn",
    "passkey_name_clean",
    "passkey_register",
    "passkey_registration_options",
    "passkey_remove",
    "passkey_rename",
    "passkey_second_factor",
    "passkey_second_factor_options",
    "passkey_sign_in",
    "passkey_sign_in_options",
    "passkeys_of",
]
