# runlater's stdin shim, run by a static busybox as the entrypoint of every job container:
#   /runlater/busybox sh /runlater/shim.sh PROGRAM [ARGS...]
# It gives the program the job's stdin and then becomes the program (exec), so the exit code,
# signals and pid 1 are the program's own. Only shell builtins are used: the image may have none.

if [ "$#" -eq 0 ]; then
  echo "runlater shim: no program to run (the worker has no command and the image no ENTRYPOINT/CMD)" >&2
  exit 127
fi

prog=$1
shift
case "$prog" in
  */*) ;;
  *)
    # busybox sh would run its own applet for a bare name (exec cat runs busybox's cat), not the
    # image's program: look the name up on PATH ourselves, as docker run would.
    found=
    saved_ifs=$IFS
    IFS=:
    set -f # split PATH on ':' only, never glob it
    for dir in ${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}; do
      if [ -f "${dir:-.}/$prog" ] && [ -x "${dir:-.}/$prog" ]; then
        found=${dir:-.}/$prog
        break
      fi
    done
    IFS=$saved_ifs
    set +f
    if [ -z "$found" ]; then
      echo "runlater shim: $prog: not found on PATH ($PATH)" >&2
      exit 127
    fi
    prog=$found
    ;;
esac

exec "$prog" "$@" < /runlater/stdin
