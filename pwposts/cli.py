"""`pwposts …` commands: thin wrappers over services. `pwposts run`,
`pwposts db upgrade` work with no --app."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from .cli_busy import busy_message, retry_when_busy
from .domain.roles import ROLES
from .extensions import db
from .schema import require_current_schema


def _create_app(*_args, **_kwargs):
    from . import create_app

    return create_app()


# Commands that serve no page and call no view: the console script makes their app without the web UI and the
# API (create_app(web=False)), which spares it importing every view and compiling some 270 URL rules (about a
# third of a second of CPU, at every start of `pwposts demo`).
HEADLESS_COMMANDS = frozenset({"demo"})


def _create_headless_app(*_args, **_kwargs):
    from . import create_app

    return create_app(web=False)


class _PwpostsGroup(FlaskGroup):
    def get_command(self, ctx: click.Context, name: str):
        info = ctx.find_object(ScriptInfo)
        # only the console script's own factory is swapped (a test runner passes its app in its ScriptInfo)
        if name in HEADLESS_COMMANDS and info is not None and info.create_app is _create_app:
            info.create_app = _create_headless_app
        return super().get_command(ctx, name)


@click.group(cls=_PwpostsGroup, create_app=_create_app, help="乡村公益性岗位管理系统 pwposts")
def main():
    """Entry point of the console script."""


audit_group = click.Group("audit", help="审计链")


@audit_group.command("verify")
@click.option("--last-id", help="抄录的检查点：最后一条记录的编号")
@click.option("--count", help="抄录的检查点：记录条数")
@click.option("--hash", "hash_prefix", help="抄录的检查点：最后一条记录的哈希（可只抄前8位以上）")
@with_appcontext
def audit_verify(last_id, count, hash_prefix):
    """Recompute the hash chain and hold it against every checkpoint (and one written down, if given);
    exit 1 naming the first entry that no longer matches or the entries missing from the tail."""
    from .domain.errors import DomainError
    from .services.audit import noted_checkpoint, verify_chain

    noted = ()
    if last_id or count or hash_prefix:
        if not (last_id and count and hash_prefix):
            raise click.UsageError("核对抄录的检查点须同时给出 --last-id、--count 和 --hash")
        try:
            noted = (noted_checkpoint(last_id, count, hash_prefix),)
        except DomainError as err:
            raise click.UsageError(err.message) from None
    result = verify_chain(db.session, noted=noted)
    if result.ok:
        click.echo(result.describe())
        return
    click.echo(result.describe(), err=True)
    sys.exit(1)


@audit_group.command("checkpoint")
@with_appcontext
@busy_message
def audit_checkpoint():
    """Note the chain's head (count, last id, hash) in audit_checkpoint, for inspectors to write down."""
    from . import clock
    from .domain.formats import beijing
    from .services.audit import take_checkpoint
    from .services.clock_binding import bind_now

    require_current_schema(db.session)
    bind_now(db.session, clock.now())
    cp = take_checkpoint(db.session, "命令行", "command")
    db.session.commit()
    click.echo(
        f"已记录检查点：截至 {beijing(cp.at)}（北京时间）共 {cp.entry_count} 条审计记录，"
        f"最后一条为第 {cp.last_entry_id or 0} 号，哈希 {cp.last_hash}"
    )


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--name", "display_name", required=True, help="显示姓名")
@click.option(
    "--role",
    required=True,
    type=click.Choice(list(ROLES)),
)
@click.option("--region", "region_code", help="管辖区划代码（12位）")
@click.option("--id-number", help="岗位人员的身份证号")
@with_appcontext
@busy_message
def create_user(username, password, display_name, role, region_code, id_number):
    """Create a login for a role and region."""
    from sqlalchemy import select

    from . import clock
    from .domain.errors import DomainError
    from .models.people import Person, Region
    from .services.accounts import create_user as create
    from .services.clock_binding import bind_now

    require_current_schema(db.session)
    bind_now(db.session, clock.now())
    region = db.session.scalar(select(Region).where(Region.code == region_code)) if region_code else None
    person = db.session.scalar(select(Person).where(Person.id_number == id_number)) if id_number else None
    try:
        create(
            db.session,
            "命令行",
            username=username,
            password=password,
            display_name=display_name,
            role=role,
            region=region,
            person=person,
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    click.echo(f"已创建用户 {username}")


@click.command("sweep")
@click.option("--today", "today_text", help="巡检日期 YYYY-MM-DD（默认今天，北京时间）")
@with_appcontext
def sweep(today_text):
    """Daily sweep: exits take effect, exit proposals, expired contracts, renewals due, 311 and colours."""
    from . import clock
    from .domain.errors import DomainError
    from .domain.formats import parse_date
    from .services.clock_binding import bind_now
    from .services.sweep import run_sweep

    require_current_schema(db.session)
    bind_now(db.session, clock.now())

    def once():
        report = run_sweep(db.session, today)
        db.session.commit()
        return report

    try:
        today = parse_date(today_text, "巡检日期") if today_text else clock.today()
        report = retry_when_busy(once, "每日巡检")
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    for line in report.lines():
        click.echo(line)


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(target):
    """备份整个数据库到文件（SQLite 在线备份；PostgreSQL 用 pg_dump 自定义格式）。"""
    from flask import current_app

    from .backup import BackupError, backup

    try:
        path = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"已备份到 {path}（{path.stat().st_size:,} 字节）")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="确认用备份替换当前数据库（不可撤销）")
@with_appcontext
def restore_command(source, yes):
    """用备份文件替换整个数据库，然后校验审计链。"""
    from flask import current_app

    from .backup import BackupError, restore
    from .services.audit import verify_chain

    if not yes:
        raise click.ClickException(
            "恢复将用备份替换当前数据库的全部数据，且不可撤销：确认无误后加 --yes 重新执行"
        )
    db.session.remove()
    db.engine.dispose()  # no pooled connection may hold the old database open
    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    result = verify_chain(db.session)
    click.echo(f"已从 {source} 恢复。")
    if not result.ok:
        click.echo(f"审计链校验失败：{result.describe()}", err=True)
        sys.exit(1)
    click.echo(f"审计链完整：已校验 {result.checked} 条记录")


PLUGIN_GROUP = "pwposts.commands"


def _add_plugin_commands(app: Flask) -> None:
    """Commands registered under the `pwposts.commands` entry-point group (pyproject.toml), loaded by
    name: the demo county (`pwposts demo`) lives beside the app and the app never imports it."""
    from importlib.metadata import entry_points

    for point in entry_points(group=PLUGIN_GROUP):
        app.cli.add_command(point.load(), point.name)


def register_cli(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(sweep)
    app.cli.add_command(create_user)
    _add_plugin_commands(app)
    from . import cli_county

    cli_county.register(app)
    from .oversight_cli import scan_command

    app.cli.add_command(scan_command)
