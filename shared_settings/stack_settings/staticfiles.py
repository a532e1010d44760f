"""Static files compressed, under names that carry their hash, cached for good.

WhiteNoise serves a file whose name holds its content's hash with a ten-year ``immutable``
cache header, and its gzip and Brotli copies to the browsers that take them; ``collectstatic``
(scripts/entrypoint.sh ``setup``) writes them and the manifest of names.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CompressedManifestStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage that falls back to a file's plain name.

    Before ``collectstatic`` has run (unit tests, a checkout served through WhiteNoise's
    finders) the manifest has no entry, and Django's storage would fail the page that names the
    file; the plain name is served instead, with a short cache lifetime.
    """

    def stored_name(self, name: str) -> str:
        """Return the hashed name from the manifest, or ``name`` when it has none."""
        try:
            return super().stored_name(name)
        except ValueError:
            return name
