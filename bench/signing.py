"""What signing an ID token costs with each algorithm (`python -m bench.signing`).

Signs and verifies one ID token of typical claims with jwcrypto, as the identity server does,
with RS256 (2048-bit, what it uses), ES256 and EdDSA; prints CPU ms per operation.
"""

import json
import time

from jwcrypto import jwk, jwt

RUNS = 300
CLAIMS = json.dumps(
    {
        "iss": "http://localhost:8000/o",
        "sub": "6f1c0c1e-0000-4000-8000-000000000000",
        "aud": "shop-a",
        "exp": 4102444800,
        "iat": 1,
        "nonce": "n" * 22,
        "email": "alice@example.com",
        "amr": ["pwd"],
    }
)
KEYS = {
    "RS256": lambda: jwk.JWK.generate(kty="RSA", size=2048),
    "ES256": lambda: jwk.JWK.generate(kty="EC", crv="P-256"),
    "EdDSA": lambda: jwk.JWK.generate(kty="OKP", crv="Ed25519"),
}


def cpu_ms_per_run(action) -> float:
    """Return the CPU milliseconds of one call of ``action``, averaged over RUNS calls."""
    started = time.process_time()
    for _ in range(RUNS):
        action()
    return (time.process_time() - started) / RUNS * 1000


def main() -> None:
    print(f"ID token signing, CPU ms per operation ({RUNS} each)")
    for algorithm, make_key in KEYS.items():
        key = make_key()

        def sign(key=key, algorithm=algorithm) -> str:
            token = jwt.JWT(header={"alg": algorithm, "kid": "k"}, claims=CLAIMS)
            token.make_signed_token(key)
            return token.serialize()

        signed = sign()
        sign_ms = cpu_ms_per_run(sign)
        verify_ms = cpu_ms_per_run(lambda key=key, signed=signed: jwt.JWT(key=key, jwt=signed))
        print(f"{algorithm:<6} sign {sign_ms:.3f} ms, verify {verify_ms:.3f} ms")


if __name__ == "__main__":
    main()
