"""The deterministic, fictional sample regions of ``verbund demo``."""
