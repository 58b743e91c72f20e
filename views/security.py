"""Who is asking: a session cookie for pages, a bearer token for the API.

Decisions are ACLs on the resources (repository/resources.py), evaluated
with the principals the account carries (repository/roles.py)."""
from pyramid.authentication import SessionAuthenticationHelper
from pyramid.authorization import ACLHelper, Authenticated, Everyone

from repository.roles import principals_for


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
    userid = request.session.get("auth.userid")
    return accounts.users.get(userid) if userid else None


class KhoSecurityPolicy:
    def __init__(self):
        self.session = SessionAuthenticationHelper()
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
        request.session.new_csrf_token()
        return self.session.remember(request, userid, **kw)

    def forget(self, request, **kw):
        request.session.invalidate()
        return []


def includeme(config):
    config.set_security_policy(KhoSecurityPolicy())
    config.add_request_method(current_user, "user", reify=True)
    config.add_request_method(lambda r: bearer_token(r) is not None, "via_token", reify=True)
