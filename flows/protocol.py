"""The 'protocol' stage flow (deployment entrypoint `flows/protocol.py:protocol`)."""

from flows.stage import stage_flow

protocol = stage_flow("protocol")
