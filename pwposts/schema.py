"""Is the database's schema the one this code expects? (Alembic's version table against the migrations' head.)

Commands that write a county (`pwposts demo`, `pwposts create-user`, `pwposts sweep`) ask first, so that a
database nobody has upgraded gets one plain sentence — run `pwposts db upgrade` — instead of a traceback
about a missing table halfway through."""

from __future__ import annotations

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def schema_problem(connection) -> str | None:
    """None when the database is at the migrations' head, else what is wrong and what to do, in Chinese."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    current = set(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        return None
    if not current:
        return "数据库尚未建表（没有迁移版本记录）：请先运行 pwposts db upgrade，再执行本命令"
    if not current <= _known_revisions():  # written by a newer version of pwposts
        return (
            f"数据库的迁移版本（{'、'.join(sorted(current))}）比本程序新：请使用与数据库相同或更新版本的程序"
        )
    return (
        f"数据库结构不是最新（当前版本 {'、'.join(sorted(current))}，应为 {'、'.join(sorted(heads))}）："
        "请先运行 pwposts db upgrade，再执行本命令"
    )


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def require_current_schema(session) -> None:
    """Raise click.ClickException (exit 1, the sentence on stderr) unless the schema is at the head."""
    import click

    problem = schema_problem(session.connection())
    if problem:
        raise click.ClickException(problem)
