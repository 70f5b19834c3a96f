"""permgate: a policy-as-code linter for permission grants kept as YAML in git."""

__version__ = "0.1.0"
