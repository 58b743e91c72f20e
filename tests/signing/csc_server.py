"""A small, real Cloud Signature Consortium API (v1) service on loopback,
holding keys of the development PKI: what a licensed remote-signing
provider does, enough for Kho's tests and benchmarks.

    with CscServer(access_token="…") as csc:
        csc.add_credential("hoa", "officer.p12", passphrase, pin="1234")
        otp = csc.send_otp("hoa")          # what the officer's phone receives
        … csc.url …

Endpoints (POST, JSON, Authorization: Bearer <access_token>): info,
credentials/list, credentials/info, credentials/sendOTP,
credentials/authorize (PIN + OTP, SCAL 2: the SAD is bound to the hashes),
signatures/signHash (RSA PKCS#1 v1.5 over the given SHA-256 hashes).
Errors are 400/401 with {"error", "error_description"} as the spec says.
"""
import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, utils
from cryptography.hazmat.primitives.serialization import pkcs12

SHA256 = "2.16.840.1.101.3.4.2.1"
SHA256_RSA = "1.2.840.113549.1.1.11"
RSA = "1.2.840.113549.1.1.1"


class CscError(Exception):
    def __init__(self, status, error, description):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class CscServer:
    def __init__(self, access_token=None, host="127.0.0.1", port=0):
        self.access_token = access_token
        self.credentials = {}       # id → dict(key, cert, chain, pin, otp)
        self.sads = {}              # SAD → (credential id, hashes, expiry)
        self.signed = []            # (credential id, hash b64) of every signature made
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = None

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_credential(self, credential_id, p12_path, passphrase, pin):
        bundle = pkcs12.load_pkcs12(Path(p12_path).read_bytes(), passphrase.encode())
        self.credentials[credential_id] = {
            "key": bundle.key, "cert": bundle.cert.certificate,
            "chain": [c.certificate for c in bundle.additional_certs], "pin": pin, "otp": None}

    def send_otp(self, credential_id):
        """A fresh one-time password for the credential (the officer's SMS)."""
        otp = f"{secrets.randbelow(10 ** 6):06d}"
        self.credentials[credential_id]["otp"] = otp
        return otp

    # the API
    def info(self, body):
        return {"specs": "1.0.4.0", "name": "Kho test CSC", "logo": "", "region": "VN",
                "lang": "vi", "description": "test service", "authType": ["oauth2client"],
                "methods": ["credentials/list", "credentials/info", "credentials/authorize",
                            "credentials/sendOTP", "signatures/signHash"]}

    def _cred(self, body):
        cred = self.credentials.get(body.get("credentialID"))
        if cred is None:
            raise CscError(400, "invalid_request", "Invalid parameter credentialID")
        return cred

    def credentials_list(self, body):
        return {"credentialIDs": sorted(self.credentials)}

    def credentials_info(self, body):
        cred = self._cred(body)
        der = lambda c: base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()  # noqa
        certs = [cred["cert"]] + (cred["chain"] if body.get("certificates", "single") == "chain" else [])
        return {"description": "officer key", "key": {"status": "enabled", "algo": [SHA256_RSA, RSA],
                                                      "len": cred["key"].key_size},
                "cert": {"status": "valid", "certificates": [der(c) for c in certs]},
                "authMode": "explicit", "SCAL": "2", "multisign": 1,
                "PIN": {"presence": "true", "format": "N", "label": "PIN"},
                "OTP": {"presence": "true", "type": "online", "format": "N", "ID": "sms"}}

    def credentials_sendOTP(self, body):
        self.send_otp(body.get("credentialID")) if body.get("credentialID") in self.credentials else \
            self._cred(body)
        return None

    def credentials_authorize(self, body):
        cred = self._cred(body)
        if body.get("PIN") != cred["pin"]:
            raise CscError(400, "invalid_pin", "Invalid PIN")
        if not cred["otp"] or body.get("OTP") != cred["otp"]:
            raise CscError(400, "invalid_otp", "Invalid OTP")
        cred["otp"] = None              # one time
        hashes_ = body.get("hash")
        if not hashes_ or int(body.get("numSignatures", 0)) != len(hashes_):
            raise CscError(400, "invalid_request", "SCAL 2: the hashes to sign are required")
        sad = secrets.token_urlsafe(24)
        self.sads[sad] = (body["credentialID"], tuple(hashes_), time.time() + 300)
        return {"SAD": sad, "expiresIn": 300}

    def signatures_signHash(self, body):
        cred = self._cred(body)
        entry = self.sads.pop(body.get("SAD"), None)
        if entry is None or entry[0] != body["credentialID"] or entry[2] < time.time():
            raise CscError(400, "invalid_request", "Invalid SAD")
        if tuple(body.get("hash") or ()) != entry[1]:
            raise CscError(400, "invalid_request", "The hashes are not the authorized ones")
        if body.get("hashAlgo", SHA256) != SHA256 or body.get("signAlgo") not in (SHA256_RSA, RSA):
            raise CscError(400, "invalid_request", "Unsupported algorithm")
        out = []
        for h in body["hash"]:
            out.append(base64.b64encode(cred["key"].sign(
                base64.b64decode(h), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))).decode())
            self.signed.append((body["credentialID"], h))
        return {"signatures": out}

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                name = self.path.split("?")[0]
                if not name.startswith("/csc/v1/"):
                    return self._reply(404, {"error": "invalid_request", "error_description": "no such API"})
                method = getattr(service, name[len("/csc/v1/"):].replace("/", "_"), None)
                if method is None:
                    return self._reply(404, {"error": "invalid_request", "error_description": "no such method"})
                if service.access_token and name != "/csc/v1/info" and \
                        self.headers.get("Authorization") != f"Bearer {service.access_token}":
                    return self._reply(401, {"error": "invalid_token", "error_description": "bad token"})
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    body = json.loads(self.rfile.read(length) or b"{}")
                    with service._lock:
                        result = method(body)
                except CscError as exc:
                    return self._reply(exc.status, {"error": exc.error, "error_description": exc.description})
                except (ValueError, KeyError, TypeError):
                    return self._reply(400, {"error": "invalid_request", "error_description": "bad request"})
                if result is None:
                    self.send_response(204)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._reply(200, result)

            def _reply(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, name="kho-test-csc",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
