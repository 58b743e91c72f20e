"""The route × role table of the signing views (views/api/signing_sessions.py:
the desk's signing session for the agent, the registered signing
certificates), in the format of CASES in test_security_matrix.py (view
callable → (method, path template, who may, extra params)), over the reuse
world (tests/reuse_world.py).

Params are chosen so that allowed accounts are served without changing what
later cases rely on: a session without a certificate and a signature for no
session answer 400/409, the certificate to register is not one (400), the
one to remove does not exist (400). Who may ask for a signing session: the
desks that may add papers to the owner's warehouse."""
RECEPTION = {"canbo", "buudien", "canbo2"}
DOC = "/api/v1/subjects/001090012345/documents/{doc}"

CASES = {
    "views.api.signing_sessions.prepare": ("POST", DOC + "/signing-session?purpose={purpose}", RECEPTION,
                                           {"chain": []}),
    "views.api.signing_sessions.finish": ("POST", DOC + "/desk-signature", RECEPTION,
                                          {"id": "none", "signature": "AAAA"}),
    "views.api.signing_sessions.list_certificates": ("GET", "/api/v1/signing-certificates", {"quantri"},
                                                     {"user": "canbo"}),
    "views.api.signing_sessions.add_certificate": ("POST", "/api/v1/signing-certificates", {"quantri"},
                                                   {"username": "canbo", "certificate": "bm90IGEgY2VydA=="}),
    "views.api.signing_sessions.delete_certificate": (
        "DELETE", "/api/v1/signing-certificates?user=canbo&fingerprint=00", {"quantri"}, {}),
}
