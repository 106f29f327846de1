"""When will each network finish: the forecast use case and the dashboard's cache of it."""
