"""What changes speed, never findings: the content-addressed cache (``cache``) and the one way to
run work on several cores (``parallel``)."""
