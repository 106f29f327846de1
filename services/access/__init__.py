"""Dashboard users, sessions and their administration, the login throttle, who acts (``--by``)."""
