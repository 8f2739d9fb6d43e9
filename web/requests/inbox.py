"""Operator inbox of requests (filled in below)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("inbox", __name__, template_folder="templates", url_prefix="/operateur/demandes")
