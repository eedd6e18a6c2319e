"""labour bootstrap: serve the worker app with paste.httpserver (one process, thread pool)."""

from paste import httpserver

import labour_prelude

args = labour_prelude.arguments(("--threadpool", dict(type=int)))

app = labour_prelude.load_app(args)
# serve() prints "serving on ...", returns the server after KeyboardInterrupt. Paste's pool
# asserts spawn_if_under (default 5) <= workers, so small pools need it lowered.
server = httpserver.serve(app, host=args.host, port=str(args.port), use_threadpool=True,
                          threadpool_workers=args.threadpool,
                          threadpool_options={"spawn_if_under": min(5, args.threadpool)})
# Stops the worker threads (paste's pool gives stuck ones a bounded time).
server.server_close()
