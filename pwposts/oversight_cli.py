"""`pwposts scan`: run the 纪检监察 anomaly rules and record flags (a thin wrapper over
services/oversight)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from .cli_busy import retry_when_busy
from .extensions import db


@click.command("scan")
@click.option("--rule", "rules", multiple=True, help="规则编号（可重复），如 PAID_AFTER_DEATH；缺省为全部")
@click.option("--region", "region_code", help="区划代码（12位或其前缀），缺省为全县")
@click.option("--from", "month_from", help="起始月份 YYYY-MM")
@click.option("--to", "month_to", help="截止月份 YYYY-MM")
@with_appcontext
def scan_command(rules, region_code, month_from, month_to):
    """Run the anomaly rules; an open flag is never duplicated,
    a dismissed one returns only on new evidence."""
    from . import clock
    from .domain.errors import DomainError
    from .domain.formats import parse_month
    from .services.clock_binding import bind_now
    from .services.oversight import run_scan

    bind_now(db.session, clock.now())

    def once():
        result = run_scan(
            db.session,
            clock.today(),
            actor="命令行扫描",
            rules=list(rules) or None,
            region_code=region_code,
            month_from=parse_month(month_from, "起始月份") if month_from else None,
            month_to=parse_month(month_to, "截止月份") if month_to else None,
        )
        db.session.commit()
        return result

    try:
        result = retry_when_busy(once, "线索扫描")
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    for rule_id, stats in result.per_rule.items():
        click.echo(f"{rule_id:<22} 发现 {stats['found']:>5}  新增 {stats['new']:>5}")
    click.echo(result.summary)
