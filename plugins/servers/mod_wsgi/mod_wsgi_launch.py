"""labour launcher for Apache + mod_wsgi: give the run folder to Apache's user, then exec Apache.

The host's run folder is private (0700) and owned by the host's user. When that user is root,
Apache's children and the mod_wsgi daemon processes run as the unprivileged `User` of
httpd.conf (mod_wsgi refuses to run a daemon as root), and they must reach the app, the
daemon sockets and the lock files inside it. Handing the folder to that user keeps it
private (mode unchanged) while making it usable; root keeps full access. Without root
nothing changes user, so nothing is changed here either.

usage: launch.py --run-dir R --app-dir A --user U --group G -- /usr/sbin/apache2 args...
"""
import argparse
import grp
import os
import pwd
import stat
import sys


def fail(message):
    print("mod_wsgi launcher: " + message, file=sys.stderr, flush=True)
    sys.exit(2)


def inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def searchable_by(path, uid, gid):
    st = os.stat(path)
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid == gid:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def give_away(folder, uid, gid):
    os.chown(folder, uid, gid, follow_symlinks=False)
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        fail("missing '--' before the Apache command line")
    split = argv.index("--")
    parser = argparse.ArgumentParser()
    for name in ("--run-dir", "--app-dir", "--user", "--group"):
        parser.add_argument(name, required=True)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1:]
    if os.geteuid() == 0:
        try:
            uid, gid = pwd.getpwnam(args.user).pw_uid, grp.getgrnam(args.group).gr_gid
        except KeyError:
            fail("user %s or group %s does not exist; install apache2 (it creates them)" % (args.user, args.group))
        run_dir = os.path.realpath(args.run_dir)
        parent = os.path.dirname(run_dir)
        while True:
            if not searchable_by(parent, uid, gid):
                fail("%s cannot enter %s (mode %o), a parent of the run folder; put run folders under a "
                     "folder every user can enter, such as /tmp" % (args.user, parent, os.stat(parent).st_mode & 0o7777))
            if parent == "/":
                break
            parent = os.path.dirname(parent)
        give_away(run_dir, uid, gid)
        if not inside(args.app_dir, run_dir):
            print("mod_wsgi launcher: warning: app folder %s is outside the run folder; %s must be able to "
                  "read it" % (args.app_dir, args.user), file=sys.stderr, flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)  # same pid: Apache stays the group leader the host started


if __name__ == "__main__":
    main()
