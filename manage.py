"""SUPRA Water CLI for operators and developers: `python manage.py --help` lists every command.

The operator commands live in `cli/`; the developer commands (migrate, serve, demo, seed, bench, loadtest) in
`devtools/commands/`. Neither is deployed with the function app.
"""

from cli.app import app, main
from devtools.commands.devcommands import register

register(app)

if __name__ == "__main__":
    main()
