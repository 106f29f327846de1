"""The 'protocol' stage flow (deployment entrypoint `verbund.flows.protocol:protocol`)."""

from verbund.flows.stage import stage_flow

protocol = stage_flow("protocol")
