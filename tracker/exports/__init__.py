"""Data exports for research: the journeys CSV."""
