"""The ``caseguard`` command line: thin commands over the other rooms.
``options`` holds what every command shares; nothing imports this room but tests.
"""
