# runlater's stdin shim, run by a static busybox as the entrypoint of every job container:
#   /runlater/busybox sh /runlater/shim.sh PROGRAM [ARGS...]
# It gives the program the job's stdin and then becomes the program (exec), so the exit code,
# signals and pid 1 are the program's own. Only shell builtins and the busybox beside this script
# are used: the image may have nothing else. On ECS (RUNLATER_LOG_TAGS=1) it stays in front of the
# program instead, to tag each output line with its stream; the exit code is still the program's.

if [ "$#" -eq 0 ]; then
  echo "runlater shim: no program to run (the worker has no command and the image no ENTRYPOINT/CMD)" >&2
  exit 127
fi

# ECS drops env entries whose value is empty, where docker run sets them empty: the launcher lists
# their names here (comma-separated) and they are set empty, so both modes give the same env.
if [ -n "${RUNLATER_EMPTY_ENV:-}" ]; then
  saved_ifs=$IFS
  IFS=,
  set -f
  for name in $RUNLATER_EMPTY_ENV; do export "$name="; done
  IFS=$saved_ifs
  set +f
fi
unset RUNLATER_EMPTY_ENV

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

if [ "${RUNLATER_LOG_TAGS:-}" = 1 ] && [ -p /runlater/stdout ] && [ -p /runlater/stderr ]; then
  # On ECS the awslogs driver sends both of a container's streams to one log stream and keeps no
  # mark of which was which: tag every line (`o ` stdout, `e ` stderr) so the logs reader can keep
  # them apart. The program runs as our child, its outputs into the FIFOs the init step made.
  # A line longer than 16,000 bytes goes out as several tagged lines (cut between UTF-8
  # characters): Docker and containerd cut lines at 16 KiB and CloudWatch at 256 KiB, and a
  # piece cut there would carry no tag.
  bb=/runlater/busybox
  tag_lines='{
    line = $0
    while (length(line) > 16000) {
      n = 16000
      while (n > 15997 && substr(line, n + 1, 1) >= "\200" && substr(line, n + 1, 1) < "\300") n--
      print tag substr(line, 1, n)
      fflush()
      line = substr(line, n + 1)
    }
    print tag line
    fflush()
  }'
  "$bb" awk -v tag='o ' "$tag_lines" < /runlater/stdout &
  out_reader=$!
  "$bb" awk -v tag='e ' "$tag_lines" < /runlater/stderr >&2 &
  err_reader=$!
  # We are pid 1 now, not the program: pass StopTask's SIGTERM on to it, even one that comes
  # before it has started. A shell starts a background program with SIGINT and SIGQUIT ignored
  # (POSIX, and no busybox applet undoes it), so an image whose STOPSIGNAL is SIGINT would never
  # stop: its SIGINT is passed on as SIGTERM.
  child=
  stopping=
  trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null' TERM INT
  "$prog" "$@" < /runlater/stdin > /runlater/stdout 2> /runlater/stderr &
  child=$!
  [ -z "$stopping" ] || kill -TERM "$child" 2>/dev/null
  wait "$child"
  code=$?
  # A trapped signal ends `wait` early: wait again until the program itself has ended.
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    code=$?
  done
  # The readers end when every writer has closed its end; a daemon the program left behind may
  # hold one open forever, so give them 5 seconds to drain and no more.
  ( "$bb" sleep 5; kill "$out_reader" "$err_reader" 2>/dev/null ) &
  guard=$!
  wait "$out_reader" "$err_reader"
  kill "$guard" 2>/dev/null
  exit "$code"
fi

exec "$prog" "$@" < /runlater/stdin
