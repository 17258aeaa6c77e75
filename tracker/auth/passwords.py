"""What a staff password must be: long, and not common or guessable.

Guessability is judged by zxcvbn (Dropbox's estimator, the Python port): it knows the common
password lists, dictionary words, names, keyboard walks, repeats, sequences and dates, and it is
told the person's name, email and the clinic's name so that those count as guessable too.
A score of 3 of 4 means about 10^8 guesses or more, out of reach of online guessing and slow
offline guessing against our argon2 hashes.
"""

from flask import current_app, has_app_context
from zxcvbn import zxcvbn

from tracker.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 200
REQUIRED_SCORE = 3
#: zxcvbn's own limit; a longer password is judged by its beginning (which only makes it
#: stricter)
JUDGED_LENGTH = 72


def problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` will not do, in words for the person choosing it; None if it will."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters (a short sentence is easy to remember)."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    local = email.split("@")[0].lower()
    personal = [value for value in (email.lower(), local, name.lower()) if len(value) >= 4]
    if any(value in lowered for value in personal):
        return "Do not use your name or email address in the password."
    clinic = current_app.config.get("CLINIC_NAME", "") if has_app_context() else ""
    hints = [email, local, *name.split(), *clinic.split(), "tracker", "spine", "clinic"]
    result = zxcvbn(password[:JUDGED_LENGTH], user_inputs=[h for h in hints if h])
    if result["score"] >= REQUIRED_SCORE:
        return None
    feedback = result["feedback"]
    reason = feedback.get("warning") or "It follows a pattern that is easy to guess."
    advice = " ".join(feedback.get("suggestions") or []) or "Add another word or two."
    return f"This password is too easy to guess. {reason.rstrip('.')}. {advice}"


def check(password: str, field: str = "password", *, email: str = "", name: str = "") -> None:
    reason = problem(password, email=email, name=name)
    if reason:
        raise ValidationFailed.on(field, reason)
