"""The desk's signing agent (`kho sign-agent`): a small HTTP server on the
desk computer's loopback interface that signs with the officer's USB token
(PKCS#11) for one Kho site, and nothing else.

Why: the signature must be made where the key is (the token at the desk)
while the PDF stays on the server. The Kho page gets the to-be-signed bytes
from its server (signing.split.prepare_signature), hands them to the agent,
and sends the agent's signature value back to the server to embed.

What it guards:
- it listens on 127.0.0.1 only and answers only requests whose Host is the
  loopback address (no DNS rebinding) and whose Origin is the one Kho site
  it was started for; CORS headers name only that origin;
- it signs only CMS signed attributes of a PDF signature (not arbitrary
  data: it is no signing oracle for TLS or mail), and logs each signature
  with the paper, the owner and the document digest it covers;
- the token's PIN is asked by the agent (terminal, or a PIN file/environment
  variable for unattended tests) and is never sent anywhere; with
  `confirm`, every signature also waits for the officer's yes at the terminal.

HTTP API (JSON):
    GET  /v1/certificate  -> {"agent", "version", "certificate" (base64 DER),
                              "chain": [...], "subject", "fingerprint"}
    POST /v1/sign  {"to_be_signed": base64, "paper": str, "owner": str}
                   -> {"signature": base64}
    Refusals: {"error": CODE, "message": Vietnamese sentence}, CODE one of
    forbidden (403: not the loopback Host or not the configured origin),
    not_found, bad_request (400: not JSON with base64 to_be_signed),
    not_signature_attributes (400: not the signed attributes of a PDF
    signature), refused_by_officer (403: the officer said no at the
    terminal), token_error (502: the token could not sign: removed, locked…).
    The page says each code in its reader's language.

Its terminal (run by the desk officer) speaks Vietnamese; each line starts
with a fixed upper-case word a program can look for: ĐÃ KÝ (signed: the
time, «paper», owner, "sha256:" and the document digest), KHÔNG KÝ (the
officer refused), TỪ CHỐI (a request refused), LỖI TOKEN.
"""
import asyncio
import base64
import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .certs import fingerprint, summary
from .errors import SigningError
from .split import message_digest


class AgentRefusal(SigningError):
    """A signature the agent did not make: `code` (see the module's
    docstring), `status` (HTTP), and a Vietnamese sentence as str()."""

    def __init__(self, code, status, message):
        self.code, self.status = code, status
        super().__init__(message)

DEFAULT_PORT = 7391
VERSION = 1
MAX_BODY = 64 * 1024


class SignAgent:
    """Serve `signer` (a pyhanko Signer, normally PKCS11Signer) to `origin`.

    log(line) is called for every request answered or refused;
    confirm(paper, owner, digest_hex) -> bool, if given, is asked before each
    signature. Port 0 picks a free port. Use as a context manager or call
    serve_forever()."""

    def __init__(self, signer, origin, *, host="127.0.0.1", port=DEFAULT_PORT, log=print,
                 confirm=None):
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise SigningError("chương trình ký chỉ nghe trên địa chỉ loopback (127.0.0.1)")
        self.signer = signer
        self.origin = origin.rstrip("/")
        self.log = log
        self.confirm = confirm
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = None
        cert = signer.signing_cert
        self.certificate = cert.dump()
        self.chain = [c.dump() for c in (signer.cert_registry or ()) if c.dump() != self.certificate]
        self.signed = []          # (time, paper, owner, digest hex) of each signature made

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def hello(self):
        b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
        return {"agent": "kho-sign-agent", "version": VERSION, "certificate": b64(self.certificate),
                "chain": [b64(c) for c in self.chain], "subject": summary(self.certificate)["subject"],
                "fingerprint": fingerprint(self.certificate)}

    def sign(self, to_be_signed: bytes, paper: str, owner: str) -> bytes:
        """The token's signature over `to_be_signed`, or AgentRefusal."""
        try:
            digest = message_digest(to_be_signed).hex()     # refuses anything else
        except SigningError:
            self.log("TỪ CHỐI ký: dữ liệu gửi đến không phải thuộc tính ký của một chữ ký PDF")
            raise AgentRefusal("not_signature_attributes", 400,
                               "Dữ liệu gửi đến không phải phần cần ký của một chữ ký PDF: không ký.") from None
        paper = " ".join(str(paper or "?").split())[:200]
        owner = " ".join(str(owner or "?").split())[:40]
        if self.confirm is not None and not self.confirm(paper, owner, digest):
            self.log(f"KHÔNG KÝ (cán bộ từ chối) giấy tờ «{paper}» của chủ sở hữu {owner}, "
                     f"mã băm tài liệu sha256:{digest}")
            raise AgentRefusal("refused_by_officer", 403, "Cán bộ đã từ chối ký giấy tờ này tại bàn.")
        try:
            with self._lock:
                value = asyncio.run(self.signer.async_sign_raw(bytes(to_be_signed), "sha256"))
        except Exception as exc:     # the token: removed, locked, …
            self.log(f"LỖI TOKEN: token không ký được ({' '.join(str(exc).split()) or type(exc).__name__})")
            raise AgentRefusal("token_error", 502, "Token không ký được: hãy kiểm tra token còn cắm "
                                                   "vào máy và chưa bị khoá, rồi ký lại.") from None
        when = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        self.signed.append((when, paper, owner, digest))
        self.log(f"{when} ĐÃ KÝ giấy tờ «{paper}» của chủ sở hữu {owner}, mã băm tài liệu sha256:{digest}")
        return value

    def _handler_class(self):
        agent = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _allowed(self):
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
                if host not in ("127.0.0.1", "localhost", "::1"):
                    return f"tên máy (Host) {host!r} không phải địa chỉ loopback"
                if (self.headers.get("Origin") or "").rstrip("/") != agent.origin:
                    return f"trang gọi ({self.headers.get('Origin')!r}) không phải {agent.origin}"
                return None

            def _reply(self, code, body=None, cors=True):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                if cors:
                    self.send_header("Access-Control-Allow-Origin", agent.origin)
                    self.send_header("Vary", "Origin")
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def _refuse(self, reason):
                agent.log(f"TỪ CHỐI {self.command} {self.path}: {reason}")
                self._reply(403, {"error": "forbidden", "message": f"Không phục vụ yêu cầu này: {reason}."},
                            cors=False)

            def do_OPTIONS(self):
                reason = self._allowed()
                if reason:
                    return self._refuse(reason)
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", agent.origin)
                self.send_header("Access-Control-Allow-Methods", "GET, POST")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Allow-Private-Network", "true")
                self.send_header("Access-Control-Max-Age", "600")
                self.send_header("Vary", "Origin")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                reason = self._allowed()
                if reason:
                    return self._refuse(reason)
                if self.path.split("?")[0] != "/v1/certificate":
                    return self._reply(404, {"error": "not_found", "message": "Không có địa chỉ này."})
                self._reply(200, agent.hello())

            def do_POST(self):
                reason = self._allowed()
                if reason:
                    return self._refuse(reason)
                if self.path.split("?")[0] != "/v1/sign":
                    return self._reply(404, {"error": "not_found", "message": "Không có địa chỉ này."})
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_BODY:
                    return self._reply(400, {"error": "bad_request",
                                             "message": "Yêu cầu rỗng hoặc quá lớn."})
                try:
                    body = json.loads(self.rfile.read(length))
                    tbs = base64.b64decode(body["to_be_signed"], validate=True)
                except (ValueError, KeyError, TypeError):
                    return self._reply(400, {"error": "bad_request",
                                             "message": "Cần JSON có trường to_be_signed mã hoá base64."})
                try:
                    value = agent.sign(tbs, body.get("paper"), body.get("owner"))
                except AgentRefusal as exc:
                    return self._reply(exc.status, {"error": exc.code, "message": str(exc)})
                self._reply(200, {"signature": base64.b64encode(value).decode("ascii")})

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="kho-sign-agent", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def serve_forever(self):
        self._server.serve_forever()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
