"""The local sandbox: Asterisk 22 in a Debian root made with debootstrap, Redis, SIPp, all on loopback."""
