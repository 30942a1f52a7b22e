"""`pwposts demo`: the command (registered through the pwposts.commands entry point)."""

from __future__ import annotations

import gc
from datetime import datetime

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select, text

from ..domain.roles import ROLE_LABELS, TOWNSHIP_CLERK
from ..models.accounts import User
from ..models.people import Person, Region
from ..schema import require_current_schema
from .county import generate_county, reset_all
from .county_state import COUNTY_CODE6, COUNTY_NAME, DEMO_LOGINS, DEMO_PASSWORD, MIN_PERSONS

SUMMARY = (
    ("townships", "乡镇", "个"),
    ("villages", "村（社区）", "个"),
    ("households", "户", "户"),
    ("persons", "人员", "人"),
    ("person_categories", "人员类别记录", "条"),
    ("relations", "亲属关系", "条"),
    ("cadres", "村干部任职", "条"),
    ("employment_records", "参保就业记录", "条"),
    ("post_categories", "岗位类别", "个"),
    ("standards", "补贴标准", "条"),
    ("funds", "资金来源", "项"),
    ("holidays", "节假日及调休", "天"),
    ("post", "岗位", "个"),
    ("notice", "招聘公告", "份"),
    ("application", "报名记录", "条"),
    ("publicity", "公示", "次"),
    ("objection", "公示异议", "件"),
    ("contract", "合同（含续签）", "份"),
    ("insurance_policy", "意外伤害保险", "份"),
    ("assessment", "考核结果（月度及年度）", "条"),
    ("attendance_record", "考勤记录", "条"),
    ("payroll_run", "发放清册", "份"),
    ("payment", "发放明细", "条"),
    ("flags_raised", "纪检监察线索（扫描发现）", "条"),
)


def analyze_after_bulk_load(session) -> None:
    """PostgreSQL: gather planner statistics for the tables just filled. A new database has none until
    autovacuum's next pass (and none at all where autovacuum is off): with none, the planner takes the
    county's 50,000 persons for a few dozen and sorts them all for a 50-row page."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
        session.commit()


def roomy_sqlite_cache(session) -> None:
    """SQLite: a page cache of up to 128 MiB for this command's connection (the default is 2 MiB). The build
    is one transaction of some 40 MB at 50,000 persons; with the default cache its dirty pages spill to the
    WAL mid-transaction and the indexes' pages are read back again and again (about 0.4 s of system CPU)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA cache_size = -131072"))


@click.command("demo")
@click.option("--seed", type=int, default=2026, show_default=True, help="随机种子（相同种子生成相同数据）")
@click.option("--persons", type=int, default=5000, show_default=True, help="人员数量")
@click.option("--reset", is_flag=True, help="先清空所有表中的数据")
@click.option("--today", "today_text", help="基准日期 YYYY-MM-DD（默认为今天）")
@with_appcontext
def demo_command(seed: int, persons: int, reset: bool, today_text: str | None):
    """生成一个演示县（青山县）：区划、人员、户、亲属、村干部、政策、岗位、招聘、合同、考勤、发放历史和各角色的登录账号。"""
    enabled = gc.isenabled()
    gc.disable()  # reset, build and commit hold a whole county in memory: see generate_county
    try:
        _demo(seed, persons, reset, today_text)
    finally:
        if enabled:
            gc.enable()


def _demo(seed: int, persons: int, reset: bool, today_text: str | None) -> None:
    from .. import clock
    from ..domain.errors import DomainError
    from ..domain.formats import parse_date
    from ..extensions import db

    session = db.session
    require_current_schema(session)
    roomy_sqlite_cache(session)
    try:
        today = parse_date(today_text, "基准日期") if today_text else clock.today()
    except DomainError as err:
        raise click.ClickException(err.message) from None
    if persons < MIN_PERSONS:
        raise click.ClickException(f"人员数量至少为{MIN_PERSONS}")
    if reset:
        reset_all(session)
    elif session.scalar(select(func.count(Person.id))) or session.scalar(select(func.count(Region.id))):
        raise click.ClickException(
            "数据库中已有人员或区划数据；如需重新生成演示数据，请加 --reset（将清空所有数据）"
        )
    else:
        names = [u for u, _ in DEMO_LOGINS] + ["township1b", "township2"]
        taken = session.scalars(select(User.username).where(User.username.in_(names))).all()
        if taken:
            raise click.ClickException(f"用户名已存在：{'、'.join(taken)}；请加 --reset 后重试")
    started = datetime.now()
    counts = generate_county(session, seed=seed, persons=persons, today=today)
    session.commit()
    analyze_after_bulk_load(session)
    seconds = (datetime.now() - started).total_seconds()
    click.echo(
        f"已生成演示数据：{COUNTY_NAME}（{COUNTY_CODE6}000000），种子 {seed}，基准日期 {today.isoformat()}，"
        f"用时 {seconds:.1f} 秒"
    )
    for key, label, unit in SUMMARY:
        click.echo(f"  {label}：{counts.get(key, 0)} {unit}")
    click.echo(
        f"  16岁以上人员 {counts['adults']} 人，其中有人员类别记录 {counts['adults_in_category']} 人；"
        f"已故 {counts['deaths']} 人"
    )
    click.echo("演示账号（密码均为 " + DEMO_PASSWORD + "）：")
    users = {
        u.username: u
        for u in session.scalars(select(User).where(User.username.in_([u for u, _ in DEMO_LOGINS]))).all()
    }
    for username, role in DEMO_LOGINS:
        user = users[username]
        if user.region:
            scope = user.region.full_name
        else:
            scope = f"人员：{user.person.name}（{user.person.village.full_name}）"
        click.echo(f"  {username} / {DEMO_PASSWORD}  {ROLE_LABELS[role]}  {scope}")
    click.echo(
        f"  township1b / {DEMO_PASSWORD}  {ROLE_LABELS[TOWNSHIP_CLERK]}"
        "（复核人，可审批 township1 生成的清册）  "
        f"{users['township1'].region.full_name}"
    )
    click.echo(f"  其他乡镇经办人：township2 … township{counts['townships']}（密码相同）")
