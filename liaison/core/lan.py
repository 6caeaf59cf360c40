"""The address the demo's links carry: ``make run`` prints QR codes and posters that a phone must
reach, so PUBLIC_BASE_URL follows where the server listens (``HOST``, ``PORT``).

``HOST=0.0.0.0`` listens on every interface; the links then carry this machine's address on
the local network, found without sending anything: connect() on a UDP socket only picks the
interface a packet to that (private) address would leave by. For trying the portal on a phone
on the same Wi-Fi, not for production (no TLS; production sets PUBLIC_BASE_URL itself).

    python -m liaison.core.lan HOST PORT   # prints the base URL, e.g. http://192.168.1.23:8000
"""

import socket
import sys

EVERY_INTERFACE = ("0.0.0.0", "::", "")  # noqa: S104 — names the wildcard, binds nothing
PROBE = ("10.255.255.255", 9)  # a private address: no packet is sent by connect() on UDP


def lan_address() -> str:
    """This machine's address on the local network, or 127.0.0.1 if it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(PROBE)
            address = probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
    return address if address and not address.startswith("0.") else "127.0.0.1"


def public_base_url(host: str, port: str | int) -> str:
    """The base of every absolute link for a server listening on ``host``:``port``."""
    shown = lan_address() if host in EVERY_INTERFACE else host
    return f"http://{shown}:{int(port)}"


if __name__ == "__main__":
    print(public_base_url(sys.argv[1], sys.argv[2]))
