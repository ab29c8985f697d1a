"""Targets: reaching a server and preflighting it, and bringing real implementations up and down.

``reference`` is the embedded default target; ``aegra`` (and each further implementation) is a bring-up
script that certifies it; ``postgres`` and ``redis`` start private database servers those bring-ups need;
``processes`` starts and stops process groups so nothing outlives a session.
"""
