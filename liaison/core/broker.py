"""The Celery broker's transport on Redis: kombu's, sending every message through one client.

kombu's Redis channel builds a new ``redis.Redis`` for each message it sends, and each new client
fills its table of ~170 reply handlers: about a sixth of the time a web request spends queueing a
task. A client holds no connection of its own, only the channel's connection pool, so one client
per pool serves every call; when kombu replaces the pool (after a fork or a lost connection), the
next call builds a client on the new one, as the cache's ``ReusedClients`` does for Django's Redis
backend (liaison/core/cache.py). Chosen by ``CELERY_BROKER_TRANSPORT`` in the settings.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    _client_of_pool = None

    def _create_client(self, asynchronous=False):
        if asynchronous:  # the worker's consuming client, already built once per channel
            return super()._create_client(asynchronous=True)
        client = self._client_of_pool
        if client is None or client.connection_pool is not self.pool:
            client = self._client_of_pool = super()._create_client()
        return client


class Transport(redis.Transport):
    Channel = Channel
