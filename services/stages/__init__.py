"""A network's stages: reconcile, advance, waive, reopen; the facts the exit checks read; input follows
the stage; deadline extensions; the trigger outbox's sweep.
"""
