"""Interop: real third-party relying-party libraries against the running identity server."""
