"""`python -m scheduler` runs the admin CLI."""

from scheduler.cli import main

if __name__ == "__main__":
    main()
