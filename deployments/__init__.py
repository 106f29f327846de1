"""Deployments of verbund on a Prefect server: specs, deploy, and the local stack commands."""
