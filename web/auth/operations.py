"""Operator accounts: creation, authentication. No Flask request objects here."""

from __future__ import annotations

import re

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from web.auth.models import MIN_PASSWORD_LENGTH, Operator, normalise_email
from web.core.errors import OperationError
from web.core.types import utcnow
from web.extensions import db

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")

# Checking a password against this hash when the e-mail is unknown takes as long as a real
# check: response times do not tell which addresses have an account.
_DUMMY_HASH = generate_password_hash("tourplan-no-such-operator")


def valid_email(email: str) -> bool:
    return len(email) <= 254 and EMAIL_RE.match(email) is not None


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperationError(f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères.")
    if len(password) > 1024:
        raise OperationError("Le mot de passe est trop long (1024 caractères au plus).")


def find_operator(email: str) -> Operator | None:
    return db.session.execute(select(Operator).where(Operator.email == normalise_email(email))).scalar_one_or_none()


def create_operator(email: str, password: str, *, reset: bool = False) -> Operator:
    """Create an operator, or with ``reset`` set a new password on an existing one
    (which logs out its open sessions). The caller commits."""
    email = normalise_email(email)
    if not valid_email(email):
        raise OperationError(f"« {email} » n'est pas une adresse e-mail valide.")
    check_new_password(password)
    operator = find_operator(email)
    if operator is not None and not reset:
        raise OperationError(
            f"Un opérateur {email} existe déjà (utilisez --reset-password pour changer son mot de passe)."
        )
    if operator is None:
        if reset:
            raise OperationError(f"Aucun opérateur {email}.")
        operator = Operator(email=email, active=True)
        db.session.add(operator)
    operator.set_password(password)
    operator.active = True
    return operator


def authenticate(email: str, password: str) -> Operator | None:
    """The active operator with this e-mail and password, or None (without saying which was wrong)."""
    operator = find_operator(email) if valid_email(normalise_email(email)) else None
    if operator is None:
        from werkzeug.security import check_password_hash

        check_password_hash(_DUMMY_HASH, password)
        return None
    if not operator.check_password(password) or not operator.is_active:
        return None
    return operator


def record_login(operator: Operator) -> None:
    operator.last_login_at = utcnow()
