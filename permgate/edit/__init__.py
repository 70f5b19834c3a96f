"""Writing grants files: the only part of permgate that changes files on disk.

``layout`` reads a grants file line by line (checked against the strict loader), so that
``fmt`` can rewrite it into the canonical layout and ``insert`` can add grant entries
without touching any other byte; ``render`` writes values and entries the canonical way;
``atomic`` replaces a file in one step.  Anything that cannot be rewritten safely is an
``EditError`` at the offending line, never a guess.
"""
