"""What one slot task does: the slot loop (``slot``), the walk into the manifest
(``calculation``), claiming, processing and writing a batch (``batch``), the log lines of a
result (``loglines``), and the engine's SQL per database (``sql``).

Nothing is imported here, so that ``engine.sql`` can be used without loading the slot loop.
"""
