"""The 'goals' stage flow (deployment entrypoint `flows/goals.py:goals`)."""

from flows.stage import stage_flow

goals = stage_flow("goals")
