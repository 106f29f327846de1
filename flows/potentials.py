"""The 'potentials' stage flow (deployment entrypoint `verbund.flows.potentials:potentials`)."""

from verbund.flows.stage import stage_flow

potentials = stage_flow("potentials")
