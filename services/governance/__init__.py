"""Agreements, consensus decisions vote by vote, documented steps (NRW, Hessen, Kommunale Koordinierung)."""
