"""The 'consultation' stage flow (deployment entrypoint `flows/consultation.py:consultation`)."""

from flows.stage import stage_flow

consultation = stage_flow("consultation")
