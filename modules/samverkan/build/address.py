"""The address participants really use: this machine's address on the local network, or the proxy's.

A plan (or ``samverkan serve --host 0.0.0.0``) may name the loopback address or "every interface";
neither is an address a phone in the room can open. Used by ``samverkan serve`` (the banner and the
presenter's join screen) and by ``samverkan kit`` (the facilitator guide).
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "", "::"}


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), or 127.0.0.1."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def participant_url(server: str) -> tuple[str, str]:
    """(the participants' root address ending in /, why): ``SAMVERKAN_PUBLIC_URL`` if set, else
    ``server`` with a loopback or "every interface" host replaced by this machine's network address."""
    proxied = os.environ.get("SAMVERKAN_PUBLIC_URL", "").strip()
    if proxied:
        return proxied.rstrip("/") + "/", "SAMVERKAN_PUBLIC_URL"
    parts = urlsplit(server if "://" in server else f"http://{server}")
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    if host in LOOPBACK:
        lan = lan_address()
        why = "den här datorns adress i nätverket" if lan != "127.0.0.1" else "datorn har inget nätverk just nu"
        return f"{parts.scheme or 'http'}://{lan}{port}/", why
    return f"{parts.scheme or 'http'}://{parts.netloc}/", "planen"
