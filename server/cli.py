"""`mistral-mcp`: serve, manage the database schema, and handle encryption keys."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from server import __version__
from server.errors import ConfigError
from server.settings import SETTINGS_DOC, Settings, variable_of

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from server.keys.rotation import KeyStatus

_EPILOG = "Configuration comes from environment variables:\n\n" + "\n".join(
    f"  {name:<38} {meaning} (default: {default})" for name, default, meaning in SETTINGS_DOC
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mistral-mcp",
        description="Hosted MCP server for the Mistral AI API: paste a key, get an MCP URL.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mistral-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="serve the web page, the API and the MCP endpoint",
        description="Serve on HOST:PORT (embedded SQLite in ./mistral-mcp-data unless configured).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help=f"address to listen on (default: ${variable_of('host')} or 127.0.0.1)")
    serve.add_argument("--port", type=int, help=f"port to listen on (default: ${variable_of('port')} or 8000)")

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations (idempotent; safe while other replicas run)")
    db.add_parser("current", help="print the schema revision")

    keys = commands.add_parser("keys", help="encryption keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("generate", help=f"print a new encryption key for {variable_of('encryption_keys')}")
    status = keys.add_parser("status", help="how many stored keys each encryption key protects")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    rotate = keys.add_parser(
        "rotate",
        help="re-encrypt every stored key under the primary key (online, resumable)",
        description="Re-encrypt stored Mistral keys under the first configured key, in batches, while replicas "
        "keep serving. Safe to interrupt and run again.",
    )
    rotate.add_argument("--batch-size", type=_positive_int, default=500, help="rows per transaction (default: 500)")
    return parser


def serving_app(settings: Settings) -> Starlette:
    """The app as `mistral-mcp serve` runs it, with the process set up around it (the benchmark
    serves exactly this): logging configured, sse-starlette's drain-on-signal off, the collector tuned."""
    from sse_starlette.sse import AppStatus

    from server.app import create_app
    from server.gc_tuning import tune_for_serving
    from server.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    # sse-starlette ends every SSE response as soon as SIGTERM arrives, which would cut the tool
    # calls in flight. Our (stateless) SSE responses end by themselves once the result is sent,
    # and uvicorn's grace period bounds the wait.
    AppStatus.disable_automatic_graceful_drain()  # type: ignore[no-untyped-call]  # unannotated upstream
    app = create_app(settings)
    tune_for_serving()
    return app


def _serve(settings: Settings) -> None:
    import uvicorn

    from server.serving import raise_open_file_limit, uvicorn_options

    app = serving_app(settings)
    raise_open_file_limit(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, **uvicorn_options(settings))


async def _db(command: str, settings: Settings) -> None:
    from storage.database import create_engine
    from storage.migrate import current_revision, head_revision, upgrade

    engine = create_engine(settings.effective_database_url)
    try:
        if command == "upgrade":
            await upgrade(engine)
            print(f"database schema at revision {head_revision()}")
        else:
            print(await current_revision(engine) or "(empty database)")
    finally:
        await engine.dispose()


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _print_key_status(state: KeyStatus, as_json: bool) -> None:
    if as_json:
        fields = ("primary", "configured", "rows", "plaintext", "pending", "unused", "missing")
        print(json.dumps({name: getattr(state, name) for name in fields}, default=list))
        return
    print(f"{'key id':<18} {'stored keys':>11}  state")
    for kid in [*state.configured, *state.missing]:
        role = "primary" if kid == state.primary else "configured" if kid in state.configured else "NOT CONFIGURED"
        note = "  (unused: safe to remove)" if kid in state.unused else ""
        print(f"{kid:<18} {state.rows.get(kid, 0):>11}  {role}{note}")
    if state.plaintext:
        print(f"{state.plaintext} OAuth client secret(s) are stored unsealed (written by an older version).")
    if state.pending:
        print(f"{state.pending} stored key(s) are not under the primary key yet: run `mistral-mcp keys rotate`.")


async def _keys(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from server.keys.rotation import RotationProgress, key_status, rotate_keys
    from server.keys.source import GENERATED_KEY_FILE, load_keyring
    from storage.database import create_engine
    from storage.oauth_repository import OAuthRepository
    from storage.repository import ConnectionRepository

    configured = settings.encryption_keys or settings.encryption_keys_file
    if not configured and not (settings.data_dir / GENERATED_KEY_FILE).exists():
        # Unlike `serve`, these commands must not invent a key: it would protect nothing.
        raise ConfigError(
            f"no encryption keys: set {variable_of('encryption_keys')} or {variable_of('encryption_keys_file')}"
        )
    keyring = load_keyring(settings)
    engine = create_engine(settings.effective_database_url)
    repository, oauth = ConnectionRepository(engine), OAuthRepository(engine)

    async def report(progress: RotationProgress) -> None:
        print(f"batch {progress.batches}: {progress.rotated} re-encrypted so far", flush=True)

    try:
        if args.keys_command == "status":
            _print_key_status(await key_status(repository, keyring, oauth), args.json)
            return 0
        done = await rotate_keys(repository, keyring, oauth=oauth, batch_size=args.batch_size, after_batch=report)
    except SQLAlchemyError as exc:
        print(
            f"mistral-mcp: database error ({type(exc).__name__}); is the schema there (`mistral-mcp db upgrade`)?",
            file=sys.stderr,
        )
        return 1
    finally:
        await engine.dispose()
    print(
        f"re-encrypted {done.rotated} stored key(s) under {keyring.primary_key_id}; "
        f"{done.changed_meanwhile} replaced by their users meanwhile; {len(done.unreadable)} unreadable"
    )
    if done.unreadable:
        print(
            "these connections are encrypted under a key that is not configured (add it back, then rotate "
            "again): " + ", ".join(done.unreadable),
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "keys" and args.keys_command == "generate":
            from server.security.crypto import generate_key

            print(generate_key())
            return 0
        settings = Settings.from_env(host=getattr(args, "host", None), port=getattr(args, "port", None))
        if args.command == "keys":
            return asyncio.run(_keys(args, settings))
        if args.command == "serve":
            _serve(settings)
        elif args.command == "db":
            asyncio.run(_db(args.db_command, settings))
    except ConfigError as exc:
        print(f"mistral-mcp: configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
