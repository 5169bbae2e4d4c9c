"""Where the API may be reached: while no API key exists it is open, so ``docqa serve`` binds to this machine
only. (Who may read what is ``service.core.access``; the keys themselves are behind the ``KeyStore`` seam.)"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True for an address (or ``localhost``) that only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_address(requested: str, keys_exist: bool) -> tuple[str, str | None]:
    """Where ``docqa serve`` binds and what it says about it: while no key exists the API is open, so
    it binds to this machine only, whatever address was asked for."""
    if keys_exist:
        return requested, None
    if is_loopback(requested):
        return requested, "no API keys exist: the API is open to this machine only (localhost)"
    return "127.0.0.1", (
        f"no API keys exist, so docqa binds to 127.0.0.1 instead of {requested or 'all addresses'}; "
        "create one with 'docqa keys create' to serve other machines"
    )
