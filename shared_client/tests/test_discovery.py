"""The discovery document: cached, and only for the configured issuer."""

import pytest
import requests

from sso_client.discovery import provider_metadata
from sso_client.exceptions import ProviderMisconfigured, ProviderUnavailable


def test_metadata_is_fetched_once_and_cached(idp):
    first = provider_metadata()
    second = provider_metadata()

    assert first == second
    assert first["token_endpoint"] == "https://idp.test/o/token/"
    assert idp.urls_called("/o/.well-known/openid-configuration") == 1
    assert idp.calls[0][2] == 5  # TIMEOUT is passed to requests


def test_document_of_another_issuer_is_refused(idp):
    """OIDC Discovery §4.3: the issuer in the document must equal ISSUER exactly."""
    idp.metadata_overrides["issuer"] = "https://idp.test/o/"

    with pytest.raises(ProviderMisconfigured):
        provider_metadata()


def test_unreachable_provider_raises_unavailable(idp):
    def fail(url):
        raise requests.ConnectTimeout("timed out")

    idp.failure = fail

    with pytest.raises(ProviderUnavailable):
        provider_metadata()
