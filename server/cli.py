"""`mistral-mcp`: serve, manage the database schema, and handle encryption keys."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from server import __version__
from server.errors import ConfigError
from server.settings import SETTINGS_DOC, Settings

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
    serve.add_argument("--host", help="address to listen on (default: $MISTRAL_MCP_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: $MISTRAL_MCP_PORT or 8000)")

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations (idempotent; safe while other replicas run)")
    db.add_parser("current", help="print the schema revision")

    keys = commands.add_parser("keys", help="encryption keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("generate", help="print a new encryption key for MISTRAL_MCP_ENCRYPTION_KEYS")
    return parser


def _serve(settings: Settings) -> None:
    import uvicorn

    from server.app import create_app
    from server.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=30,
    )


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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "keys":
            from server.security.crypto import generate_key

            print(generate_key())
            return 0
        settings = Settings.from_env(host=getattr(args, "host", None), port=getattr(args, "port", None))
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
