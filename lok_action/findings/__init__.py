"""Findings: the model (model.py), validating what a backend answered (validate.py), fingerprints
(fingerprint.py), the consensus merge (merge.py, with wording.py) and the one JSON Schema of a
findings answer (schema.py)."""
