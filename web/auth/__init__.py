"""Operator accounts: the ``Operator`` model, login/logout, ``operator_required``."""
