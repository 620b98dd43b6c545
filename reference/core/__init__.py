"""The protocol core: every module in this folder, and nothing else, is the core.

HTTP is just text over a socket, so the rules of HTTP need no socket at all. Bytes go in, requests come out;
responses go in, bytes come out. No module here imports socket, asyncio, selectors, threading or ssl (a
kit test reads their imports to make sure), which is why one core serves the blocking, threaded, selectors,
asyncio and WSGI servers alike.

    request_parser  bytes in, Request out (or HTTPError with the status to answer)
    response        Response, and the bytes that answer a request (reply_to)
    mime            which Content-Type goes with which file
    static_files    a URL path to a file under static/, safely
    static_site     the static site: Request in, Response out
    router          @route: a table from path to handler, with a fallback
    wsgi            a Request as a WSGI environ, and a WSGI app's answer as a Response
    websocket       the WebSocket handshake and frames (RFC 6455)
"""
