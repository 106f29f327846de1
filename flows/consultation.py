"""The 'consultation' stage flow (deployment entrypoint `verbund.flows.consultation:consultation`)."""

from verbund.flows.stage import stage_flow

consultation = stage_flow("consultation")
