"""A small Starlette app that graders/advanced/test_asgi.py runs on your server, when Starlette is installed.

    python exercises/advanced/asgi/server.py --port 8002 --app graders.advanced.asgi_starlette_app:app

Starlette reads the scope exactly as the ASGI spec says (headers and query_string as bytes, path decoded),
so this app works only on a server that follows it:
    GET  /hello/<name>?greeting=<g>   JSON {"hello": name, "greeting": g, "token": the X-Probe-Token header}
    POST /echo                        the JSON body back as {"you_sent": ...}, status 201
    GET  /count/<n>                   a StreamingResponse: the lines 0 to n-1
"""
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route


async def hello(request):
    return JSONResponse({"hello": request.path_params["name"], "greeting": request.query_params.get("greeting"),
                         "token": request.headers.get("x-probe-token")})


async def echo(request):
    return JSONResponse({"you_sent": await request.json()}, status_code=201)


async def count(request):
    async def lines():
        for number in range(request.path_params["n"]):
            yield f"{number}\n"
    return StreamingResponse(lines(), media_type="text/plain")


app = Starlette(routes=[
    Route("/hello/{name}", hello),
    Route("/echo", echo, methods=["POST"]),
    Route("/count/{n:int}", count),
])
