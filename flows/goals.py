"""The 'goals' stage flow (deployment entrypoint `verbund.flows.goals:goals`)."""

from verbund.flows.stage import stage_flow

goals = stage_flow("goals")
