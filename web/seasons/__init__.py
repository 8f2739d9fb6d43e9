"""Seasons: the planning horizon, service weekdays and closed dates."""
