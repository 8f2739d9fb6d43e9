"""Communes: INSEE reference data with the town hall's point, hours and contact."""
