"""`pwposts …` commands: thin wrappers over services. `pwposts run`, `pwposts db upgrade` work with no --app."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from .extensions import db


def _create_app(*_args, **_kwargs):
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, help="乡村公益性岗位管理系统 pwposts")
def main():
    """Entry point of the console script."""


audit_group = click.Group("audit", help="审计链")


@audit_group.command("verify")
@with_appcontext
def audit_verify():
    """Recompute the hash chain; exit 1 naming the first entry that no longer matches."""
    from .services.audit import verify_chain

    result = verify_chain(db.session)
    if result.ok:
        click.echo(f"审计链完整：已校验 {result.checked} 条记录")
        return
    click.echo(f"审计链校验失败：第 {result.bad_id} 号记录{result.reason}（此前 {result.checked} 条完好）", err=True)
    sys.exit(1)


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--name", "display_name", required=True, help="显示姓名")
@click.option("--role", required=True, type=click.Choice(["county_admin", "township_clerk", "village_clerk",
                                                          "inspector", "holder"]))
@click.option("--region", "region_code", help="管辖区划代码（12位）")
@click.option("--id-number", help="岗位人员的身份证号")
@with_appcontext
def create_user(username, password, display_name, role, region_code, id_number):
    """Create a login for a role and region."""
    from sqlalchemy import select

    from .domain.errors import DomainError
    from .models.people import Person, Region
    from .services.accounts import create_user as create

    from . import clock
    from .services.clock_binding import bind_now

    bind_now(db.session, clock.now())
    region = db.session.scalar(select(Region).where(Region.code == region_code)) if region_code else None
    person = db.session.scalar(select(Person).where(Person.id_number == id_number)) if id_number else None
    try:
        create(db.session, "命令行", username=username, password=password, display_name=display_name, role=role,
               region=region, person=person)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    click.echo(f"已创建用户 {username}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(audit_group)
    app.cli.add_command(create_user)
    from . import demo

    app.cli.add_command(demo.demo_command)
    from .oversight_cli import scan_command

    app.cli.add_command(scan_command)
