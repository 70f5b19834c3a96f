"""Where git comes in: the plumbing (``repo.Repo``: revisions, changed paths, trees, blobs, the
first-parent history walk) and a revision read as a ``Source`` (``repo.GitSource``)."""
