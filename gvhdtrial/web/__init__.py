"""The gvhdtrial web service: a Django project with one app per trial concept.

Apps: ``sites`` (centres, users, roles, API tokens), ``patients`` (screening and consent),
``randomization`` (schedule, slots, allocation), ``supply`` (kits and chain of custody),
``unblinding`` (emergency and trial-level unblinding, notifications), ``audit`` (the append-only,
hash-chained audit trail) and ``lock`` (database lock). Views are thin: the rules live in
``gvhdtrial.randomization`` and ``gvhdtrial.supply``; every write goes through
:func:`gvhdtrial.web.gateway.write`.
"""
