"""How findings are made: the rules run over a workspace, ids and severities stamped, sorted
(``evaluation``); waivers applied (``waivers``); and the same check cut into chunks of grants
files judged over the cores (``chunked``, the fast path of ``check`` without ``--base``)."""
