"""The reference servers of "Web Servers from Scratch".

`python -m reference` lists them. The protocol core in reference/core/ (request_parser, response, mime,
static_files, static_site, router, wsgi, websocket) never touches a socket; every *_server.py file is a
short adapter that moves bytes between a transport and that core.
"""
