"""SUPRA Water CLI for operators and developers: `python manage.py --help` lists every command.

The operator commands live in `cli/`; the developer commands (migrate, serve, demo, seed, bench, loadtest) in
`devtools/commands/`. Neither is deployed with the function app.
"""

from cli.app import app, main
from devtools.bench.revenue import bench_revenue_command
from devtools.commands.agent import agent_app
from devtools.commands.bench import bench_app
from devtools.commands.devcommands import register

register(app)
bench_app.command("revenue")(bench_revenue_command)  # issue 17 (devtools/bench/revenue.py)
app.add_typer(agent_app, name="agent")  # manage.py agent eval (docs/agents.md)

if __name__ == "__main__":
    main()
