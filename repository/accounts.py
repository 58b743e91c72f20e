"""Accounts with argon2 password hashes, roles, and API tokens; log-in,
log-out, password changes and the end of a user's sessions.

Tokens are stored only as their SHA-256, so a copy of the database does not
hand out working tokens; each has a short public id to name it by (in lists,
to revoke it), a label and an expiry. A log-in costs one argon2 verification
whether or not the account exists (an unknown name is checked against a
dummy hash), is refused for a while after repeated failures for the account
or from the address (repository.throttle), and is audited either way."""
import datetime
import hashlib
import secrets
import time
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from BTrees.OOBTree import OOBTree
from persistent import Persistent

from . import roles as R
from . import sessions as S
from . import throttle as T
from .errors import Refused, ValidationError
from .folder import Folder
from .resources import utcnow

_hasher = PasswordHasher()
_dummy = []

DEFAULT_TOKEN_DAYS = 30
MAX_NAME = 150


class AccountError(ValueError):
    pass


class TokenNotFound(AccountError):
    """No such token, or not one the actor may see (the same answer)."""


class LoginThrottled(AccountError):
    """Too many failed log-ins for the account or from the address."""

    def __init__(self, retry_after):
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            f"Quá nhiều lần đăng nhập không thành công. Vui lòng thử lại sau {self.minutes} phút. / "
            f"Too many failed log-ins: try again in {self.minutes} minutes.")

    @property
    def minutes(self):
        return max(1, -(-self.retry_after // 60))


def _dummy_hash():
    """An argon2 hash of nothing anyone knows, made with the same parameters
    as real ones: verifying against it costs what a real check costs."""
    if not _dummy:
        _dummy.append(_hasher.hash(secrets.token_urlsafe(24)))
    return _dummy[0]


def _verify(password_hash, password):
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


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
        """Whether password is this account's; one argon2 verification even
        when the account has no password."""
        if not _verify(self.password_hash, password or ""):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)
        return True

    def as_dict(self):
        return {"username": self.username, "fullname": self.fullname,
                "roles": sorted(self.roles), "subject_id": self.subject_id,
                "desk": self.desk}


class Accounts(Persistent):
    token_ids = None      # public token id → sha256(token); made by evolve (or lazily)

    def __init__(self):
        self.users = Folder()
        self.tokens = OOBTree()        # sha256(token) → (username, created, label, id, expires)
        self.token_ids = OOBTree()

    def add_user(self, username, fullname, roles, password, subject_id=None, desk=None):
        if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise AccountError("Tên đăng nhập chỉ gồm chữ, số, '.', '-', '_'")
        if username in self.users:
            raise AccountError(f"Tên đăng nhập {username} đã có")
        user = User(username, fullname, roles, subject_id=subject_id, desk=desk)
        user.set_password(password)
        return self.users.add(username, user)

    def authenticate(self, username, password):
        """The User whose name and password these are, or None; it takes
        the same time whether or not the account exists."""
        user = self.users.get(username) if isinstance(username, str) and username else None
        if user is None:
            _verify(None, password or "")
            return None
        return user if user.check_password(password) else None

    # tokens

    def _ids(self):
        if self.token_ids is None:
            self.token_ids = OOBTree()
        return self.token_ids

    def new_token_id(self):
        ids = self._ids()
        while True:
            token_id = secrets.token_hex(5)
            if token_id not in ids:
                return token_id

    def issue_token(self, username, label="", days=None, now=None):
        """A new bearer token for username, valid for days (default
        DEFAULT_TOKEN_DAYS); only its hash is kept. Returns the token."""
        if username not in self.users:
            raise AccountError(f"Không có tài khoản {username}")
        days = DEFAULT_TOKEN_DAYS if days is None else days
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise AccountError("Số ngày hiệu lực phải là số nguyên dương / days must be a positive integer")
        now = now or utcnow()
        self.purge_expired(username, now)
        token = "kho_" + secrets.token_urlsafe(32)
        token_id = self.new_token_id()
        digest = _digest(token)
        self.tokens[digest] = (username, now, label, token_id, now + datetime.timedelta(days=days))
        self._ids()[token_id] = digest
        return token

    def token_entry(self, token):
        """The token's public description (a dict), or None."""
        digest = _digest(token or "")
        value = self.tokens.get(digest)
        return _entry(value) if value is not None else None

    def user_for_token(self, token, now=None):
        """The User of a live token (not expired, not revoked), or None."""
        entry = self.token_entry(token)
        if entry is None or entry["expires"] <= (now or utcnow()):
            return None
        return self.users.get(entry["username"])

    def tokens_of(self, username=None):
        """Descriptions of the tokens of username (of everyone: None), oldest first."""
        found = [_entry(value) for value in self.tokens.values()]
        if username is not None:
            found = [e for e in found if e["username"] == username]
        return sorted(found, key=lambda e: (e["created"], e["id"] or ""))

    def entry_by_id(self, token_id):
        digest = self._ids().get(token_id) if isinstance(token_id, str) else None
        value = self.tokens.get(digest) if digest else None
        return _entry(value) if value is not None else None

    def revoke_token_id(self, token_id):
        """Remove the token with this public id; its description, or None."""
        entry = self.entry_by_id(token_id)
        if entry is None:
            return None
        digest = self._ids().pop(token_id)
        self.tokens.pop(digest, None)
        return entry

    def revoke_token(self, token):
        digest = _digest(token or "")
        value = self.tokens.pop(digest, None)
        if value is None:
            return False
        token_id = _entry(value)["id"]
        if token_id:
            self._ids().pop(token_id, None)
        return True

    def purge_expired(self, username, now=None):
        """Drop username's expired tokens; how many."""
        now = now or utcnow()
        gone = [e["id"] for e in self.tokens_of(username) if e["expires"] <= now and e["id"]]
        for token_id in gone:
            self.revoke_token_id(token_id)
        return len(gone)

    def assign_token_ids(self, now=None):
        """Give tokens stored before ids and expiry (three-tuples) an id and
        an expiry: DEFAULT_TOKEN_DAYS from their creation, but not before a
        week from now (programs get time to take a new one)."""
        now = now or utcnow()
        for digest, value in list(self.tokens.items()):
            if len(value) >= 5:
                continue
            username, created, label = value[:3]
            expires = max(created + datetime.timedelta(days=DEFAULT_TOKEN_DAYS), now + datetime.timedelta(days=7))
            token_id = self.new_token_id()
            self.tokens[digest] = (username, created, label, token_id, expires)
            self._ids()[token_id] = digest


def _digest(token):
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _entry(value):
    username, created, label = value[:3]
    token_id, expires = (value[3], value[4]) if len(value) >= 5 else (
        None, created + datetime.timedelta(days=DEFAULT_TOKEN_DAYS))
    return {"id": token_id, "username": username, "label": label, "created": created, "expires": expires}


def token_json(entry, now=None):
    """A token's description for lists: never its secret."""
    return {"id": entry["id"], "username": entry["username"], "label": entry["label"],
            "created": entry["created"].isoformat(), "expires": entry["expires"].isoformat(),
            "expired": entry["expires"] <= (now or utcnow())}


def _is_admin(actor):
    return actor is None or R.ADMIN in actor.roles


def issue_token(root, username, actor, label="", days=None):
    """Issue a bearer token for username and record it (the API's log-in for
    programs and `kho token create` both come here); returns the token."""
    from .audit import record
    token = root.accounts.issue_token(username, label, days=days)
    entry = root.accounts.token_entry(token)
    record(root, actor, "issue_token", detail={"username": username, "label": label, "token_id": entry["id"],
                                               "expires": entry["expires"].isoformat()})
    return token


def list_tokens(root, actor, username=None):
    """The tokens an actor may see: their own; an administrator (or the
    `kho` command, actor None) anyone's, or everyone's with username None."""
    if actor is not None and username is None:
        username = actor.username
    if username is not None and actor is not None and username != actor.username and not _is_admin(actor):
        raise Refused("Chỉ quản trị viên xem được mã truy cập của người khác / "
                      "only administrators see other accounts' tokens")
    now = utcnow()
    return [token_json(e, now) for e in root.accounts.tokens_of(username)]


def revoke_token(root, token_id, actor):
    """Revoke a token by its public id: its owner or an administrator (or
    the `kho` command); it stops working at once. Returns its description."""
    from .audit import record
    entry = root.accounts.entry_by_id(token_id)
    if entry is None or not (_is_admin(actor) or entry["username"] == actor.username):
        raise TokenNotFound(f"Không có mã truy cập {token_id} / no token {token_id}")
    root.accounts.revoke_token_id(token_id)
    record(root, actor, "revoke_token", detail={"username": entry["username"], "token_id": token_id,
                                                "label": entry["label"]})
    return token_json(entry)


# log-in, log-out, passwords, sessions

def login_name(username):
    """A typed user name as it is looked up and logged: NFC, trimmed, bounded."""
    return unicodedata.normalize("NFC", str(username or "")).strip()[:MAX_NAME]


def _check(root, username, password, address, via, limits, now):
    """One throttled password check: the User, or None after counting and
    auditing the failure (apart: it stays whatever the request becomes)."""
    from .audit import record_apart
    name = login_name(username)
    keyed = [(T.account_key(name), limits.account), (T.address_key(address), limits.address)]
    wait = T.retry_after(root, keyed, now, limits.span)
    if wait:
        raise LoginThrottled(wait)
    user = root.accounts.authenticate(name, str(password or ""))
    if user is None:
        counted = T.note_failure_apart(root, [key for key, _ in keyed], now, limits.span)
        locked = any(counted[key] >= limit for key, limit in keyed)
        record_apart(root, None, "login_failed", detail={"username": name, "address": address, "via": via,
                                                         "locked": locked})
    return user


def log_in(root, username, password, address=None, via="page", limits=T.Limits(), now=None):
    """Check a log-in (pages, the API's token endpoint): the User, or None
    when the name or password is wrong; raises LoginThrottled after too many
    failures. Every attempt that is checked is audited."""
    from .audit import record
    now = time.time() if now is None else now
    user = _check(root, username, password, address, via, limits, now)
    if user is not None:
        T.forget(root, T.account_key(user.username), now, limits.span)
        record(root, user, "login", detail={"address": address, "via": via})
    return user


def log_out(root, user, session_id):
    """End one session (log-out) and record it."""
    from .audit import record
    S.store(root).end(session_id)
    if user is not None:
        record(root, user, "logout")


def change_password(root, username, new_password, actor, old_password=None, address=None,
                    limits=T.Limits()):
    """Set username's password: the account itself (with its current
    password, checked as a log-in is), an administrator, or the `kho`
    command (actor None). Every session of the account ends. Returns how
    many sessions ended."""
    from .audit import record
    user = root.accounts.users.get(username)
    if user is None:
        raise AccountError(f"Không có tài khoản {username} / no account {username}")
    if actor is not None and actor.username == username:
        if _check(root, username, old_password, address, "password", limits, time.time()) is None:
            raise ValidationError({"old_password": "Mật khẩu hiện tại không đúng / the current password is wrong"})
    elif not _is_admin(actor):
        raise Refused("Không có quyền / not allowed")
    try:
        user.set_password(new_password)
    except AccountError as exc:
        raise ValidationError({"new_password": str(exc)}) from None
    ended = S.end_sessions(root, username)
    record(root, actor, "change_password", detail={"username": username, "sessions_ended": ended})
    return ended


def end_sessions(root, username, actor, tokens=False):
    """An administrator (or the `kho` command) ends every session of
    username, and with tokens=True revokes its API tokens too; recorded.
    Returns (sessions ended, tokens revoked)."""
    from .audit import record
    if not _is_admin(actor):
        raise Refused("Không có quyền / not allowed")
    if root.accounts.users.get(username) is None:
        raise AccountError(f"Không có tài khoản {username} / no account {username}")
    ended = S.end_sessions(root, username)
    revoked = 0
    if tokens:
        for entry in root.accounts.tokens_of(username):
            if entry["id"]:
                root.accounts.revoke_token_id(entry["id"])
                revoked += 1
    record(root, actor, "end_sessions", detail={"username": username, "sessions": ended, "tokens": revoked})
    return ended, revoked
