# Shared helpers for bench/ scripts: start a loopback target pinned to a core, stop it by pid.
# Sourced, not run. Needs: python3 (/usr/bin/python3), taskset, nginx and/or gunicorn.

BENCH_TMP=""
BENCH_SERVER_PID=""

bench_die() { echo "bench: $*" >&2; exit 2; }

bench_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_wait_ready() {  # port, seconds
  local port=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$BENCH_SERVER_PID" 2>/dev/null || bench_die "server exited before it listened (log: $BENCH_TMP)"
    sleep 0.1
  done
  bench_die "server not listening on 127.0.0.1:$port after $2 s (log: $BENCH_TMP)"
}

# bench_start_server nginx|gunicorn CORE -> sets BENCH_PORT, BENCH_SERVER_PID
bench_start_server() {
  local kind=$1 core=$2
  BENCH_TMP=$(mktemp -d /tmp/labour-bench.XXXXXX)
  BENCH_PORT=$(bench_free_port)
  case "$kind" in
    nginx)
      command -v nginx >/dev/null || bench_die "nginx not found (apt-get install nginx-light)"
      cat >"$BENCH_TMP/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $BENCH_TMP/nginx.pid;
error_log $BENCH_TMP/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $BENCH_TMP/body;
  proxy_temp_path $BENCH_TMP/proxy;
  fastcgi_temp_path $BENCH_TMP/fastcgi;
  uwsgi_temp_path $BENCH_TMP/uwsgi;
  scgi_temp_path $BENCH_TMP/scgi;
  server {
    listen 127.0.0.1:$BENCH_PORT;
    location / { return 200 "hello\n"; }
  }
}
NGINX
      taskset -c "$core" nginx -p "$BENCH_TMP" -c "$BENCH_TMP/nginx.conf" >"$BENCH_TMP/server.log" 2>&1 &
      BENCH_SERVER_PID=$!
      ;;
    gunicorn)
      /usr/bin/python3 -c 'import gunicorn' 2>/dev/null || bench_die "gunicorn not found (apt-get install gunicorn)"
      cat >"$BENCH_TMP/hello.py" <<'PY'
def app(environ, start_response):
    body = b"hello\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
PY
      taskset -c "$core" /usr/bin/python3 -m gunicorn --workers 1 --worker-class sync --backlog 2048 \
        --bind "127.0.0.1:$BENCH_PORT" --chdir "$BENCH_TMP" hello:app >"$BENCH_TMP/server.log" 2>&1 &
      BENCH_SERVER_PID=$!
      ;;
    *) bench_die "--target '$kind': unknown (use nginx or gunicorn)" ;;
  esac
  trap bench_stop_server EXIT
  bench_wait_ready "$BENCH_PORT" 15
}

bench_stop_server() {
  if [[ -n "$BENCH_SERVER_PID" ]] && kill -0 "$BENCH_SERVER_PID" 2>/dev/null; then
    kill -TERM "$BENCH_SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$BENCH_SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$BENCH_SERVER_PID" 2>/dev/null || true  # already gone after SIGTERM
    wait "$BENCH_SERVER_PID" 2>/dev/null || true
  fi
  BENCH_SERVER_PID=""
  [[ -n "$BENCH_TMP" && -d "$BENCH_TMP" ]] && rm -rf "$BENCH_TMP"
  BENCH_TMP=""
  return 0  # runs as the EXIT trap: its status would become the script's
}

bench_labour_bin() {
  local bin=${LABOUR:-build/bin/labour}
  [[ -x "$bin" ]] || bench_die "labour binary '$bin' not found or not executable (build it, or set LABOUR=/path/to/labour)"
  echo "$bin"
}

# Cores: server on the first, clients on the second (same core on a 1-core machine).
bench_cores() {
  local n; n=$(nproc)
  SERVER_CORE=0
  CLIENT_CORE=$((n > 1 ? 1 : 0))
}
