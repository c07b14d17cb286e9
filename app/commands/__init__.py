"""The command line's commands by concern; app/cli.py parses the arguments and runs them."""
