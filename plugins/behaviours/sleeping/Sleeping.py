"""Sleeping worker half: sleeps `seconds` (time.sleep, so the GIL is released), then 200."""

import time


def handle(environ, start_response, params, ctx):
    seconds = params["seconds"]
    time.sleep(seconds)
    body = ("slept %s seconds\n" % seconds).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
