"""Complaint models: see issue 6."""
