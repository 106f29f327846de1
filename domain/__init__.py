"""verbund package."""
