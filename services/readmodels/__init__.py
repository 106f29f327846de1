"""What the dashboard and ``verbund status`` read: the overview, the network page and its first screen,
the region map, typed API shapes, the report files offered for download.
"""
