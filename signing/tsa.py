"""RFC 3161 time stamping: a client for any TSA URL (stdlib HTTP, no extra
dependency), and a development TSA that serves the dev PKI's time-stamping
key (and its CRL, if any) over HTTP on the loopback interface.
"""
import asyncio
import threading
import urllib.error
import urllib.request
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import set_tsp_headers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from .errors import PkiError, TimestampError
from .pki import DevPki


class UrlTimeStamper(TimeStamper):
    """pyhanko TimeStamper that posts RFC 3161 requests to `url` with urllib."""

    def __init__(self, url, timeout=10):
        super().__init__()
        self.url = url
        self.timeout = timeout

    def _post(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        request = urllib.request.Request(self.url, data=req.dump(), method="POST",
                                         headers=set_tsp_headers({}))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                ctype = resp.headers.get("Content-Type", "")
                body = resp.read()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TimestampError(f"time-stamping authority {self.url} unreachable: {reason}") from None
        if not ctype.startswith("application/timestamp-reply"):
            raise TimestampError(f"time-stamping authority {self.url} sent {ctype or 'no type'}, "
                                 "not a timestamp reply")
        try:
            return tsp.TimeStampResp.load(body)
        except ValueError:
            raise TimestampError(f"time-stamping authority {self.url} sent a malformed reply") from None

    async def async_request_tsa_response(self, req):
        return await asyncio.to_thread(self._post, req)


def load_dev_timestamper(pki: DevPki) -> DummyTimeStamper:
    """An in-process RFC 3161 responder signing with the dev PKI's TSA key."""
    try:
        bundle = pkcs12.load_pkcs12(pki.tsa_p12.read_bytes(), pki.passphrase.encode())
    except (OSError, ValueError) as exc:
        raise PkiError(f"cannot load the TSA key of {pki.directory}: {exc}") from None
    key_der = bundle.key.private_bytes(serialization.Encoding.DER,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())
    cert = asn1_x509.Certificate.load(bundle.cert.certificate.public_bytes(serialization.Encoding.DER))
    chain = [asn1_x509.Certificate.load(c.certificate.public_bytes(serialization.Encoding.DER))
             for c in bundle.additional_certs]
    return DummyTimeStamper(tsa_cert=cert, tsa_key=asn1_keys.PrivateKeyInfo.load(key_der),
                            certs_to_embed=chain)


class DevTsaServer:
    """The dev TSA (POST /tsa) and the root CRL (GET /root.crl) on 127.0.0.1.

    Use as a context manager; `url` is the TSA URL, `crl_url` the CRL's.
    Port 0 (the default) picks a free port.
    """

    def __init__(self, pki_dir, host="127.0.0.1", port=0):
        self.pki_dir = pki_dir
        self._responder = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = None

    @property
    def pki(self) -> DevPki:
        return DevPki(Path(self.pki_dir))

    @property
    def responder(self) -> DummyTimeStamper:
        """The TSA responder, loaded from the PKI at first use (so the server
        can start, and tell its URL, before the PKI is written)."""
        with self._lock:
            if self._responder is None:
                self._responder = load_dev_timestamper(DevPki.open(self.pki_dir))
            return self._responder

    @property
    def base_url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self):
        return self.base_url + "/tsa"

    @property
    def crl_url(self):
        return self.base_url + "/root.crl"

    def _handler_class(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    req = tsp.TimeStampReq.load(self.rfile.read(length))
                    req.native  # parse fully: reject garbage here
                    body = owner.responder.request_tsa_response(req).dump()
                except Exception:
                    self.send_error(400, "bad timestamp request")
                    return
                self._reply(200, "application/timestamp-reply", body)

            def do_GET(self):
                if self.path.split("?")[0] == "/root.crl" and owner.pki.crl.is_file():
                    self._reply(200, "application/pkix-crl", owner.pki.crl.read_bytes())
                else:
                    self.send_error(404)

            def _reply(self, code, ctype, body):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="kho-dev-tsa", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def serve_forever(self):
        self._server.serve_forever()
