"""The `kho` command: one entry point, sub-commands contributed by each package.

Each package named in COMMAND_MODULES has a `register(subparsers)` function
that adds its sub-commands; a sub-command sets `func(args) -> int` as its
default. Libraries (ocr, signing, search) register commands that need no
database; repository commands open the storage named in the ini file.
"""
import argparse
import importlib
import os
import sys
import warnings

# Pyramid still imports pkg_resources; its deprecation notice is noise on every command
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

COMMAND_MODULES = (
    "repository.commands",
    "repository.audit_commands",        # kho audit … (the sealer, verify over sealed and pending)
    "repository.indicator_commands",    # kho indicators rebuild|check
    "repository.retention_commands",    # kho retention run, holds, disposition
    "repository.archive_commands",      # kho archive export|verify, rights exports
    "repository.signature_commands",    # kho user-cert add|list|remove (signing certificates)
    "ocr.cli",
    "signing.cli",
    "search.cli",
)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="kho", description="Kho: electronic warehouse of papers")
    parser.add_argument(
        "-c", "--config", default=os.environ.get("KHO_CONFIG", "development.ini"),
        help="the ini file with the app settings (default: development.ini or $KHO_CONFIG)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from zc.lockfile import LockError
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except LockError as exc:
        print(f"kho: the database is open in another process ({exc}); stop the app "
              "(`make run`) first, or use ZEO so that several processes can share it", file=sys.stderr)
        return 75


if __name__ == "__main__":
    sys.exit(main())
