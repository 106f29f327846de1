"""The 'potentials' stage flow (deployment entrypoint `flows/potentials.py:potentials`)."""

from flows.stage import stage_flow

potentials = stage_flow("potentials")
