"""Regions, networks, organisations, contacts and memberships; who may join a network; who may change the directory."""
