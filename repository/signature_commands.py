"""`kho user-cert add|list|remove`: the signing certificate registered for an
account. Signing at the desk (the agent), remotely (CSC) or with a server
key is refused when the certificate that signs is not one registered here
(a server key is also accepted for an account with none registered)."""
import sys


def register(subparsers):
    cert = subparsers.add_parser("user-cert", help="an account's registered signing certificates")
    sub = cert.add_subparsers(dest="user_cert_cmd", metavar="ACTION")
    p = sub.add_parser("add", help="register FILE (certificate PEM/DER, or a .p12 with "
                                   "--passphrase-file) as USERNAME's signing certificate")
    p.add_argument("username")
    p.add_argument("file")
    p.add_argument("--passphrase-file", help="for a .p12: file whose first line is its passphrase")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("list", help="the certificates registered for USERNAME")
    p.add_argument("username")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("remove", help="remove a certificate by its SHA-256 fingerprint")
    p.add_argument("username")
    p.add_argument("fingerprint")
    p.set_defaults(func=cmd_remove)
    cert.set_defaults(func=lambda args: (cert.print_help(sys.stderr), 2)[1])


def _fail(message):
    print(f"kho: error: {message}", file=sys.stderr)
    return 2


def _certificate_bytes(path, passphrase_file):
    from pathlib import Path
    data = Path(path).read_bytes()
    if passphrase_file or str(path).endswith((".p12", ".pfx")):
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
        from signing.pki import read_passphrase
        passphrase = read_passphrase(passphrase_file) if passphrase_file else ""
        bundle = pkcs12.load_pkcs12(data, passphrase.encode() or None)
        return bundle.cert.certificate.public_bytes(Encoding.DER)
    return data


def _with_root(args, work):
    from . import db as kdb
    from .commands import settings_of
    from .errors import Conflict, ValidationError
    try:
        with kdb.opened(settings_of(args)) as conn:
            return work(kdb.app_root(conn))
    except ValidationError as exc:
        return _fail("; ".join(exc.errors.values()))
    except Conflict as exc:
        return _fail(exc)


def cmd_add(args):
    from .signatures import register_certificate
    try:
        data = _certificate_bytes(args.file, args.passphrase_file)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot read a certificate from {args.file}: {exc}")

    def work(root):
        record = register_certificate(root, args.username, data, None)
        print(f"{args.username}: registered {record['subject']} (issuer {record['issuer']}, "
              f"until {record['not_after'][:10]}), sha256 {record['fingerprint']}")
        return 0
    return _with_root(args, work)


def cmd_list(args):
    from .signatures import certificates_of

    def work(root):
        if args.username not in root.accounts.users:
            return _fail(f"no account {args.username}")
        for r in certificates_of(root, args.username):
            print(f"{r['fingerprint']}  {r['subject']}  (issuer {r['issuer']}, until {r['not_after'][:10]})")
        return 0
    return _with_root(args, work)


def cmd_remove(args):
    from .signatures import remove_certificate

    def work(root):
        remove_certificate(root, args.username, args.fingerprint, None)
        print(f"{args.username}: certificate {args.fingerprint[:16]}… removed")
        return 0
    return _with_root(args, work)
