"""Recipients of aids (LG-9, LG-10): patients and care units, the population register, views, printouts."""
