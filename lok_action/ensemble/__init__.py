"""Backends working together, the modes beside the workflow runner:

- debate: every backend states a position, then rounds of JSON verdicts until all agree (debate.py);
- spawn: a planner splits a task, each part runs on its best-suited backend in parallel (spawn.py);
- conduct: a conductor backend decides each round to query, run a workflow, edit or finish (conduct.py).

common.py holds what they share (the run's frame, how a backend is asked, many at once). The commands
in lok_action/commands/ turn argv into these calls; nothing here reads argparse.
"""
