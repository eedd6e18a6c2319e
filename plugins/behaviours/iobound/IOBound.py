"""IOBound worker half: reads `bytes` from /dev/zero or its own data file, in blocks.

The source is an enumeration mapped to fixed paths here; no path ever comes from a request.
The data file ("data", 1 MiB) is declared by the plugin and written into ctx.files_dir.
The data file is read from its start again whenever its end is reached.
"""

import os

_ZERO = "/dev/zero"


def _read(path, total, block, rewind):
    done = 0
    buffer = memoryview(bytearray(block))
    just_rewound = False
    with open(path, "rb", buffering=0) as f:
        while done < total:
            got = f.readinto(buffer[:min(block, total - done)])
            if got:
                done += got
                just_rewound = False
                continue
            if not rewind or just_rewound:  # an empty file would loop forever
                raise OSError("%s ended after %d of %d bytes" % (path, done, total))
            f.seek(0)
            just_rewound = True
    return done


def handle(environ, start_response, params, ctx):
    if params["source"] == "zero":
        path, rewind = _ZERO, False
    else:
        path, rewind = os.path.join(ctx.files_dir, "data"), True
    done = _read(path, params["bytes"], params["block"], rewind)
    body = ("read %d bytes\n" % done).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(body)))])
    return [body]
