"""`pwposts init` and `pwposts import-regions`: starting a real county without the demo."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from .cli_busy import busy_message
from .extensions import db


def _bind():
    from . import clock
    from .services.clock_binding import bind_now

    bind_now(db.session, clock.now())
    return clock.today()


@click.command("init")
@click.option("--county-code", required=True, help="县级区划代码：6位（如 522701）或12位")
@click.option("--county-name", required=True, help="县名称，如 青山县")
@click.option("--admin-username", required=True, help="第一位县级管理员的登录名")
@click.option("--admin-name", required=True, help="管理员姓名")
@click.option("--admin-password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
@busy_message
def init_command(county_code, county_name, admin_username, admin_name, admin_password):
    """Create the county and its first administrator (refused once a county exists)."""
    from .domain.errors import DomainError
    from .services.county_setup import init_county

    today = _bind()
    try:
        county, user = init_county(
            db.session,
            code=county_code,
            name=county_name,
            admin_username=admin_username,
            admin_password=admin_password,
            admin_name=admin_name,
            today=today,
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    click.echo(f"已初始化：{county.name}（{county.code}），县级管理员 {user.username}")
    click.echo(
        "下一步：pwposts import-regions --user <管理员> <统计用区划代码文件.xlsx|.csv>，"
        "或登录后在“区划”页导入"
    )


@click.command("import-regions")
@click.option("--user", "username", required=True, help="执行导入的县级管理员登录名")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
@busy_message
def import_regions_command(username, path):
    """Import townships and villages from a 统计用区划代码 file (.xlsx or .csv)."""
    from sqlalchemy import select

    from .domain.errors import DomainError
    from .models.accounts import User
    from .services.county_setup import import_regions

    today = _bind()
    actor = db.session.scalar(select(User).where(User.username == username))
    if actor is None:
        raise click.ClickException(f"用户“{username}”不存在")
    try:
        result = import_regions(db.session, actor, Path(path).read_bytes(), Path(path).name, today)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        click.echo(err.message, err=True)
        for d in err.details:
            click.echo("  " + str(d), err=True)
        raise SystemExit(1) from None
    if result.same_file:
        click.echo("该文件此前已导入，未作任何更改")
        return
    click.echo(
        f"导入完成：新增乡镇{len(result.added_townships)}个、村{len(result.added_villages)}个，已有{result.unchanged}个未变"
    )
    for line in result.name_differs:
        click.echo("  名称不同（未更改）：" + line)


def register(app) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(import_regions_command)
