"""Work over many items: what every command that walks a class shares.

Modules:
``progress`` (counts and an ETA for a long step, a bar on a terminal, lines in a log);
``processes`` (pure work spread over processes once there are enough items to pay for a pool).
"""
