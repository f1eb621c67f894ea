"""SUPRA Water operator CLI: `python manage.py --help` lists every command."""

from cli.app import main

if __name__ == "__main__":
    main()
