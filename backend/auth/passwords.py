"""What a password must not be: blank, short, common, or the username.

The list of common passwords is a data file (`COMMON_PASSWORDS_FILE`, one a line, compared
case-insensitively): by default `common-passwords.txt` beside this module, the 20,000 most common
passwords compiled by Royce Williams from breach corpora, as Django ships it
(django/contrib/auth/common-passwords.txt.gz, Django 5.1.4). An operator may point the setting
at a longer list without a release.
"""

import os
from functools import lru_cache

from flask import current_app

from backend.errors import InvalidInput
from backend.requestbody import has_lone_surrogate

MIN_LENGTH = 8
MAX_LENGTH = 256
DEFAULT_COMMON_PASSWORDS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "common-passwords.txt")
RULES = (
    f"{MIN_LENGTH} to {MAX_LENGTH} characters, not only spaces, not one of the most common passwords, "
    "and not the username (nor containing it)."
)


@lru_cache(maxsize=4)
def _common_passwords(path: str) -> frozenset:
    with open(path, encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n").casefold() for line in lines if line.strip())


def password_problems(password, username=None) -> list[str]:
    """Return what is wrong with `password` for the account `username` (empty when nothing is)."""
    if not isinstance(password, str) or not password.strip():
        return ["Must not be blank."]
    if has_lone_surrogate(password):
        return ["Not valid text."]
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"At least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"At most {MAX_LENGTH} characters.")
    folded = password.casefold()
    path = current_app.config.get("COMMON_PASSWORDS_FILE") or DEFAULT_COMMON_PASSWORDS_FILE
    if folded in _common_passwords(path) or folded.strip() in _common_passwords(path):
        problems.append("Too common: one of the most used passwords.")
    name = username.strip().casefold() if isinstance(username, str) else ""
    # Containment from three characters on: a two-letter username (e.g. "li") is in too many good passwords.
    if name and (folded == name or (len(name) >= 3 and name in folded)):
        problems.append("Must not be or contain the username.")
    return problems


def check_password(password, username=None, *, field="password"):
    """Raise InvalidInput naming `field` when the password breaks a rule."""
    problems = password_problems(password, username)
    if problems:
        raise InvalidInput(
            f"The {field.replace('_', ' ')} is refused: {problems[0]}", errors={"json": {field: problems}}
        )
