"""Planning the reminder sweep, the outbox (claim, send, mark), announcements, the mail sender, who no
message reaches.
"""
