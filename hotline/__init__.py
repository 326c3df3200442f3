"""A citizens' hotline on Asterisk: voice menus from YAML, skill-group queues, callbacks."""

__version__ = "0.1.0"
