"""The 'analysis' stage flow (deployment entrypoint `flows/analysis.py:analysis`)."""

from flows.stage import stage_flow

analysis = stage_flow("analysis")
