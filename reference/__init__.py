"""The reference servers of "Web Servers from Scratch".

`python -m reference` lists them. The protocol core (request_parser, response, mime, static_files,
site, router, wsgi) never touches a socket; every *_server.py file is a short adapter that moves bytes
between a transport and that core.
"""
