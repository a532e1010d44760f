"""Sign a Django project's users in through the central OpenID Connect provider."""
