"""The errors the domain raises for bad input; the web layer turns them into 4xx."""


class ValidationError(ValueError):
    """Bad input, with a message per field (Vietnamese / English)."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))
