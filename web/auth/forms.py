from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(
        "Adresse e-mail",
        validators=[DataRequired("Indiquez votre adresse e-mail."), Length(max=254, message="Adresse trop longue.")],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired("Indiquez votre mot de passe."), Length(max=1024, message="Mot de passe trop long.")],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Se connecter")


class LogoutForm(FlaskForm):
    """Logout is a POST with a CSRF token: a link or an image elsewhere cannot log an operator out."""

    submit = SubmitField("Se déconnecter")


def csrf_failed(form: FlaskForm) -> bool:
    """True when the form was refused for its CSRF token (missing, expired, forged)."""
    token = getattr(form, "csrf_token", None)
    return bool(token is not None and token.errors)
