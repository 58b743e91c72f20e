"""The errors the domain raises for bad input; the web layer turns them into 4xx."""


class ValidationError(ValueError):
    """Bad input, with a message per field (Vietnamese / English)."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class Refused(PermissionError):
    """A request the domain refuses for this actor (403): a read without a real
    purpose, a transition the dossier's state does not allow to this person.
    str() is the message to show."""

    def __init__(self, message, code="refused"):
        self.code = code
        super().__init__(message)


class Conflict(ValueError):
    """A request that does not fit the object's current state (409)."""


NOT_A_STRING = "Cần một chuỗi / a string is expected"


def text_filters(params, names, clean=str.strip):
    """The filters of a request or a command (a mapping of strings) among
    `names`, cleaned, empty ones dropped: ({name: value}, {name: error}) for
    the caller to add its own checks to before raising ValidationError."""
    found, errors = {}, {}
    for name in names:
        value = params.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[name] = NOT_A_STRING
            continue
        value = clean(value)
        if value:
            found[name] = value
    return found, errors


def checked_together(*checks):
    """Run each check (a callable without arguments) and return their
    results; if any raise ValidationError, raise one naming every bad field,
    so a request's parameters are all reported at once."""
    errors, results = {}, []
    for check in checks:
        try:
            results.append(check())
        except ValidationError as exc:
            errors.update(exc.errors)
            results.append(None)
    if errors:
        raise ValidationError(errors)
    return results
