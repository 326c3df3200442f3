"""The voice engine's link to Asterisk: FastAGI over asyncio.

`ivr.agi` is the wire codec (pure functions), `ivr.channel` one call's conversation, `ivr.server` the
listener that runs a handler per call. Handlers know the business and talk to Asterisk only through
`AgiChannel`.
"""
