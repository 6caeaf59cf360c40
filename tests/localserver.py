"""One way to run an HTTP server on 127.0.0.1 for a test: a provider, a robot, a platform."""

import contextlib
import threading
from http.server import ThreadingHTTPServer


@contextlib.contextmanager
def serving(handler):
    """Serve ``handler`` on a free port of 127.0.0.1 in a thread; yield the server, stop it after.
    The loop checks for shutdown every 10 ms (http.server's default is 500 ms, paid at every stop)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
