"""What to send to the backends: files (files.py), chunks under each backend's budget (chunks.py),
diffs (diffs.py), one shard of them (shards.py), and the provider that picks one for a request
(providers.py)."""
