"""What partners and coordinators contribute: analysis, potentials, goals, the consultation, the
protocol, signed partner links, channels.
"""
