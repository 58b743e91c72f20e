"""Who is asking: a session cookie for pages, a bearer token for the API.

Decisions are ACLs on the resources (repository/resources.py), evaluated
with the principals the account carries (repository/roles.py).

Sessions live on the server (repository/sessions.py): the cookie holds only
a random id, nothing readable. What a session holds is read from the
database when a request first uses it and written back only when it
changes; its last-seen time at most every few minutes. An anonymous
visitor has no record until something is stored for them: their CSRF token
is an HMAC of their session id under the app's secret, so the log-in form
and the confirmation page cost no write. Log-in starts a fresh session (a
new id), log-out deletes it: a copied cookie stops working at once."""
import copy
import functools
import hashlib
import hmac
import re
import time

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.interfaces import ISession
from zope.interface import implementer

from repository import sessions as S
from repository.roles import principals_for
from repository.throttle import Limits

COOKIE_NAME = "kho_session"
CSRF_KEY = "_csrft_"
FLASH_PREFIX = "_f_"
_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


def bearer_token(request):
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_user(request):
    """The User behind the request, or None."""
    accounts = request.kho_root.accounts
    token = bearer_token(request)
    if token is not None:
        return accounts.user_for_token(token)
    username = getattr(request.session, "username", None)
    return accounts.users.get(username) if username else None


def client_address(request):
    """The client's address as the server saw it (REMOTE_ADDR: behind a
    proxy, let the WSGI server set it from the proxy's header, e.g.
    waitress's trusted_proxy); never a header the client chooses."""
    return request.remote_addr or "-"


def _number(settings, key, default):
    try:
        return float(settings.get(key) or default)
    except (TypeError, ValueError):
        return float(default)


def session_timeouts(settings):
    """kho.session.idle_minutes (60), kho.session.lifetime_hours (10),
    kho.session.touch_seconds (300)."""
    return S.Timeouts(idle=_number(settings, "kho.session.idle_minutes", 60) * 60,
                      lifetime=_number(settings, "kho.session.lifetime_hours", 10) * 3600,
                      touch=_number(settings, "kho.session.touch_seconds", 300))


def login_limits(settings):
    """kho.login.max_failures (per account, 5), kho.login.max_failures_address
    (20), kho.login.window_minutes (15)."""
    return Limits(account=int(_number(settings, "kho.login.max_failures", 5)),
                  address=int(_number(settings, "kho.login.max_failures_address", 20)),
                  span=_number(settings, "kho.login.window_minutes", 15) * 60)


def token_days(settings):
    """kho.token.days: the lifetime of a token made by the API (30)."""
    return int(_number(settings, "kho.token.days", 30))


def _changes(method):
    @functools.wraps(method)
    def changed_after(self, *args, **kw):
        result = method(self, *args, **kw)
        self.changed()
        return result
    return changed_after


@implementer(ISession)
class ServerSession(dict):
    """pyramid.interfaces.ISession over repository.sessions: the dict is
    this request's copy of what the session holds."""

    def __init__(self, request, factory):
        super().__init__()
        self.request = request
        self._factory = factory
        self._now = time.time()
        self._id = None
        self._record = None
        self._cookie_callback = False
        self._apart_callback = False
        self.username = None
        self.created = self._now
        self.new = True
        cookie = request.cookies.get(factory.cookie_name) if _readable_cookies(request) else None
        if cookie and _ID.match(cookie):
            self._id = cookie
            self.new = False
            record = self._store().find(cookie, self._now, factory.timeouts)
            if record is not None:
                self._record = record
                dict.update(self, copy.deepcopy(record.data))
                self.username = record.username
                self.created = record.created
                record.touch(self._now, factory.timeouts)

    # storage

    def _store(self):
        return S.store(self.request.kho_root)

    def _set_id(self, session_id):
        self._id = session_id
        if not self._cookie_callback:
            self._cookie_callback = True
            self.request.add_response_callback(self._set_cookie)

    def _set_cookie(self, request, response):
        factory = self._factory
        if self._id is None:
            response.delete_cookie(factory.cookie_name, path="/")
        else:
            response.set_cookie(factory.cookie_name, self._id, path="/", httponly=True,
                                secure=factory.secure, samesite="Lax")

    def changed(self):
        """Write what the session holds (made lazily for a visitor)."""
        if self._record is None:
            if self._id is None:
                self._set_id(S.new_id())
            self._record = self._store().create(self._id, None, self._now, self._factory.timeouts)
        self._record.save(copy.deepcopy(dict(self)))
        if not self._apart_callback:
            self._apart_callback = True
            try:
                txn = self.request.tm.get()
            except Exception:           # no transaction manager, or none begun: nothing to keep apart
                return
            self.request.add_response_callback(lambda request, response: self._keep_if_doomed(txn))

    def _keep_if_doomed(self, txn):
        """A view that doomed its transaction (it refused, writing nothing)
        and answered normally still keeps what it put in the session (its
        message to the visitor), written apart as a cookie session kept it."""
        if txn.isDoomed() and self.request.exception is None and self._id is not None:
            S.save_apart(self.request.kho_root._p_jar.db(), self._id, copy.deepcopy(dict(self)),
                         timeouts=self._factory.timeouts)

    def invalidate(self):
        """End this session (its record is deleted); what follows goes into
        a new one."""
        if self._record is not None or self._id is not None:
            self._store().end(self._id)
        self._record = None
        self.username = None
        dict.clear(self)
        self._set_id(None)

    def start(self, username):
        """Log username in: a fresh session with a new id (the one the
        browser had, which others may know, ends)."""
        if self._id is not None:
            self._store().end(self._id)
        dict.clear(self)
        self._set_id(S.new_id())
        self._record = self._store().create(self._id, username, self._now, self._factory.timeouts)
        self.username = username
        self.created = self._now

    @property
    def id(self):
        return self._id

    # dict writes

    clear = _changes(dict.clear)
    update = _changes(dict.update)
    setdefault = _changes(dict.setdefault)
    pop = _changes(dict.pop)
    popitem = _changes(dict.popitem)
    __setitem__ = _changes(dict.__setitem__)
    __delitem__ = _changes(dict.__delitem__)

    # flash messages

    def flash(self, msg, queue="", allow_duplicate=True):
        messages = list(self.get(FLASH_PREFIX + queue, []))
        if allow_duplicate or msg not in messages:
            messages.append(msg)
            self[FLASH_PREFIX + queue] = messages

    def pop_flash(self, queue=""):
        messages = dict.pop(self, FLASH_PREFIX + queue, [])
        if messages:
            self.changed()
        return list(messages)

    def peek_flash(self, queue=""):
        return list(self.get(FLASH_PREFIX + queue, []))

    # CSRF

    def new_csrf_token(self):
        token = S.new_id()
        self[CSRF_KEY] = token
        return token

    def get_csrf_token(self):
        token = self.get(CSRF_KEY)
        if token:
            return token
        if self._id is None:
            self._set_id(S.new_id())
        return hmac.new(self._factory.secret, b"csrf:" + self._id.encode("ascii"), hashlib.sha256).hexdigest()


def _readable_cookies(request):
    try:
        request.cookies
    except Exception:        # a cookie header that cannot be decoded: as if there were none
        return False
    return True


class ServerSessionFactory:
    """The app's ISessionFactory: kho.session.* settings (session_timeouts),
    Secure cookies as views.headers.cookies_secure says."""

    def __init__(self, secret, settings, cookie_name=COOKIE_NAME):
        from .headers import cookies_secure
        self.secret = secret.encode("utf-8") if isinstance(secret, str) else secret
        self.timeouts = session_timeouts(settings)
        self.secure = cookies_secure(settings)
        self.cookie_name = cookie_name

    def __call__(self, request):
        return ServerSession(request, self)


class KhoSecurityPolicy:
    def __init__(self):
        self.acl = ACLHelper()

    def identity(self, request):
        return request.user

    def authenticated_userid(self, request):
        user = request.user
        return user.username if user else None

    def effective_principals(self, request):
        principals = [Everyone]
        if request.user is not None:
            principals += [Authenticated] + principals_for(request.user)
        return principals

    def permits(self, request, context, permission):
        return self.acl.permits(context, self.effective_principals(request), permission)

    def remember(self, request, userid, **kw):
        request.session.start(userid)
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        return []


def includeme(config):
    config.set_security_policy(KhoSecurityPolicy())
    config.add_request_method(current_user, "user", reify=True)
    config.add_request_method(lambda r: bearer_token(r) is not None, "via_token", reify=True)
