"""The optional `trunk` section: the SIP provider (`model.Trunk`).

The provider is recognised by its signalling addresses alone (`allow_from`, or the provider's own address),
so they must be addresses or narrow networks: a host name could resolve to anything later, and a network
of 65,536 addresses or more is not one provider's. The password is never in the YAML.
"""

from __future__ import annotations

import ipaddress
import re

from hotline.dialplan.draft import SectionReader
from hotline.dialplan.model import CODECS, DIAL_FORMATS, DialFormat, Trunk
from hotline.dialplan.strictyaml import Node

TRUNK_REQUIRED = ("provider",)
TRUNK_OPTIONAL = ("port", "username", "register", "allow_from", "dids", "dial_format", "caller_id", "codecs")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
SIP_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
NARROWEST_PREFIX = {4: 16, 6: 48}  # wider networks than these are refused in allow_from


def read_trunk(r: SectionReader, node: Node) -> None:
    """Read `trunk` into `r.d.trunk` (left None when something in it is wrong: reported)."""
    path = "trunk"
    if (m := r.f.mapping(node, path)) is None:
        return
    r.f.keys(m, path, TRUNK_REQUIRED, TRUNK_OPTIONAL)
    provider = r.get(m, "provider", path, lambda n, p: _host(r, n, p))
    port = r.number(m, "port", path, 1, 65535, default=5060)
    username = r.given(m, "username", path, lambda n, p: _user(r, n, p), "")
    register = r.given(m, "register", path, r.f.boolean, False)
    none: tuple[str, ...] = ()
    allow = r.given(m, "allow_from", path, lambda n, p: _sources(r, n, p), none)
    dids = r.given(m, "dids", path, lambda n, p: _numbers(r, n, p), none)
    default_format: DialFormat = "e164"
    fmt = r.given(m, "dial_format", path, lambda n, p: _dial_format(r, n, p), default_format)
    caller_id = r.given(m, "caller_id", path, lambda n, p: r.f.digits(n, p, 2, 15, plus=True), "")
    all_codecs: tuple[str, ...] = CODECS
    codecs = r.given(m, "codecs", path, lambda n, p: _codecs(r, n, p), all_codecs)
    if register and not username and (at := m.get("register")) is not None:
        r.f.problem(at.span, f"{path}.register: registering needs a username", "add username: <the account>")
        return
    if provider is not None and not allow and not _is_address(provider):
        r.f.problem(
            m.span,
            f"{path}: the provider '{provider}' is a host name, so allow_from must list its addresses",
            "add allow_from: with the provider's signalling addresses or networks (its documentation lists "
            "them): calls are accepted from those addresses only",
        )
        return
    if provider is None or port is None or username is None or register is None or allow is None:
        return
    if dids is None or fmt is None or caller_id is None or codecs is None:
        return
    r.d.trunk = Trunk(provider, port, username, register, allow, dids, fmt, caller_id, codecs)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _host(r: SectionReader, node: Node, path: str) -> str | None:
    value = r.f.text(node, path)
    if value is not None and not (_is_address(value) or HOST_NAME.fullmatch(value)):
        r.f.problem(
            node.span, f"{path}: '{value}' is neither an address nor a host name", "such as sip.example.net"
        )
        return None
    return value


def _user(r: SectionReader, node: Node, path: str) -> str | None:
    value = r.f.text(node, path)
    if value is not None and not SIP_USER.fullmatch(value):
        r.f.problem(
            node.span,
            f"{path}: '{value}' is not a SIP user name",
            "letters, digits and . _ + - only, at most 64: the account as the provider gave it",
        )
        return None
    return value


def _sources(r: SectionReader, node: Node, path: str) -> tuple[str, ...] | None:
    if (seq := r.f.sequence(node, path)) is None:
        return None
    found: list[str] = []
    for i, item in enumerate(seq.items):
        where = f"{path}[{i}]"
        text = r.f.text(item, where)
        if text is None:
            return None
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            r.f.problem(
                item.span,
                f"{where}: '{text}' is not an address or a network",
                "write an address (203.0.113.5) or a network (203.0.113.0/28): no host names",
            )
            return None
        if net.prefixlen < NARROWEST_PREFIX[net.version]:
            r.f.problem(
                item.span,
                f"{where}: '{text}' is too wide for one provider's signalling addresses",
                "name the provider's own addresses, or a network of at least "
                f"/{NARROWEST_PREFIX[net.version]}",
            )
            return None
        found.append(str(net.network_address) if net.num_addresses == 1 else str(net))
    if not found:
        r.f.problem(seq.span, f"{path}: give at least one address", "or leave allow_from out")
        return None
    return tuple(found)


def _numbers(r: SectionReader, node: Node, path: str) -> tuple[str, ...] | None:
    if (seq := r.f.sequence(node, path)) is None:
        return None
    numbers = [r.f.digits(item, f"{path}[{i}]", 2, 15, plus=True) for i, item in enumerate(seq.items)]
    if any(n is None for n in numbers):
        return None
    found = tuple(n for n in numbers if n is not None)
    if not found or len(set(found)) != len(found):
        r.f.problem(
            seq.span, f"{path}: give one or more numbers, each once", 'such as ["74951234567", "122"]'
        )
        return None
    return found


def _dial_format(r: SectionReader, node: Node, path: str) -> DialFormat | None:
    value = r.f.choice(node, path, DIAL_FORMATS, "dial format", "formats")
    return next((f for f in DIAL_FORMATS if f == value), None)


def _codecs(r: SectionReader, node: Node, path: str) -> tuple[str, ...] | None:
    if (seq := r.f.sequence(node, path)) is None:
        return None
    names = [r.f.choice(item, f"{path}[{i}]", CODECS, "codec", "codecs") for i, item in enumerate(seq.items)]
    if any(n is None for n in names):
        return None
    found = tuple(n for n in names if n is not None)
    if not found or len(set(found)) != len(found):
        r.f.problem(seq.span, f"{path}: give one or more codecs, each once", "such as [ulaw, alaw]")
        return None
    return found
