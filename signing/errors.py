"""The exceptions of the signing library.

Every failure that a caller (the web layer, the `kho` command) should report
to a person is a `SigningError` with a one-line, readable message; anything
else escaping the library is a bug.
"""


class SigningError(Exception):
    """Base class: a readable, one-line reason why signing or checking failed."""


class NotAPdfError(SigningError):
    """The input is not a PDF file (or is too damaged to be repaired)."""


class PkiExistsError(SigningError):
    """A development PKI is already present and overwriting was not asked for."""


class PkiError(SigningError):
    """The development PKI directory is missing, incomplete or unreadable."""


class KeyLoadError(SigningError):
    """The signing key could not be loaded (missing file, wrong passphrase)."""


class TokenError(KeyLoadError):
    """The PKCS#11 token, its module, PIN or key could not be used."""


class TimestampError(SigningError):
    """The time-stamping authority could not be reached or refused us."""


class LtvNotReachableError(SigningError):
    """PAdES B-LT was asked for but revocation information is not reachable."""


class ProfileError(SigningError):
    """An unknown appearance profile or bad appearance parameters."""
