"""Data: the demo data sets and the feature schema every step enforces."""
