"""One reporting round run end to end: intake -> ledger -> master, then each school's
feedback file and the plausibility checks against what the office already knows.
"""
