"""The 'analysis' stage flow (deployment entrypoint `verbund.flows.analysis:analysis`)."""

from verbund.flows.stage import stage_flow

analysis = stage_flow("analysis")
