"""Questions about the past and the whole organisation: exposure windows from the history
(``audit``) and the access matrix of ``report --html`` (``matrix``)."""
