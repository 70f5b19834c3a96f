"""``python -m permgate.docsgen``: regenerate docs/rules/ from the rule modules."""

from permgate.docsgen import main

raise SystemExit(main())
