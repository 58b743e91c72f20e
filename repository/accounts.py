"""Accounts with argon2 password hashes, roles, and API tokens.

Tokens are stored only as their SHA-256, so a copy of the database does not
hand out working tokens."""
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from persistent import Persistent
from BTrees.OOBTree import OOBTree

from . import roles as R
from .folder import Folder
from .resources import utcnow

_hasher = PasswordHasher()


class AccountError(ValueError):
    pass


class User(Persistent):
    def __init__(self, username, fullname, roles, subject_id=None, desk=None):
        unknown = set(roles) - set(R.ROLES)
        if unknown or not roles:
            raise AccountError(f"Vai trò không hợp lệ: {', '.join(sorted(unknown)) or '(trống)'}")
        if R.CITIZEN in roles and not subject_id:
            raise AccountError("Tài khoản công dân cần số định danh / a citizen account needs an id")
        self.username = username
        self.fullname = fullname
        self.roles = frozenset(roles)
        self.subject_id = subject_id
        self.desk = desk
        self.password_hash = None
        self.created = utcnow()

    def set_password(self, password):
        if len(password or "") < 8:
            raise AccountError("Mật khẩu cần ít nhất 8 ký tự / at least 8 characters")
        self.password_hash = _hasher.hash(password)

    def check_password(self, password):
        if not self.password_hash:
            return False
        try:
            _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)
        return True

    def as_dict(self):
        return {"username": self.username, "fullname": self.fullname,
                "roles": sorted(self.roles), "subject_id": self.subject_id,
                "desk": self.desk}


class Accounts(Persistent):
    def __init__(self):
        self.users = Folder()
        self.tokens = OOBTree()        # sha256(token) → (username, created, label)

    def add_user(self, username, fullname, roles, password, subject_id=None, desk=None):
        if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise AccountError("Tên đăng nhập chỉ gồm chữ, số, '.', '-', '_'")
        if username in self.users:
            raise AccountError(f"Tên đăng nhập {username} đã có")
        user = User(username, fullname, roles, subject_id=subject_id, desk=desk)
        user.set_password(password)
        return self.users.add(username, user)

    def authenticate(self, username, password):
        user = self.users.get(username)
        if user is not None and user.check_password(password):
            return user
        return None

    def issue_token(self, username, label=""):
        """A new bearer token for username; only its hash is kept."""
        if username not in self.users:
            raise AccountError(f"Không có tài khoản {username}")
        token = "kho_" + secrets.token_urlsafe(32)
        self.tokens[_digest(token)] = (username, utcnow(), label)
        return token

    def user_for_token(self, token):
        entry = self.tokens.get(_digest(token or ""))
        return self.users.get(entry[0]) if entry else None

    def revoke_token(self, token):
        return self.tokens.pop(_digest(token), None) is not None


def _digest(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(root, username, actor, label=""):
    """Issue a bearer token for username and record it (the API's log-in for
    programs and `kho token create` both come here); returns the token."""
    from .audit import record
    token = root.accounts.issue_token(username, label)
    record(root, actor, "issue_token", detail={"username": username, "label": label})
    return token
