"""Django's Redis cache backend, minus a client object per operation.

django.core.cache.backends.redis builds a new `redis.Redis` for every get, set or get_many
(RedisCacheClient.get_client), and each one fills a table of ~200 response callbacks: about
0.2 ms of CPU per cache call on a busy 2-core machine, a dozen times per page. A `redis.Redis`
is safe to share between threads (each command takes a connection from the pool), so one per
connection pool serves the whole process.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients.setdefault(index, self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
