"""What does a change introduce?

``changeset`` (the record rules read from ``Context.change``), ``compare`` (the one definition of
"the same finding"), ``judge`` (both sides evaluated, new vs pre-existing), ``basemode``
(``check --base``: loads both sides, asks ``incremental`` first), ``incremental`` (the employees a
change touches, re-judged; with ``base_index`` and ``people_cache``), ``whatif`` (a proposal's
findings, for ``grant`` and ``grantable``)."""
