"""`pwposts audit verify` and `pwposts create-user` through the CLI."""

from sqlalchemy import text

from pwposts.models.audit import AuditEntry
from pwposts.services import audit


def test_audit_verify_passes_then_names_the_altered_entry(app, session, county):
    for i in range(3):
        audit.record(session, "测试", "change", "thing", i, after={"v": i})
    session.commit()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "审计链完整" in ok.output
    target = session.query(AuditEntry).order_by(AuditEntry.id).all()[4]
    session.execute(text("UPDATE audit_entry SET summary = '篡改' WHERE id = :i"), {"i": target.id})
    session.commit()
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1
    assert f"第 {target.id} 号记录" in bad.output


def test_create_user_command(app, session, county):
    runner = app.test_cli_runner()
    r = runner.invoke(
        args=[
            "create-user",
            "--username",
            "clerk9",
            "--password",
            "long-enough-1",
            "--name",
            "九号",
            "--role",
            "village_clerk",
            "--region",
            county.villages[3].code,
        ]
    )
    assert r.exit_code == 0, r.output
    bad = runner.invoke(
        args=[
            "create-user",
            "--username",
            "clerk10",
            "--password",
            "long-enough-1",
            "--name",
            "十号",
            "--role",
            "village_clerk",
            "--region",
            county.county.code,
        ]
    )
    assert bad.exit_code != 0 and "管辖范围须为一个村" in bad.output


def test_demo_command_gets_an_app_without_the_web_ui(app, monkeypatch):
    """The console script makes `pwposts demo`'s app with create_app(web=False) (no view imported, no URL rule
    compiled); any other command, and a test runner's own app, are left as they are."""
    import click
    from flask import Flask
    from flask.cli import ScriptInfo

    from pwposts import cli, create_app

    made = []

    def factory(kind):
        def make(*_args, **_kwargs):
            made.append(kind)
            return Flask(kind)

        return make

    monkeypatch.setattr(cli, "_create_app", factory("full"))
    monkeypatch.setattr(cli, "_create_headless_app", factory("headless"))
    for name, expected in (("demo", "headless"), ("scan", "full")):
        info = ScriptInfo(create_app=cli._create_app)
        with click.Context(cli.main, obj=info) as ctx:
            cli.main.get_command(ctx, name)
        assert made.pop() == expected
    own = ScriptInfo(create_app=lambda: app)  # as app.test_cli_runner() passes it: never swapped
    with click.Context(cli.main, obj=own) as ctx:
        cli.main.get_command(ctx, "demo")
    assert ctx.find_object(ScriptInfo).load_app() is app and made == []

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    headless = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t"}, web=False)
    assert headless.blueprints == {} and "demo" in headless.cli.commands
    assert {r.endpoint for r in headless.url_map.iter_rules()} == {"static"}
    assert app.blueprints  # the full app: every blueprint


def test_the_demo_app_starts_without_openpyxl_or_the_views(tmp_path):
    """`pwposts demo` loads neither openpyxl (the document writers import it when they write) nor a view."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pwposts import create_app\n"
        "import pwposts.demo\n"
        f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path / 'x.sqlite3'}'}}, web=False)\n"
        "views = {'pwposts.web.auth', 'pwposts.web.people', 'pwposts.web.pay', 'pwposts.web.roster'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'openpyxl' or m in views))\n"
    )
    env = {"PWPOSTS_INSTANCE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
