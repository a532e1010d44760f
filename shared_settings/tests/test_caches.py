"""The Redis cache backend: Django's, with a Redis client kept per connection pool."""

from django.conf import settings
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

from stack_settings.caches import RedisCache, RedisCacheClient

if not settings.configured:
    settings.configure()


def test_the_backend_uses_the_client_kept_per_pool() -> None:
    backend = RedisCache("redis://127.0.0.1:6379/0", {})

    assert isinstance(backend._cache, RedisCacheClient)
    assert isinstance(backend._cache, DjangoRedisCacheClient)


def test_one_redis_client_serves_every_call_of_a_pool() -> None:
    """Built once, not per call: redis-py's constructor is most of a cache call's CPU."""
    client = RedisCacheClient(["redis://127.0.0.1:6379/0"])

    first = client.get_client("a", write=True)
    second = client.get_client("b")

    assert first is second
    assert first.connection_pool is client._get_connection_pool(write=True)


def test_replicas_keep_a_client_each() -> None:
    """Writes go to the first server, reads to the others, each through its own client."""
    client = RedisCacheClient(["redis://127.0.0.1:6379/0", "redis://127.0.0.1:6380/0"])

    writer = client.get_client("k", write=True)
    reader = client.get_client("k")

    assert writer is not reader
    assert writer.connection_pool.connection_kwargs["port"] == 6379
    assert reader.connection_pool.connection_kwargs["port"] == 6380
    assert client.get_client("k") is reader
