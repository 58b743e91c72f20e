"""`kho pki …`, `kho sign`, `kho verify`, `kho sign-agent`: the signing library on the command line.

Failures print one line on stderr and exit non-zero; OUT is written whole
(temp file + rename) or not at all.
"""
import json
import sys
from pathlib import Path

EXIT_INVALID = 1   # verify: the document's signatures do not pass
EXIT_ERROR = 2     # bad input, wrong key, unreachable TSA, …


def register(subparsers):
    pki = subparsers.add_parser("pki", help="development PKI (NOT FOR PRODUCTION)")
    pki_sub = pki.add_subparsers(dest="pki_command", metavar="ACTION")
    init = pki_sub.add_parser("init", help="write a development PKI into DIR")
    init.add_argument("dir")
    init.add_argument("--force", action="store_true", help="replace an existing PKI")
    init.add_argument("--crl-url", help="CRL distribution point to put in the certificates")
    init.set_defaults(func=cmd_pki_init)
    hsm = pki_sub.add_parser("softhsm-init",
                             help="put a key of the dev PKI on a SoftHSM2 token in DIR")
    hsm.add_argument("dir")
    hsm.add_argument("--pki", required=True, help="the development PKI directory")
    hsm.add_argument("--who", default="officer", choices=["officer", "agency", "postal"])
    hsm.add_argument("--token-label", default="kho")
    hsm.add_argument("--pin", default="123456")
    hsm.add_argument("--so-pin", default="12345678")
    hsm.set_defaults(func=cmd_softhsm_init)
    serve = pki_sub.add_parser("serve-tsa", help="serve the dev TSA (and CRL) over HTTP")
    serve.add_argument("dir")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.set_defaults(func=cmd_serve_tsa)
    pki.set_defaults(func=lambda args: _usage(pki))

    sign = subparsers.add_parser("sign", help="sign a PDF (PAdES)")
    sign.add_argument("input", metavar="IN")
    sign.add_argument("output", metavar="OUT")
    sign.add_argument("--profile", required=True, choices=["digitized", "copy", "result"])
    sign.add_argument("--p12", help="PKCS#12 key file")
    sign.add_argument("--passphrase-file", help="file whose first line is the passphrase")
    sign.add_argument("--pkcs11-module", help="PKCS#11 module (.so) of the token")
    sign.add_argument("--token-label")
    sign.add_argument("--key-label")
    sign.add_argument("--pin-file", help="file whose first line is the token PIN")
    sign.add_argument("--tsa", metavar="URL", help="RFC 3161 time-stamping authority (PAdES B-T)")
    sign.add_argument("--ltv", action="store_true",
                      help="embed validation data (PAdES B-LT; needs --tsa and --trust)")
    sign.add_argument("--trust", action="append", default=[], metavar="CERT.pem")
    sign.add_argument("--name", help="name shown on the stamp (default: certificate CN)")
    sign.add_argument("--copy-kind", help="kind of copy for --profile copy (default: SAO Y)")
    sign.add_argument("--agency", help="agency name on the stamp (default: certificate CN)")
    sign.set_defaults(func=cmd_sign)

    verify = subparsers.add_parser("verify", help="check the signatures of a PDF")
    verify.add_argument("file", metavar="FILE")
    verify.add_argument("--trust", action="append", default=[], metavar="CERT.pem",
                        help="trust anchor (repeatable)")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--fetch", action="store_true",
                        help="fetch CRL/OCSP over the network when not embedded")
    verify.set_defaults(func=cmd_verify)

    agent = subparsers.add_parser(
        "sign-agent", help="ký tại bàn bằng USB token của cán bộ (PKCS#11) cho một trang Kho",
        description="Chương trình ký tại bàn một cửa: ký bằng USB token của cán bộ cho đúng một trang Kho, "
                    "chỉ nghe trên 127.0.0.1; mã PIN chỉ nhập ở đây, không gửi đi đâu.")
    agent.add_argument("--origin", required=True, metavar="URL",
                       help="trang Kho được phép yêu cầu ký, ví dụ https://kho.laocai.gov.vn")
    agent.add_argument("--pkcs11-module", required=True, help="thư viện PKCS#11 của token (tệp .so)")
    agent.add_argument("--token-label", required=True, help="nhãn của token")
    agent.add_argument("--key-label", required=True, help="nhãn của khoá ký trên token")
    agent.add_argument("--pin-file", help="tệp có mã PIN ở dòng đầu "
                       "(nếu không: biến môi trường KHO_AGENT_PIN, nếu không: hỏi tại cửa sổ này)")
    agent.add_argument("--port", type=int, default=7391, help="cổng trên 127.0.0.1 (mặc định 7391)")
    agent.add_argument("--confirm", action="store_true",
                       help="hỏi cán bộ trước mỗi lần ký")
    agent.set_defaults(func=cmd_sign_agent)


def _usage(parser):
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def _quiet_libraries():
    """pyhanko logs validation failures with tracebacks; the report says it all."""
    import logging
    for name in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _fail(message):
    print(f"kho: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _read_secret(path, what):
    from .pki import read_passphrase
    from .errors import SigningError
    try:
        return read_passphrase(path)
    except SigningError:
        raise SigningError(f"cannot read the {what} file {path}") from None


def _read_pdf(path):
    from .errors import SigningError
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read {path}: {exc.strerror}") from None


def cmd_pki_init(args):
    from .errors import SigningError
    from .pki import init_dev_pki
    try:
        pki = init_dev_pki(args.dir, force=args.force, crl_url=args.crl_url)
    except SigningError as exc:
        return _fail(exc)
    except OSError as exc:
        return _fail(f"cannot write {args.dir}: {exc.strerror}")
    print(f"development PKI (NOT FOR PRODUCTION) written to {pki.directory}")
    return 0


def cmd_softhsm_init(args):
    from .errors import SigningError
    from .pki import DevPki
    from .softhsm import init_softhsm_token
    try:
        pki = DevPki.open(args.pki)
        token = init_softhsm_token(args.dir, pki.directory / f"{args.who}.p12", pki.passphrase,
                                   token_label=args.token_label, key_label=args.who,
                                   pin=args.pin, so_pin=args.so_pin)
    except SigningError as exc:
        return _fail(exc)
    print(f"token {token.token_label!r} with key {token.key_label!r}; use it with\n"
          f"  SOFTHSM2_CONF={token.conf} kho sign … --pkcs11-module {token.module} "
          f"--token-label {token.token_label} --key-label {token.key_label} --pin-file FILE")
    return 0


def cmd_serve_tsa(args):
    from .errors import SigningError
    from .tsa import DevTsaServer
    try:
        server = DevTsaServer(args.dir, host=args.host, port=args.port)
        server.responder  # load the key now: fail before serving
    except SigningError as exc:
        return _fail(exc)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror}")
    print(f"dev TSA at {server.url} (CRL at {server.crl_url}); Ctrl-C to stop", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def cmd_sign(args):
    from .errors import SigningError
    from .files import write_atomic
    from .sign import sign_pdf
    from .signers import close_signer, load_p12_signer, load_pkcs11_signer
    _quiet_libraries()
    if bool(args.p12) == bool(args.pkcs11_module):
        return _fail("give the key either as --p12 FILE or as --pkcs11-module LIB")
    signer = None
    try:
        data = _read_pdf(args.input)
        if args.p12:
            passphrase = _read_secret(args.passphrase_file, "passphrase") if args.passphrase_file else ""
            signer = load_p12_signer(args.p12, passphrase)
        else:
            if not (args.token_label and args.key_label):
                return _fail("--pkcs11-module needs --token-label and --key-label")
            pin = _read_secret(args.pin_file, "PIN") if args.pin_file else None
            signer = load_pkcs11_signer(args.pkcs11_module, args.token_label, args.key_label, pin)
        signed = sign_pdf(data, signer, args.profile, name=args.name, tsa_url=args.tsa,
                          ltv=args.ltv, trust_roots=args.trust, copy_kind=args.copy_kind,
                          agency=args.agency)
        write_atomic(args.output, signed)
    except SigningError as exc:
        return _fail(exc)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror}")
    finally:
        if signer is not None:
            close_signer(signer)
    print(f"signed ({args.profile}) → {args.output}")
    return 0


def cmd_verify(args):
    from .errors import SigningError
    from .verify import verify_pdf
    _quiet_libraries()
    try:
        report = verify_pdf(_read_pdf(args.file), args.trust, allow_fetching=args.fetch)
    except SigningError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.render_text())
    return 0 if report.ok else EXIT_INVALID


def cmd_sign_agent(args):
    """The agent's terminal speaks Vietnamese: a desk officer runs it."""
    import getpass
    import os
    from urllib.parse import urlsplit
    from .agent import SignAgent
    from .certs import summary
    from .errors import SigningError
    from .signers import close_signer, load_pkcs11_signer
    _quiet_libraries()
    origin = urlsplit(args.origin)
    if origin.scheme not in ("http", "https") or not origin.netloc or origin.path not in ("", "/"):
        return _agent_fail("--origin là giao thức và tên máy của trang Kho, ví dụ https://kho.example.gov.vn")
    if not os.path.isfile(args.pkcs11_module):
        return _agent_fail(f"không tìm thấy thư viện PKCS#11 của token: {args.pkcs11_module} (cài trình điều "
                           "khiển của token, rồi ghi đúng đường dẫn tệp .so)")
    try:
        if args.pin_file:
            pin = _read_secret(args.pin_file, "PIN")
        elif os.environ.get("KHO_AGENT_PIN"):
            pin = os.environ["KHO_AGENT_PIN"]
        else:
            pin = getpass.getpass(f"Mã PIN của token «{args.token_label}»: ")
    except SigningError:
        return _agent_fail(f"không đọc được tệp mã PIN {args.pin_file}")
    try:
        signer = load_pkcs11_signer(args.pkcs11_module, args.token_label, args.key_label, pin)
    except SigningError as exc:
        return _agent_fail(f"không mở được token «{args.token_label}» bằng mã PIN đã nhập (PIN sai, token "
                           f"bị khoá, hoặc không có khoá «{args.key_label}»). Chi tiết: {exc}")
    del pin

    def confirm(paper, owner, digest):
        answer = input(f"Ký giấy tờ «{paper}» của {owner} (sha256:{digest[:16]}…)? [c/K] ")
        return answer.strip().lower() in ("c", "có", "y", "yes")

    try:
        agent = SignAgent(signer, args.origin, port=args.port,
                          log=lambda line: print(line, flush=True),
                          confirm=confirm if args.confirm else None)
    except OSError as exc:
        close_signer(signer)
        return _agent_fail(f"không nghe được trên 127.0.0.1:{args.port} ({exc.strerror}): "
                           "có thể chương trình ký đã chạy ở một cửa sổ khác")
    who = summary(agent.certificate)
    print(f"kho sign-agent: token «{args.token_label}», chứng thư số của {who['subject']} "
          f"(sha256 {who['fingerprint'][:16]}…), ký cho {agent.origin} tại {agent.url}; "
          "bấm Ctrl-C để dừng", flush=True)
    try:
        agent.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        close_signer(signer)
    return 0


def _agent_fail(message):
    print(f"kho sign-agent: lỗi: {message}", file=sys.stderr)
    return EXIT_ERROR
