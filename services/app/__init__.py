"""The composition root and what every use case stands on: settings, engine and migrations, the unit of
work and the write use-case skeleton, clocks, ports, lookups, the Schulferien calendars.
"""
