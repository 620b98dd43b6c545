"""This computer on its network: one rule for the harness (is a learner's server reachable from the room?)
and the board (which address do the room's laptops join?)."""
from __future__ import annotations

import socket


def lan_address() -> str | None:
    """This machine's own address on its local network, or None without one.

    Connecting a UDP socket sends nothing; it only asks the OS which interface it would use. 192.0.2.1 is a
    documentation address (TEST-NET-1), so nothing is ever contacted."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith(("127.", "0.")) else address
